namespace Ddnn.Core.Deploy;

/// <summary>
/// Detects two threads running the same partition's own scratch at once, which would silently mix their samples:
/// the second caller gets an <see cref="InvalidOperationException"/> instead. A mutable struct: keep it in a field.
/// </summary>
internal struct SingleCallerGuard
{
    private int _busy;

    /// <summary>Claims the scratch of <paramref name="owner"/> (a name made once, not per call); throws when another call holds it.</summary>
    public void Enter(string owner)
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
            throw new InvalidOperationException(
                $"{owner} is already running on another thread; its own scratch serves one call at a time (give each thread its own workspace).");
    }

    /// <summary>Releases the scratch.</summary>
    public void Exit() => Volatile.Write(ref _busy, 0);
}

using System.Runtime.CompilerServices;

namespace Ddnn.Kernels;

/// <summary>
/// Restores a kernel setting (<see cref="KernelDispatch.Use"/>, <see cref="KernelParallelism.Use"/>) to the value it
/// had before the scope opened. Dispose it on the flow that opened it, as a <c>using</c> does.
/// </summary>
public readonly struct KernelSettingScope : IDisposable
{
    private readonly ScopedSetting? _setting;
    private readonly int? _previous;

    internal KernelSettingScope(ScopedSetting setting, int? previous)
    {
        _setting = setting;
        _previous = previous;
    }

    /// <summary>Puts back the value the setting had when this scope opened.</summary>
    public void Dispose() => _setting?.Restore(_previous);
}

/// <summary>
/// One kernel setting: a process-wide default plus an <see cref="AsyncLocal{T}"/> override. The override flows into
/// <see cref="Parallel.For(int, int, Action{int})"/> and task work items, so a kernel that splits its work sees its
/// caller's setting, and concurrent callers (parallel tests) each see their own.
/// </summary>
internal sealed class ScopedSetting(int initial)
{
    private readonly AsyncLocal<int?> _override = new();
    private volatile int _default = initial;

    // Kernels read the setting on every call (the packed device path runs in about 0.35 us per sample); a process
    // that never opens a scope, as the CLI, then pays one field load instead of an execution-context lookup.
    private volatile bool _everScoped;

    public int Current => _everScoped ? ScopedOrDefault() : _default;

    public int Default
    {
        get => _default;
        set => _default = value;
    }

    public KernelSettingScope Open(int value)
    {
        _everScoped = true;
        var previous = _override.Value;
        _override.Value = value;
        return new KernelSettingScope(this, previous);
    }

    internal void Restore(int? previous) => _override.Value = previous;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int ScopedOrDefault() => _override.Value ?? _default;
}

using System.Diagnostics;

namespace Ddnn.Core;

/// <summary>
/// A reusable barrier for the few threads of a <see cref="BatchSplit"/>, built for meetings that come every few hundred
/// microseconds: a waiting thread spins for up to <see cref="SpinMicroseconds"/> before it sleeps. On a virtual machine a
/// sleeping thread takes tens to hundreds of microseconds to wake, and <see cref="Barrier"/> puts a waiter to sleep after
/// a few yields, so at about 30 meetings per training step most of the second core's gain went into wake-ups. Meetings
/// further apart (the pause between epochs) still end up sleeping and cost no CPU.
/// </summary>
public sealed class LaneBarrier
{
    /// <summary>How long a waiting thread spins before it sleeps.</summary>
    public const int SpinMicroseconds = 200;

    private static readonly long SpinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;

    private readonly object _gate = new();
    private int _participants;
    private int _remaining;
    private int _phase;
    private int _sleepers;

    /// <summary>A barrier for <paramref name="participants"/> threads.</summary>
    public LaneBarrier(int participants)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(participants, 1);
        _participants = participants;
        _remaining = participants;
    }

    /// <summary>Threads that must arrive before any of them goes on.</summary>
    public int Participants => Volatile.Read(ref _participants);

    /// <summary>Arrives and waits until every participant has arrived.</summary>
    public void SignalAndWait()
    {
        var phase = Volatile.Read(ref _phase);
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            Advance(phase);
            return;
        }
        var started = Stopwatch.GetTimestamp();
        // SpinWait pauses at first, then yields: a lane of this split that was preempted gets the core back sooner.
        var spinner = new SpinWait();
        while (Volatile.Read(ref _phase) == phase)
        {
            if (Stopwatch.GetTimestamp() - started > SpinTicks)
            {
                Sleep(phase);
                return;
            }
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>
    /// One participant leaves for good (a thread that failed and will not arrive again); if the others were only waiting
    /// for it, they go on. Call it only from a thread that is not waiting at the barrier.
    /// </summary>
    public void RemoveParticipant()
    {
        lock (_gate)
        {
            if (_participants == 0) throw new InvalidOperationException("the barrier has no participant left to remove");
            _participants--;
        }
        var phase = Volatile.Read(ref _phase);
        if (Interlocked.Decrement(ref _remaining) == 0) Advance(phase);
    }

    private void Advance(int phase)
    {
        lock (_gate) Volatile.Write(ref _remaining, _participants);
        // Interlocked orders the phase change before the read of the sleepers (a sleeper counts itself before it checks).
        Interlocked.Exchange(ref _phase, phase + 1);
        if (Volatile.Read(ref _sleepers) == 0) return;
        lock (_gate) Monitor.PulseAll(_gate);
    }

    private void Sleep(int phase)
    {
        lock (_gate)
        {
            Interlocked.Increment(ref _sleepers);
            while (Volatile.Read(ref _phase) == phase) Monitor.Wait(_gate);
            Interlocked.Decrement(ref _sleepers);
        }
    }
}

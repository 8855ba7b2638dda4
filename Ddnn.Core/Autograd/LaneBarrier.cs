using System.Diagnostics;

namespace Ddnn.Core;

/// <summary>
/// A reusable barrier for the few threads of a <see cref="BatchSplit"/>, built for meetings that come every few hundred
/// microseconds: a waiting thread spins, then yields, for up to <see cref="SpinMicroseconds"/> before it sleeps. On the
/// 2-core virtual machine a sleeping thread took tens to hundreds of microseconds to wake (a trainer lane started its
/// batch about 150 µs late after a <see cref="SemaphoreSlim"/> wake-up, about 10 µs late with this), and a training step
/// has about 33 meetings. Yielding rather than pure spinning matters when other processes load the cores: a lane that
/// was preempted gets its core back sooner. Meetings further apart (the pause between epochs) still end up sleeping.
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

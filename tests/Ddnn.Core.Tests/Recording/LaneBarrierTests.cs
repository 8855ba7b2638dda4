using Ddnn.Core;

namespace Ddnn.Core.Tests.Recording;

public class LaneBarrierTests
{
    [Fact]
    public void No_thread_passes_a_phase_before_every_participant_has_arrived()
    {
        const int threads = 3, phases = 2000;
        var barrier = new LaneBarrier(threads);
        var arrivals = 0;
        var early = 0;
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            for (var phase = 0; phase < phases; phase++)
            {
                Interlocked.Increment(ref arrivals);
                barrier.SignalAndWait();
                if (Volatile.Read(ref arrivals) < threads * (phase + 1)) Interlocked.Increment(ref early);
                // The second meeting keeps a fast thread from counting the next phase before the others have checked.
                barrier.SignalAndWait();
            }
        })).ToArray();
        foreach (var worker in workers) worker.Start();
        foreach (var worker in workers) Assert.True(worker.Join(TimeSpan.FromSeconds(60)), "a thread is stuck at the barrier");
        Assert.Equal(0, early);
        Assert.Equal(threads * phases, arrivals);
    }

    [Fact]
    public void A_waiter_that_has_gone_to_sleep_wakes_when_the_last_participant_arrives()
    {
        var barrier = new LaneBarrier(2);
        var passed = false;
        var waiter = new Thread(() =>
        {
            barrier.SignalAndWait();
            Volatile.Write(ref passed, true);
        });
        waiter.Start();
        // Far longer than the spin, so the waiter sleeps.
        Thread.Sleep(50 + LaneBarrier.SpinMicroseconds / 1000);
        Assert.False(Volatile.Read(ref passed));
        barrier.SignalAndWait();
        Assert.True(waiter.Join(TimeSpan.FromSeconds(10)), "the sleeping waiter was not woken");
        Assert.True(passed);
    }

    [Fact]
    public void Removing_the_missing_participant_releases_the_waiters_and_later_phases_need_one_fewer()
    {
        var barrier = new LaneBarrier(3);
        var waiters = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            barrier.SignalAndWait();
            barrier.SignalAndWait();
        })).ToArray();
        foreach (var waiter in waiters) waiter.Start();
        Thread.Sleep(20);
        barrier.RemoveParticipant();
        Assert.Equal(2, barrier.Participants);
        foreach (var waiter in waiters) Assert.True(waiter.Join(TimeSpan.FromSeconds(10)), "a waiter was not released");
    }

    [Fact]
    public void A_barrier_needs_a_participant()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LaneBarrier(0));
        var single = new LaneBarrier(1);
        single.SignalAndWait();
        single.RemoveParticipant();
        Assert.Throws<InvalidOperationException>(single.RemoveParticipant);
    }
}

using Ddnn.Bench.Serving;
using Ddnn.Core.Serving;

namespace Ddnn.Bench.Tests.Serving;

public sealed class TierHostTests
{
    private sealed class ManualClock : IServingClock
    {
        public double NowMs { get; set; }
    }

    /// <summary>Records what the host calls, and optionally arms one deadline.</summary>
    internal sealed class RecordingTier : IMessageHandler
    {
        public List<string> Calls { get; } = [];
        public int CallingThreads => _threads.Count;
        private readonly HashSet<int> _threads = [];
        public IReadOnlyList<string> Subscriptions => ["t/#"];
        public double? NextDeadlineMs { get; set; }

        public void OnMessage(string topic, ReadOnlySpan<byte> payload)
        {
            lock (_threads) _threads.Add(Environment.CurrentManagedThreadId);
            Calls.Add($"{topic}:{payload.Length}");
        }

        public List<double> TimerTimes { get; } = [];

        public void OnTimer(double nowMs)
        {
            lock (_threads) _threads.Add(Environment.CurrentManagedThreadId);
            Calls.Add("timer");
            TimerTimes.Add(nowMs);
            NextDeadlineMs = null;
        }

        public void OnConnectionLost() => Calls.Add("lost");
    }

    [Fact]
    public void A_lost_connection_reaches_the_tier_once_and_before_every_message_posted_after_it()
    {
        var tier = new RecordingTier();
        using var host = new TierHost(tier, new ManualClock());
        host.Post("t/before", []);
        host.ConnectionLost();
        host.ConnectionLost();
        host.Post("t/after", []);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        host.Run(stop.Token, () => tier.Calls.Contains("t/after:0"));
        Assert.Single(tier.Calls, "lost");
        Assert.True(tier.Calls.IndexOf("lost") < tier.Calls.IndexOf("t/after:0"), string.Join(", ", tier.Calls));
        Assert.Contains("t/before:0", tier.Calls);
    }

    [Fact]
    public void A_deadline_that_fell_before_a_message_arrived_fires_before_that_message()
    {
        var clock = new ManualClock { NowMs = 0 };
        var tier = new RecordingTier { NextDeadlineMs = 5 };
        using var host = new TierHost(tier, clock);
        host.Post("t/early", new byte[1]);
        clock.NowMs = 10;
        host.Post("t/late", new byte[2]);
        clock.NowMs = 50; // the host gets to the messages late
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        host.Run(stop.Token, () => tier.Calls.Count == 3);
        Assert.Equal(["t/early:1", "timer", "t/late:2"], tier.Calls);
        // Fired at the late message's arrival, not at the clock's now: the tier judges its deadlines at that time.
        Assert.Equal([10.0], tier.TimerTimes);
        Assert.Equal(1, host.Timers);
        Assert.Equal(2, host.Handled);
    }

    [Fact]
    public void Fires_a_timer_when_no_message_comes()
    {
        var clock = new MonotonicClock();
        var tier = new RecordingTier { NextDeadlineMs = clock.NowMs + 20 };
        using var host = new TierHost(tier, clock);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        host.Run(stop.Token, () => tier.Calls.Count == 1);
        Assert.Equal(["timer"], tier.Calls);
        Assert.False(stop.IsCancellationRequested);
    }

    [Fact]
    public void Flushes_when_the_queue_runs_empty_after_a_long_run_of_messages_and_on_return()
    {
        var tier = new RecordingTier();
        var flushedAfter = new List<int>();
        using var host = new TierHost(tier, new ManualClock(), flush: () => flushedAfter.Add(tier.Calls.Count));
        for (var i = 0; i < 150; i++) host.Post("t/a", []);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        host.Run(stop.Token, () => tier.Calls.Count == 150 && flushedAfter.Count >= 3);
        // Every 64 messages in a row, then when the queue ran empty, then once more as Run returns.
        Assert.Equal([64, 128, 150, 150], flushedAfter);
    }

    [Fact]
    public void A_full_queue_drops_and_counts()
    {
        var tier = new RecordingTier();
        using var host = new TierHost(tier, new ManualClock(), capacity: 2);
        Assert.True(host.Post("t/a", []));
        Assert.True(host.Post("t/b", []));
        Assert.False(host.Post("t/c", []));
        Assert.Equal(1, host.Dropped);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        host.Run(stop.Token, () => tier.Calls.Count == 2);
        Assert.Equal(["t/a:0", "t/b:0"], tier.Calls);
    }

    [Fact]
    public async Task Messages_posted_from_many_threads_reach_the_tier_on_one_thread()
    {
        var tier = new RecordingTier();
        using var host = new TierHost(tier, new MonotonicClock());
        var posters = Enumerable.Range(0, 4).Select(p => Task.Run(() =>
        {
            for (var i = 0; i < 500; i++) host.Post($"t/{p}", new byte[i % 7]);
        })).ToArray();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        host.Run(stop.Token, () => host.Handled == 2000);
        await Task.WhenAll(posters);
        Assert.Equal(2000, tier.Calls.Count);
        Assert.Equal(1, tier.CallingThreads);
        for (var p = 0; p < 4; p++)
            Assert.Equal(Enumerable.Range(0, 500).Select(i => $"t/{p}:{i % 7}"), tier.Calls.Where(c => c.StartsWith($"t/{p}:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Delivered_messages_wait_in_the_queue_until_Run_and_then_come_after_the_queued_ones_in_order()
    {
        var tier = new RecordingTier();
        using var host = new TierHost(tier, new ManualClock());
        Assert.True(host.Deliver("t/1", []));
        host.Post("t/2", []);
        Assert.True(host.Deliver("t/3", []));
        Assert.Empty(tier.Calls); // not running: queued, the tier untouched
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var running = Task.Run(() => host.Run(stop.Token, () => tier.Calls.Contains("t/4:0")));
        SpinWait.SpinUntil(() => tier.Calls.Count == 3 || running.IsCompleted, TimeSpan.FromSeconds(10));
        host.Deliver("t/4", []);
        await running.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["t/1:0", "t/2:0", "t/3:0", "t/4:0"], tier.Calls);
        Assert.Equal(4, host.Handled);
        Assert.Equal(4, host.Received);
    }

    /// <summary>Counts calls into it that overlap, which the host must never make.</summary>
    private sealed class OverlapTier(IServingClock clock) : IMessageHandler
    {
        private int _inside;
        public int Overlaps, Messages, Timers;
        public HashSet<int> MessageThreads { get; } = [];
        public IReadOnlyList<string> Subscriptions => ["t/#"];
        public double? NextDeadlineMs { get; private set; } = 0;

        public void OnMessage(string topic, ReadOnlySpan<byte> payload) => Enter(() =>
        {
            Messages++;
            MessageThreads.Add(Environment.CurrentManagedThreadId);
        });

        public void OnTimer(double nowMs) => Enter(() =>
        {
            Timers++;
            NextDeadlineMs = clock.NowMs + 0.05;
        });

        public void OnConnectionLost() { }

        private void Enter(Action work)
        {
            if (Interlocked.Increment(ref _inside) != 1) Interlocked.Increment(ref Overlaps);
            work();
            Thread.SpinWait(20);
            Interlocked.Decrement(ref _inside);
        }
    }

    [Fact]
    public async Task Delivered_messages_are_handled_on_the_delivering_thread_in_turn_with_the_timers()
    {
        var clock = new MonotonicClock();
        var tier = new OverlapTier(clock);
        var flushes = 0;
        using var host = new TierHost(tier, clock, flush: () => Interlocked.Increment(ref flushes));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var hostThread = 0;
        var running = Task.Factory.StartNew(() =>
        {
            hostThread = Environment.CurrentManagedThreadId;
            host.Run(stop.Token, () => host.Handled == 4000);
        }, TaskCreationOptions.LongRunning);
        SpinWait.SpinUntil(() => tier.Timers > 0, TimeSpan.FromSeconds(10));
        var deliverers = Enumerable.Range(0, 2).Select(d => Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < 2000; i++)
            {
                host.Deliver($"t/{d}", []);
                if (i % 100 == 99) host.CaughtUp();
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(deliverers);
        await running;
        Assert.Equal(0, tier.Overlaps);
        Assert.Equal(4000, tier.Messages);
        Assert.True(tier.Timers > 1, $"{tier.Timers} timer calls");
        Assert.DoesNotContain(hostThread, tier.MessageThreads);
        Assert.True(flushes >= 40, $"{flushes} flushes"); // each CaughtUp flushes while Run runs
    }

    /// <summary>Sets a deadline due at once when a message comes, as an aggregator does when an answer frees a slot.</summary>
    private sealed class DueOnMessageTier(ManualClock clock) : IMessageHandler
    {
        public int Timers;
        public IReadOnlyList<string> Subscriptions => ["t/#"];
        public double? NextDeadlineMs { get; private set; }
        public void OnMessage(string topic, ReadOnlySpan<byte> payload) => NextDeadlineMs = clock.NowMs;

        public void OnTimer(double nowMs)
        {
            NextDeadlineMs = null;
            Interlocked.Increment(ref Timers);
        }

        public void OnConnectionLost() { }
    }

    [Fact]
    public async Task A_delivered_message_that_brings_a_deadline_forward_wakes_the_host()
    {
        // The host sleeps up to 100 ms when the tier has no deadline; a delivery that sets one due now must wake it,
        // so 20 rounds take a few milliseconds each, not 100.
        var clock = new ManualClock();
        var tier = new DueOnMessageTier(clock);
        using var host = new TierHost(tier, clock);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var running = Task.Factory.StartNew(() => host.Run(stop.Token, () => Volatile.Read(ref tier.Timers) == 20), TaskCreationOptions.LongRunning);
        Thread.Sleep(50); // the host is asleep, with no deadline
        var took = System.Diagnostics.Stopwatch.StartNew();
        for (var round = 0; round < 20; round++)
        {
            host.Deliver("t/answer", []);
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref tier.Timers) == round + 1, TimeSpan.FromSeconds(5)), $"round {round}: the timer did not fire");
        }
        took.Stop();
        await running.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(took.ElapsedMilliseconds < 1000, $"20 wake-ups took {took.ElapsedMilliseconds} ms: the host slept through deliveries");
    }
}

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
    private sealed class RecordingTier : IMessageHandler
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
}

using Ddnn.Core.Deploy;
using Ddnn.Core.Inference;
using Ddnn.Core.Model;
using Ddnn.Core.Runtime;
using Ddnn.Core.Serving;
using Ddnn.Core.Tests.Deploy;
using Ddnn.Core.Tests.Model;

namespace Ddnn.Core.Tests.Serving;

/// <summary>The served tiers under untrusted, stale, late, duplicated and missing messages.</summary>
public class TierProtocolTests
{
    private const int Samples = 8;

    private static readonly Lazy<(DeployedModel Model, float[] Views)> Fixture = new(() =>
    {
        var model = DeployTestModels.Create(DdnnBuilder.Devices(3).Input(1, 8, 8).Classes(4).DeviceBlocks(4)
            .LocalExit(Aggregation.MaxPool).Cloud(Aggregation.Concat, 6), 31);
        return (DdnnExporter.Export(model), ModelTestData.Views(model.Config, Samples, 32).Data);
    });

    private static ServingHarness Harness(double threshold = 0, double deviceWait = 1000, ModelFingerprint? deviceFingerprint = null,
        FusionSettings? cloud = null) =>
        new(Fixture.Value.Model, Fixture.Value.Views, new AggregatorSettings { LocalThreshold = threshold, DeviceWaitMs = deviceWait, CloudWaitMs = 1000 },
            deviceFingerprint, cloud);

    private static PartitionId Dev(int d) => new(PartitionKind.Device, d);
    private static readonly PartitionId Local = new(PartitionKind.Local);
    private static readonly PartitionId CloudId = new(PartitionKind.Cloud);

    [Fact]
    public void AHealthySampleGoesToTheCloudWithNothingDropped()
    {
        var h = Harness();
        var o = h.Run(0);
        Assert.Equal(ExitTier.Cloud, o.Tier);
        Assert.False(o.Degraded || o.DeviceMissing);
        Assert.Equal(4 + 10 + 5 + 10, o.LatencyMs); // slowest scores, request to cloud and devices, maps, answer
        Assert.Equal(ServingEnvelope.Bytes + WireMessage.TickBytes, o.TickBytes);
        Assert.All(h.All, t => Assert.Equal(0, t.Counters.TotalDrops));
        Assert.All(h.All, t => Assert.True(t.AllPeersAnnounced, $"{t.Id} heard every peer"));
    }

    [Fact]
    public void StaleTagsOfAnotherModelOrAnEarlierRunAreDroppedNotFused()
    {
        var h = Harness(threshold: 2);
        var expected = h.Run(0);
        // Scores for sample 1 with another model's tag and with run 0's tag arrive before the real ones.
        h.Network.RestartClock();
        Assert.True(h.Aggregator.Tick(1));
        var topic = h.Topics.To(Local, Dev(2));
        var extreme = new float[] { 1e6f, -1e6f, -1e6f, -1e6f };
        h.Aggregator.OnMessage(topic, h.Message(b => WireMessage.WriteScores(2, 1, extreme, ScoreEncoding.Float32, null, b), new ServingTag((ushort)(h.Fingerprint.Tag ^ 1), 1)));
        h.Aggregator.OnMessage(topic, h.Message(b => WireMessage.WriteScores(2, 1, extreme, ScoreEncoding.Float32, null, b), new ServingTag(h.Fingerprint.Tag, 7)));
        h.Network.RunUntilIdle();
        Assert.Equal(1, h.Aggregator.Counters[DropReason.WrongModel]);
        Assert.Equal(1, h.Aggregator.Counters[DropReason.StaleRun]);
        var fresh = Harness(threshold: 2);
        fresh.Run(0);
        Assert.Equal(fresh.Run(1).LocalEntropy, h.Outcomes[^1].LocalEntropy);
        Assert.All(h.Outcomes[^1].PresentAtLocal, Assert.True);
        Assert.Equal(expected.Tier, h.Outcomes[0].Tier);
    }

    [Fact]
    public void DuplicatedAndLateAnswersAreIgnoredAndNoSampleIsAnsweredTwice()
    {
        var h = Harness();
        var o = h.Run(0);
        Assert.Equal(ExitTier.Cloud, o.Tier);
        var answer = h.Message(b => WireMessage.WriteAnswer(0, (o.Prediction + 1) % 4, b));
        h.Aggregator.OnMessage(h.Topics.To(Local, CloudId), answer);
        Assert.Equal(1, h.Aggregator.Counters[DropReason.Late]);
        // A device's scores sent twice within the local stage: the second copy is a duplicate.
        h.Network.RestartClock();
        Assert.True(h.Aggregator.Tick(1));
        var scores = h.Message(b => WireMessage.WriteScores(1, 1, [0.1f, 0.2f, 0.3f, 0.4f], ScoreEncoding.Float32, null, b));
        h.Aggregator.OnMessage(h.Topics.To(Local, Dev(1)), scores);
        h.Aggregator.OnMessage(h.Topics.To(Local, Dev(1)), scores);
        h.Network.RunUntilIdle();
        Assert.Equal(2, h.Outcomes.Count);
        Assert.True(h.Aggregator.Counters[DropReason.Duplicate] >= 2, "the injected copy and the device's own message for sample 1");
        // The cloud, asked twice for the same sample, answers once.
        h.Cloud.OnMessage(h.Topics.CloudRequest, h.Message(b => WireMessage.WriteRequest(0, 1, [true, true, true], b)));
        Assert.Equal(1, h.Cloud.Counters[DropReason.Duplicate]);
        Assert.Equal(2, h.Cloud.Counters.Published(ServingMessageKind.CloudAnswer));
        Assert.Equal(2, h.Aggregator.Counters.Answered);
    }

    [Fact]
    public void ADevicesWillStopsTheWaitAndItsReturnResumesIt()
    {
        var h = Harness(threshold: 2, deviceWait: 1000);
        Assert.Equal(4, h.Run(0).LatencyMs); // the slowest device's scores (2 + index)
        h.Links.Silenced.Add(Dev(2)); // killed: sends nothing more
        var waited = h.Run(1);
        Assert.Equal(1000, waited.LatencyMs);
        Assert.True(waited.DeviceMissing);
        // The broker publishes its will.
        h.Network.Connect(Dev(1)).Publish(h.Topics.Status(Dev(2)), h.Devices[2].WillPayload, Delivery.AtLeastOnce, true);
        h.Network.RunUntilIdle();
        Assert.False(h.Aggregator.IsOnline(Dev(2)));
        Assert.False(h.Aggregator.AllPeersAnnounced);
        var quick = h.Run(2);
        Assert.Equal(3, quick.LatencyMs);
        Assert.Equal([true, true, false], quick.PresentAtLocal);
        Assert.True(quick.DeviceMissing);
        Assert.Equal(2, h.Aggregator.Counters.Degraded);
        // Restarted: it announces itself and is waited for again.
        h.Links.Silenced.Remove(Dev(2));
        h.Devices[2].Start();
        h.Network.RunUntilIdle();
        var back = h.Run(3);
        Assert.Equal([true, true, true], back.PresentAtLocal);
        Assert.Equal(4, back.LatencyMs);
    }

    [Fact]
    public void AfterALostBrokerOnlyPeersThatAnnounceThemselvesAgainAreWaitedFor()
    {
        var h = Harness(threshold: 2, deviceWait: 1000);
        Assert.Equal(4, h.Run(0).LatencyMs);
        // The broker restarts without its sessions: dev2 died meanwhile and no will ever comes for it.
        h.Links.Silenced.Add(Dev(2));
        foreach (var tier in h.All) tier.OnConnectionLost();
        Assert.False(h.Aggregator.IsOnline(Dev(2)));
        Assert.Contains("local: lost the broker; every peer counts as offline until it announces itself again", h.Log);
        // The live tiers announce themselves after their reconnect.
        foreach (var tier in h.All.Where(t => t.Id != Dev(2))) tier.Start();
        h.Network.RunUntilIdle();
        Assert.True(h.Aggregator.IsOnline(Dev(1)));
        Assert.True(h.Aggregator.IsOnline(CloudId));
        Assert.False(h.Aggregator.IsOnline(Dev(2)));
        var quick = h.Run(1);
        Assert.Equal(3, quick.LatencyMs); // not the device wait of 1000
        Assert.Equal([true, true, false], quick.PresentAtLocal);
        Assert.True(quick.DeviceMissing);
    }

    [Fact]
    public void ALostBrokerAnswersTheSamplesWaitingForPeersAtOnce()
    {
        var h = Harness(threshold: 2, deviceWait: 1000);
        h.Network.RestartClock();
        Assert.True(h.Aggregator.Tick(0));
        Assert.Empty(h.Outcomes);
        // The tick is still on its way when the connection drops: nothing of this sample can be counted on any more.
        h.Aggregator.OnConnectionLost();
        var answer = Assert.Single(h.Outcomes);
        Assert.True(answer.DeviceMissing);
        Assert.Equal(0, answer.LatencyMs);
        h.Network.RunUntilIdle();
        Assert.Single(h.Outcomes); // the scores that still come are late, never a second answer
    }

    [Fact]
    public void AWillArrivingMidSampleAnswersAtOnce()
    {
        var h = Harness(threshold: 2, deviceWait: 1000);
        h.Links.Silenced.Add(Dev(0));
        h.Network.RestartClock();
        Assert.True(h.Aggregator.Tick(0));
        h.Network.Connect(Dev(1)).Publish(h.Topics.Status(Dev(0)), h.Devices[0].WillPayload, Delivery.AtLeastOnce, true);
        h.Network.RunUntilIdle();
        Assert.Equal(4, h.Outcomes.Single().LatencyMs);
    }

    [Fact]
    public void AnOfflineCloudMeansAnImmediateFallback()
    {
        var h = Harness(threshold: 0);
        h.Links.Silenced.Add(CloudId);
        h.Network.Connect(Dev(0)).Publish(h.Topics.Status(CloudId), h.Cloud.WillPayload, Delivery.AtLeastOnce, true);
        h.Network.RunUntilIdle();
        var o = h.Run(0);
        Assert.Equal(ExitTier.LocalFallback, o.Tier);
        Assert.Equal(4, o.LatencyMs);
    }

    [Fact]
    public void ATierOfAnotherModelIsRefusedWithBothFingerprintsLogged()
    {
        var other = ModelFingerprint.OfDeployFile([1, 2, 3]);
        var h = Harness(threshold: 2, deviceWait: 50, deviceFingerprint: other);
        var line = Assert.Single(h.Aggregator.Refusals);
        Assert.Contains("dev0", line);
        Assert.Contains(other.Short, line);
        Assert.Contains(h.Fingerprint.Short, line);
        Assert.NotEmpty(h.Devices[0].Refusals);
        Assert.Null(h.Devices[0].RunId);
        var o = h.Run(0);
        Assert.Equal([false, true, true], o.PresentAtLocal);
        Assert.Equal(4, o.LatencyMs); // device 2's scores; device 0 is not waited for: refused counts as offline
        Assert.Equal(1, h.Devices[0].Counters[DropReason.WrongModel]);
    }

    [Fact]
    public void StateStaysBoundedUnderAFloodOfSampleIds()
    {
        var h = Harness(cloud: new FusionSettings { MaxSamples = 16, HoldMs = 100, MapWaitMs = 100 });
        h.Run(0);
        var map = new ulong[h.Model.Devices[0].Features.Length];
        var (fh, fw) = h.Model.Devices[0].FeatureSize;
        var rng = new Ddnn.Core.Randomness.SeededRandom(9);
        for (var i = 0; i < 10_000; i++)
        {
            var sample = (uint)rng.NextInt(0, int.MaxValue);
            var payload = h.Message(b => WireMessage.WriteFeatures(1, sample, map, 4, fh, fw, b));
            h.Cloud.OnMessage(h.Topics.To(CloudId, Dev(1)), payload);
            h.Aggregator.OnMessage(h.Topics.To(Local, Dev(1)), h.Message(b => WireMessage.WriteScores(1, sample, [0f, 0f, 0f, 0f], ScoreEncoding.Float32, null, b)));
            h.Devices[0].OnMessage(h.Topics.CloudRequest, h.Message(b => WireMessage.WriteRequest(0, sample, [true, true, true], b)));
            Assert.True(h.Cloud.HeldSamples <= 16);
        }
        Assert.Equal(10_000, h.Cloud.Counters.TotalDrops);
        Assert.Equal(10_000, h.Aggregator.Counters[DropReason.TooFarAhead]);
        Assert.Equal(10_000, h.Devices[0].Counters[DropReason.TooFarAhead]);
        h.Network.RunUntilIdle(); // the held maps expire
        Assert.Equal(1, h.Cloud.HeldSamples); // sample 0, answered
        Assert.Equal(ExitTier.Cloud, h.Run(1).Tier);
    }

    [Fact]
    public void GarbageIsDroppedAndCountedByReason()
    {
        var h = Harness(threshold: 2);
        h.Network.RestartClock();
        Assert.True(h.Aggregator.Tick(0));
        var a = h.Aggregator;
        var topic = h.Topics.To(Local, Dev(1));
        byte[] Scores(Func<byte[], int>? wire = null, ServingTag? tag = null) =>
            h.Message(wire ?? (b => WireMessage.WriteScores(1, 0, [1f, 2f, 3f, 4f], ScoreEncoding.Float32, null, b)), tag);
        void Expect(DropReason reason, string t, byte[] payload)
        {
            var before = a.Counters[reason];
            a.OnMessage(t, payload);
            Assert.True(before + 1 == a.Counters[reason], $"{reason}: counted {a.Counters[reason] - before}");
        }
        Expect(DropReason.BadTopic, "ddnn/other/to/local/dev1", Scores());
        Expect(DropReason.BadTopic, "ddnn/test/to/local/dev9", Scores());
        Expect(DropReason.BadTopic, "ddnn/test/to/local/dev01", Scores());
        Expect(DropReason.BadTopic, h.Topics.To(CloudId, Dev(1)), Scores());
        Expect(DropReason.BadTopic, h.Topics.Tick, h.Message(b => WireMessage.WriteTick(0, b)));
        Expect(DropReason.BadSize, topic, [1, 2]);
        Expect(DropReason.BadSize, topic, Scores()[..^1]);
        var v2 = Scores();
        v2[0] = 2;
        Expect(DropReason.BadVersion, topic, v2);
        Expect(DropReason.WrongModel, topic, Scores(tag: new ServingTag((ushort)~h.Fingerprint.Tag, 1)));
        Expect(DropReason.StaleRun, topic, Scores(tag: new ServingTag(h.Fingerprint.Tag, 2)));
        var kind = Scores();
        kind[ServingEnvelope.Bytes] = 99;
        Expect(DropReason.BadKind, topic, kind);
        Expect(DropReason.BadKind, topic, h.Message(b => WireMessage.WriteAnswer(0, 1, b)));
        Expect(DropReason.SenderMismatch, topic, h.Message(b => WireMessage.WriteScores(2, 0, [1f, 2f, 3f, 4f], ScoreEncoding.Float32, null, b)));
        Expect(DropReason.NonFinite, topic, Scores(b => WireMessage.WriteScores(1, 0, [1f, float.NaN, 3f, 4f], ScoreEncoding.Float32, null, b)));
        Expect(DropReason.NonFinite, topic, Scores(b => WireMessage.WriteScores(1, 0, [1f, 2f, float.PositiveInfinity, 4f], ScoreEncoding.Float32, null, b)));
        Expect(DropReason.TooFarAhead, topic, Scores(b => WireMessage.WriteScores(1, 5, [1f, 2f, 3f, 4f], ScoreEncoding.Float32, null, b)));
        Expect(DropReason.BadSize, h.Topics.To(Local, CloudId), h.Message(b => WireMessage.WriteAnswer(0, 1, b))[..^1]);
        var status = (byte[])h.Devices[1].WillPayload.Clone();
        status[1] = 7;
        Expect(DropReason.Malformed, h.Topics.Status(Dev(1)), status);
        Expect(DropReason.RefusedPeer, h.Topics.Status(Dev(1)), StatusMessage.Write(new TierStatus(true, ModelFingerprint.OfDeployFile([9]), 0)));
        h.Devices[1].Start();
        // The cloud: a cut map, a map from a sender it does not read.
        var features = h.Message(b => WireMessage.WriteFeatures(1, 0, new ulong[h.Model.Devices[0].Features.Length], 4, 4, 4, b));
        h.Cloud.OnMessage(h.Topics.To(CloudId, Dev(1)), features[..^1]);
        Assert.Equal(1, h.Cloud.Counters[DropReason.BadSize]);
        h.Devices[0].OnMessage(h.Topics.To(Local, Dev(1)), Scores());
        Assert.Equal(1, h.Devices[0].Counters[DropReason.BadTopic]);
        // A device: a request with padding bits set (3 devices in one byte).
        var request = h.Message(b => WireMessage.WriteRequest(0, 0, [true, true, true], b));
        request[^1] |= 0x80;
        h.Devices[0].OnMessage(h.Topics.CloudRequest, request);
        Assert.Equal(1, h.Devices[0].Counters[DropReason.Malformed]);
        // Random bytes on every topic the tiers read never throw.
        var rng = new Ddnn.Core.Randomness.SeededRandom(3);
        string[] topics = [topic, h.Topics.To(Local, CloudId), h.Topics.Tick, h.Topics.CloudRequest, h.Topics.To(CloudId, Dev(0)), h.Topics.Status(Dev(1)), "ddnn/test/x"];
        for (var i = 0; i < 5000; i++)
        {
            var junk = new byte[rng.NextInt(0, 64)];
            for (var j = 0; j < junk.Length; j++) junk[j] = (byte)rng.NextInt(256);
            if (junk.Length >= ServingEnvelope.Bytes && rng.NextDouble() < 0.7) ServingEnvelope.Write(ServingTag.Of(h.Fingerprint, 1), junk);
            if (junk.Length > ServingEnvelope.Bytes + 1 && rng.NextDouble() < 0.7) junk[ServingEnvelope.Bytes] = (byte)rng.NextInt(1, 7);
            foreach (var tier in h.All) tier.OnMessage(topics[rng.NextInt(topics.Length)], junk);
        }
        h.Network.RunUntilIdle();
        Assert.Single(h.Outcomes);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(100.0)]
    public void AScheduleTicksEverySampleOnceAtItsRate(double rate)
    {
        var h = new ServingHarness(Fixture.Value.Model, Fixture.Value.Views, new AggregatorSettings { LocalThreshold = 0.5, MaxInFlight = 2 });
        h.Aggregator.Schedule(0, Samples, rate);
        h.Network.RunUntilIdle();
        Assert.True(h.Aggregator.ScheduleDone);
        Assert.Equal(Enumerable.Range(0, Samples).Select(i => (long)i), h.Outcomes.Select(o => o.Sample).Order());
        Assert.All(h.All, t => Assert.Equal(0, t.Counters.TotalDrops));
        if (rate > 0) Assert.True(h.Network.NowMs >= (Samples - 1) * 1000 / rate, "the last tick waits for its time");
    }

    [Fact]
    public void ATierHandlesEachMessageOfABundleAsIfSentAlone()
    {
        var h = new ServingHarness(Fixture.Value.Model, Fixture.Value.Views,
            new AggregatorSettings { LocalThreshold = 0, DeviceWaitMs = 1000, CloudWaitMs = 1000, MaxInFlight = 4 });
        h.Network.RestartClock();
        Assert.True(h.Aggregator.Tick(0));
        Assert.True(h.Aggregator.Tick(1));
        // Device 1's scores for both samples in one bundle: both count, nothing is dropped.
        byte[] Scores(uint sample) => h.Message(b => WireMessage.WriteScores(1, sample, [1f, 2f, 3f, 4f], ScoreEncoding.Float32, null, b));
        var topic = h.Topics.To(Local, Dev(1));
        h.Aggregator.OnMessage(topic, MessageBundle.Pack([Scores(0), Scores(1)]));
        Assert.Equal(0, h.Aggregator.Counters.TotalDrops);
        // Sent again, bundled with garbage: each inner message is judged alone (two duplicates, one bad version).
        var junk = Scores(0);
        junk[0] = 9;
        h.Aggregator.OnMessage(topic, MessageBundle.Pack([Scores(0), junk, Scores(1)]));
        Assert.Equal(2, h.Aggregator.Counters[DropReason.Duplicate]);
        Assert.Equal(1, h.Aggregator.Counters[DropReason.BadVersion]);
        // A bundle in a bundle is not a served message; a malformed bundle is one drop and delivers nothing.
        h.Aggregator.OnMessage(topic, MessageBundle.Pack([MessageBundle.Pack([Scores(0), Scores(1)])]));
        Assert.Equal(2, h.Aggregator.Counters[DropReason.BadVersion]);
        var cut = MessageBundle.Pack([Scores(0), Scores(1)]);
        h.Aggregator.OnMessage(topic, cut[..^1]);
        Assert.Equal(1, h.Aggregator.Counters[DropReason.Malformed]);
        Assert.Equal(2, h.Aggregator.Counters[DropReason.Duplicate]);
        h.Network.RunUntilIdle();
        Assert.Equal([0L, 1L], h.Outcomes.Select(o => o.Sample).Order());
        Assert.All(h.Outcomes, o => Assert.Equal(ExitTier.Cloud, o.Tier));
    }

    [Fact]
    public void FramesTickEverySampleDueByThenAndLatencyCountsFromWhenItWasDue()
    {
        // Rate 1000/s: sample i is due at i ms. Frames at most every 5 ms tick sample 0 at 0 ms, 1..5 at 5 ms, 6..7 at 10 ms.
        const int samples = 8;
        var h = new ServingHarness(Fixture.Value.Model, Fixture.Value.Views,
            new AggregatorSettings { LocalThreshold = 0, MaxInFlight = samples, TickPeriodMs = 5, DeviceWaitMs = 1000, CloudWaitMs = 1000 });
        h.Network.RestartClock();
        h.Aggregator.Schedule(0, samples, 1000);
        h.Network.RunUntilIdle();
        Assert.True(h.Aggregator.ScheduleDone);
        var latency = h.Outcomes.OrderBy(o => o.Sample).Select(o => o.LatencyMs).ToArray();
        Assert.Equal(samples, latency.Length);
        Assert.All(h.Outcomes, o => Assert.Equal(ExitTier.Cloud, o.Tier));
        // Every sample takes the same path, so the latencies differ by the wait for the frame alone.
        var path = latency[0];
        double[] frameWait = [0, 4, 3, 2, 1, 0, 4, 3];
        for (var i = 0; i < samples; i++) Assert.Equal(path + frameWait[i], latency[i], 6);
        Assert.All(h.All, t => Assert.Equal(0, t.Counters.TotalDrops));
    }

    [Fact]
    public void TopicsParseBackAndForeignOnesDoNot()
    {
        var t = new TopicScheme("plant-7");
        Assert.True(t.TryParse(t.To(Local, Dev(12)), out var p));
        Assert.Equal(new ParsedTopic(TopicKind.Addressed, Local, Dev(12)), p);
        Assert.True(t.TryParse(t.Status(new PartitionId(PartitionKind.Edge, 3)), out p));
        Assert.Equal(TopicKind.Status, p.Kind);
        Assert.Equal(ServingMessageKind.DeviceFeatures, TopicScheme.MessageKind(new ParsedTopic(TopicKind.Addressed, CloudId, Dev(1))));
        foreach (var bad in new[] { "ddnn/plant-7/to/local", "ddnn/plant-7/to/local/dev256", "ddnn/plant-7/to/local/dev", "ddnn/plant-8/tick", "ddnn/plant-7/tick/x", "ddnn/plant-7/status/+" })
            Assert.False(t.TryParse(bad, out _), bad);
        Assert.True(TopicScheme.Matches(t.Inbox(Local), t.To(Local, Dev(0))));
        Assert.True(TopicScheme.Matches(t.All, t.Tick));
        Assert.False(TopicScheme.Matches(t.Inbox(Local), t.To(CloudId, Dev(0))));
        Assert.False(TopicScheme.Matches(t.StatusFilter, t.Status(Local) + "/x"));
        foreach (var bad in new[] { "", "a/b", "a+", "#", new string('x', 65) })
            Assert.Throws<ArgumentException>(() => new TopicScheme(bad));
    }

    [Fact]
    public void EveryKindHasAQosChoiceWithAReason()
    {
        foreach (var kind in Enum.GetValues<ServingMessageKind>())
        {
            var choice = ServingQos.For(kind);
            Assert.False(string.IsNullOrWhiteSpace(choice.Reason));
            Assert.Equal(kind == ServingMessageKind.Status, choice.Retain);
        }
        Assert.Equal(38, StatusMessage.Bytes);
    }
    private sealed class ManualClock : IServingClock
    {
        public double NowMs { get; set; }
    }

    private sealed class DiscardTransport : IMessageTransport
    {
        public void Publish(string topic, ReadOnlySpan<byte> payload, Delivery delivery, bool retain) { }
    }

    [Fact]
    public void AnEndlessScheduleRunsUpToTheLastSampleId()
    {
        Assert.Equal(1L << 32, LocalAggregatorTier.IdsFrom(0));
        Assert.Equal(1, LocalAggregatorTier.IdsFrom(uint.MaxValue));
        var h = Harness();
        Assert.Throws<ArgumentOutOfRangeException>(() => h.Aggregator.Schedule(5, LocalAggregatorTier.IdsFrom(5) + 1, 0));
        // What `ddnn serve local` without --samples schedules after its warm-up.
        h.Aggregator.Schedule(5, LocalAggregatorTier.IdsFrom(5), 0);
        Assert.Equal(1, h.Aggregator.InFlight);
        Assert.False(h.Aggregator.ScheduleDone);
    }

    [Fact]
    public void ScoresThatArrivedBeforeTheirDeadlineCountHoweverLateTheHostFiresTheTimer()
    {
        var (model, _) = Fixture.Value;
        var h = Harness();
        var clock = new ManualClock();
        var outcomes = new List<CascadeOutcome>();
        var aggregator = new LocalAggregatorTier(model, h.Fingerprint, h.Topics, new DiscardTransport(), clock,
            new AggregatorSettings { LocalThreshold = 2, DeviceWaitMs = 20, CloudWaitMs = 1000, MaxInFlight = 2 }) { Answered = outcomes.Add };
        Assert.True(aggregator.Tick(0)); // device deadline 20
        clock.NowMs = 15;
        Assert.True(aggregator.Tick(1)); // device deadline 35
        // The host is behind: at wall time 40 it handles scores for sample 1 that arrived at 30. First it fires the
        // deadlines that fell before that arrival (sample 0's), at the arrival time.
        clock.NowMs = 40;
        Assert.Equal(20, aggregator.NextDeadlineMs);
        aggregator.OnTimer(30);
        for (var d = 0; d < 3; d++)
            aggregator.OnMessage(h.Topics.To(Local, Dev(d)), h.Message(b => WireMessage.WriteScores((byte)d, 1, [0.4f, 0.1f, 0.2f, 0.3f], ScoreEncoding.Float32, null, b)));
        Assert.Equal(0, aggregator.Counters[DropReason.Late]);
        var o = Assert.Single(outcomes);
        Assert.Equal(1, o.Sample);
        Assert.Equal(ExitTier.Local, o.Tier);
        Assert.All(o.PresentAtLocal, Assert.True);
        Assert.Equal(25, o.LatencyMs); // on the clock, when the answer was handled
    }

    [Fact]
    public void ARetainedOfflineWillOfAnotherModelIsStaleNotARefusal()
    {
        var h = Harness();
        var other = ModelFingerprint.OfDeployFile([9]);
        // An earlier deployment of another model under the same name left the cloud's will retained.
        h.Network.Connect(Dev(0)).Publish(h.Topics.Status(CloudId), StatusMessage.Offline(other), Delivery.AtLeastOnce, true);
        h.Network.RunUntilIdle();
        Assert.All(h.All, t => Assert.Empty(t.Refusals));
        Assert.Equal(1, h.Aggregator.Counters[DropReason.StaleStatus]);
        Assert.Equal(0, h.Aggregator.Counters[DropReason.RefusedPeer]);
        Assert.True(h.Aggregator.IsOnline(CloudId));
        var o = h.Run(0);
        Assert.Equal(ExitTier.Cloud, o.Tier);
        Assert.False(o.Degraded);
        // An online announcement of another model is still refused.
        h.Network.Connect(Dev(0)).Publish(h.Topics.Status(CloudId), StatusMessage.Write(new TierStatus(true, other, 0)), Delivery.AtLeastOnce, true);
        h.Network.RunUntilIdle();
        Assert.Contains(other.Short, Assert.Single(h.Aggregator.Refusals), StringComparison.Ordinal);
    }

    [Fact]
    public void OneForgedFarAheadTickOrRequestDoesNotWedgeATier()
    {
        var h = Harness();
        h.WrapSamples = true;
        Assert.Equal(ExitTier.Cloud, h.Run(0).Tier);
        var tick = h.Message(b => WireMessage.WriteTick(uint.MaxValue, b));
        foreach (var device in h.Devices) device.OnMessage(h.Topics.Tick, tick);
        h.Cloud.OnMessage(h.Topics.CloudRequest, h.Message(b => WireMessage.WriteRequest(0, uint.MaxValue, new bool[3], b)));
        h.Network.RunUntilIdle();
        for (uint sample = 1; sample < 4; sample++)
        {
            var o = h.Run(sample);
            Assert.Equal(ExitTier.Cloud, o.Tier);
            Assert.False(o.Degraded || o.DeviceMissing, $"sample {sample}");
        }
        Assert.All(h.Devices, d => Assert.Equal(0, d.Counters[DropReason.Late]));
        Assert.Equal(0, h.Cloud.Counters[DropReason.TooOld]);
        // A real jump (a device that was paused) moves the window once a second tick lands near the first.
        var far = h.Message(b => WireMessage.WriteTick(500, b));
        h.Devices[0].OnMessage(h.Topics.Tick, far);
        h.Devices[0].OnMessage(h.Topics.Tick, h.Message(b => WireMessage.WriteTick(501, b)));
        h.Devices[0].OnMessage(h.Topics.Tick, h.Message(b => WireMessage.WriteTick(4, b)));
        Assert.Equal(1, h.Devices[0].Counters[DropReason.Late]);
        h.Devices[0].OnMessage(h.Topics.Tick, far);
        Assert.Equal(1, h.Devices[0].Counters[DropReason.Duplicate]);
    }

    [Fact]
    public void ARateZeroScheduleWithEveryPeerOfflineTicksAtMostMaxInFlightPerCall()
    {
        var (model, views) = Fixture.Value;
        var h = new ServingHarness(model, views, new AggregatorSettings { LocalThreshold = 0, DeviceWaitMs = 1000, CloudWaitMs = 1000, MaxInFlight = 2 });
        foreach (var tier in h.All.Where(t => t.Id != Local))
            h.Network.Connect(tier.Id).Publish(tier.WillTopic, tier.WillPayload, Delivery.AtLeastOnce, true);
        h.Network.RunUntilIdle();
        foreach (var tier in h.All.Where(t => t.Id != Local)) h.Links.Silenced.Add(tier.Id);
        h.Aggregator.Schedule(0, 100, 0);
        Assert.Equal(2, h.Outcomes.Count);
        Assert.All(h.Outcomes, o => Assert.Equal(ExitTier.None, o.Tier));
        Assert.True(h.Aggregator.NextDeadlineMs <= h.Network.NowMs, "the rest of the schedule is due on the next timer turn");
        Assert.Throws<InvalidOperationException>(() => h.Aggregator.Tick(1000));
        h.Network.RunUntilIdle();
        Assert.Equal(100, h.Outcomes.Count);
        Assert.True(h.Aggregator.ScheduleDone);
        Assert.Null(h.Aggregator.NextDeadlineMs);
        Assert.True(h.Aggregator.Tick(1000));
    }
}

using Ddnn.Core.Deploy;
using Ddnn.Core.Inference;
using Ddnn.Core.Model;
using Ddnn.Core.Runtime;
using Ddnn.Core.Serving;
using Ddnn.Core.Tests.Deploy;
using Ddnn.Core.Tests.Model;

namespace Ddnn.Core.Tests.Serving;

/// <summary>
/// Every tier type fed a fixed-seed fuzz stream (<see cref="WireFuzzer"/>) on every topic it reads, in the middle of a
/// run: nothing throws, every message is one drop of the reason its class must give, per-sample state does not move,
/// nothing is published or answered because of it, and the samples after it are answered exactly as without it.
/// </summary>
public class WireFuzzTests
{
    /// <summary>The first sample id: high, so that ids far behind the newest exist; a multiple of the views, so id mod 8 is the view.</summary>
    private const uint First = 1_200_000;
    private const int Views = 8;
    private const int FuzzMessages = 6000;

    private static readonly Lazy<(DeployedModel Model, float[] Views)> Plain = new(() =>
    {
        var model = DeployTestModels.Create(DdnnBuilder.Devices(3).Input(1, 8, 8).Classes(4).DeviceBlocks(4)
            .LocalExit(Aggregation.MaxPool).Cloud(Aggregation.Concat, 6), 31);
        return (DdnnExporter.Export(model), ModelTestData.Views(model.Config, Views, 32).Data);
    });

    private static readonly Lazy<(DeployedModel Model, float[] Views)> WithEdges = new(() =>
    {
        var model = DeployTestModels.Create(DdnnBuilder.Devices(4).Input(1, 8, 8).Classes(3).DeviceBlocks(4).LocalExit(Aggregation.MaxPool)
            .Edge([0, 1], Aggregation.Concat, 5).Edge([2, 3], Aggregation.MaxPool, 5).Cloud(Aggregation.Concat, 4), 51);
        return (DdnnExporter.Export(model), ModelTestData.Views(model.Config, Views, 52).Data);
    });

    // Without a local exit the aggregator decides nothing at the devices: on the tick the devices send their maps (to
    // their edge, to the cloud, or with cloud workers to the aggregator, which sends the job).
    private static readonly Lazy<(DeployedModel Model, float[] Views)> PlainNoLocal = new(() =>
    {
        var model = DeployTestModels.Create(DdnnBuilder.Devices(3).Input(1, 8, 8).Classes(4).DeviceBlocks(4).NoLocalExit().Cloud(Aggregation.Concat, 6), 33);
        return (DdnnExporter.Export(model), ModelTestData.Views(model.Config, Views, 34).Data);
    });

    private static readonly Lazy<(DeployedModel Model, float[] Views)> EdgesNoLocal = new(() =>
    {
        var model = DeployTestModels.Create(DdnnBuilder.Devices(4).Input(1, 8, 8).Classes(3).DeviceBlocks(4).NoLocalExit()
            .Edge([0, 1], Aggregation.MaxPool, 5).Edge([2, 3], Aggregation.Concat, 5).Cloud(Aggregation.Concat, 4), 53);
        return (DdnnExporter.Export(model), ModelTestData.Views(model.Config, Views, 54).Data);
    });

    private static (DeployedModel Model, float[] Views) Fixture(bool edges, bool local) => (edges, local) switch
    {
        (false, true) => Plain.Value,
        (true, true) => WithEdges.Value,
        (false, false) => PlainNoLocal.Value,
        (true, false) => EdgesNoLocal.Value,
    };

    private static ServingHarness Harness(DeployedModel model, float[] views, double threshold, int cloudWorkers = 0) =>
        new(model, views, new AggregatorSettings
        {
            LocalThreshold = threshold, EdgeThreshold = 0, DeviceWaitMs = 1000, EdgeMapWaitMs = 1000, EdgeScoreWaitMs = 1000, CloudWaitMs = 5000,
            CloudMapWaitMs = 1000,
        }, cloudSettings: new FusionSettings { MapWaitMs = 1000 }, cloudWorkers: cloudWorkers) { WrapSamples = true };

    /// <summary>A local threshold between the 4th and 5th smallest local entropies of the views: half exit locally, half go on.</summary>
    private static double HalfwayThreshold(DeployedModel model, float[] views)
    {
        var probe = Harness(model, views, threshold: 2);
        var entropies = Enumerable.Range(0, Views).Select(i => (double)probe.Run(First + (uint)i).LocalEntropy).Order().ToArray();
        return (entropies[Views / 2 - 1] + entropies[Views / 2]) / 2;
    }

    private static int Held(ServingTier tier) => tier switch
    {
        DeviceTier d => d.HeldSamples,
        FusionTier f => f.HeldSamples,
        LocalAggregatorTier a => a.InFlight,
        CloudWorkerTier => 0, // holds no sample: it answers each job as it comes
        _ => throw new ArgumentOutOfRangeException(nameof(tier)),
    };

    /// <summary>
    /// With cloud workers the answers are those of the one gathering cloud, sample by sample (the in-memory network
    /// hands each job to one worker in turn, as a broker's shared subscription does), and both workers answer some.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TwoCloudWorkersAnswerEverySampleAsTheOneCloudDoes(bool edges)
    {
        var (model, views) = edges ? WithEdges.Value : Plain.Value;
        var threshold = HalfwayThreshold(model, views);
        var one = Harness(model, views, threshold);
        var two = Harness(model, views, threshold, cloudWorkers: 2);
        // The bundled path is one hop longer (maps to the aggregator, then the job), so only the latency differs.
        for (var i = 0; i < 2 * Views; i++) Same(one.Run(First + (uint)i), two.Run(First + (uint)i), latency: false);
        Assert.Contains(two.Outcomes, o => o.Tier == ExitTier.Cloud);
        var jobs = two.Aggregator.Counters.Published(ServingMessageKind.CloudJob);
        Assert.Equal(two.Outcomes.Count(o => o.Tier == ExitTier.Cloud), jobs);
        Assert.Equal(jobs, two.Workers.Sum(w => w.Counters.Answered));
        Assert.All(two.Workers, w => Assert.True(w.Counters.Answered > 0, $"{w.Id} answered no job"));
        Assert.All(two.All, t => Assert.Equal(0, t.Counters.TotalDrops));
    }

    /// <summary>
    /// Without a local exit (and with edges an edge threshold of 0) every sample goes to the cloud, the maps sent on the
    /// tick: two cloud workers answer each as <c>ddnn infer</c> (<see cref="CascadeRuntime"/>) does and as the one
    /// gathering cloud does, field by field but latency; the jobs are as many as the samples, each answered once, and
    /// both workers take some.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WithoutALocalExitTwoCloudWorkersAnswerEverySampleAsInferAndTheOneCloudDo(bool edges)
    {
        var (model, views) = Fixture(edges, local: false);
        Assert.Null(model.Local);
        var infer = new CascadeRuntime(model, new CascadeOptions { EdgeThreshold = 0 });
        var length = model.Devices.Length * model.ViewLength;
        var one = Harness(model, views, threshold: 0);
        var two = Harness(model, views, threshold: 0, cloudWorkers: 2);
        for (var i = 0; i < 2 * Views; i++)
        {
            var want = infer.Run(i, views.AsSpan(i % Views * length, length));
            var got = two.Run(First + (uint)i);
            Assert.Equal(ExitTier.Cloud, want.Tier);
            Assert.True(want.Tier == got.Tier && want.Prediction == got.Prediction && want.CloudPrediction == got.CloudPrediction && want.EdgePrediction == got.EdgePrediction,
                $"sample {i}: infer says {want.Tier} {want.Prediction} (edge {want.EdgePrediction}), two workers say {got.Tier} {got.Prediction} (edge {got.EdgePrediction})");
            Same(one.Run(First + (uint)i), got, latency: false);
        }
        var jobs = two.Aggregator.Counters.Published(ServingMessageKind.CloudJob);
        Assert.Equal(2 * Views, jobs);
        // No request on the tick; with edges the request after the edge stage only tells the edges to send their maps.
        Assert.Equal(edges ? 2 * Views : 0, two.Aggregator.Counters.Published(ServingMessageKind.CloudRequest));
        Assert.Equal(jobs, two.Workers.Sum(w => w.Counters.Answered));
        Assert.All(two.Workers, w => Assert.True(w.Counters.Answered > 0, $"{w.Id} answered no job"));
        Assert.All(two.All, t => Assert.Equal(0, t.Counters.TotalDrops));

        if (edges) return;
        // A device's scores, well formed and of this run, for a sample in flight: without a local exit the aggregator
        // takes no scores, so it drops them as a wrong kind (it has no local partition to read them with).
        var sample = First + 2 * Views;
        two.Network.RestartClock();
        Assert.True(two.Aggregator.Tick(sample));
        var scores = two.Message(b => WireMessage.WriteScores(0, sample, new float[model.Config.Classes], ScoreEncoding.Float32, null, b), ServingTag.Of(two.Fingerprint, two.Aggregator.RunId!.Value));
        two.Aggregator.OnMessage(two.Topics.To(new PartitionId(PartitionKind.Local), new PartitionId(PartitionKind.Device, 0)), scores);
        Assert.Equal(1, two.Aggregator.Counters[DropReason.BadKind]);
        two.Network.RunUntilIdle();
        Same(one.Run(sample), two.Outcomes[^1], latency: false);
    }

    [Theory]
    [InlineData(false, true, 0)]
    [InlineData(true, true, 0)]
    [InlineData(false, true, 1)]
    [InlineData(true, true, 1)]
    [InlineData(false, false, 0)]
    [InlineData(true, false, 0)]
    [InlineData(false, false, 2)]
    [InlineData(true, false, 2)]
    public void EveryTierDropsAndCountsEachFuzzMessageAndThenAnswersAsWithoutIt(bool edges, bool localExit, int cloudWorkers)
    {
        var (model, views) = Fixture(edges, localExit);
        // Without a local exit every sample goes to the cloud (edge threshold 0): the local threshold has nothing to decide.
        var threshold = localExit ? HalfwayThreshold(model, views) : 0;
        var clean = Harness(model, views, threshold, cloudWorkers);
        var expected = Enumerable.Range(0, 2 * Views).Select(i => clean.Run(First + (uint)i)).ToList();
        if (localExit) Assert.Contains(expected, o => o.Tier == ExitTier.Local);
        else Assert.All(expected, o => Assert.Equal(ExitTier.Cloud, o.Tier));
        Assert.Contains(expected, o => o.Tier == ExitTier.Cloud);

        var h = Harness(model, views, threshold, cloudWorkers);
        for (var i = 0; i < Views; i++) Same(expected[i], h.Run(First + (uint)i));
        Assert.All(h.All, t => Assert.Equal(0, t.Counters.TotalDrops));
        var held = h.All.ToDictionary(t => t.Id, Held);
        var published = h.All.ToDictionary(t => t.Id, t => Enum.GetValues<ServingMessageKind>().Sum(k => t.Counters.Published(k)));
        var logged = h.Log.Count;

        var fuzzer = new WireFuzzer(model, h.Fingerprint, h.Topics, runId: 1, seed: 14);
        var messages = fuzzer.Generate(FuzzMessages, newest: First + Views - 1, oversized: 3);
        Assert.All(fuzzer.Classes, c => Assert.Contains(messages, m => m.Class == c));
        Assert.DoesNotContain(messages, m => !fuzzer.Classes.Contains(m.Class));
        Assert.All(fuzzer.ReadTopics, t => Assert.Contains(messages, m => m.Topic == t));
        var drops = h.All.ToDictionary(t => t.Id, _ => new long[Enum.GetValues<DropReason>().Length]);
        foreach (var m in messages)
        {
            var receivers = WireFuzzer.Receivers(h.All, m.Topic).ToList();
            Assert.NotEmpty(receivers);
            foreach (var tier in receivers)
            {
                tier.OnMessage(m.Topic, m.Payload);
                drops[tier.Id][(int)WireFuzzer.Expected(m, tier.Id)]++;
                Assert.True(held[tier.Id] == Held(tier), $"{tier.Id}: {m.Class} on {m.Topic} changed the samples it holds");
            }
        }
        h.Network.RunUntilIdle(); // fires any timer a fuzz message could have set
        foreach (var tier in h.All)
            foreach (var reason in Enum.GetValues<DropReason>())
                Assert.True(drops[tier.Id][(int)reason] == tier.Counters[reason],
                    $"{tier.Id}: {reason}: {tier.Counters[reason]} counted, the fuzz classes it received make {drops[tier.Id][(int)reason]}");
        Assert.All(h.All, t => Assert.True(t.Counters.TotalDrops > 500, $"{t.Id} received {t.Counters.TotalDrops} fuzz messages"));
        Assert.All(h.All, t => Assert.Equal(published[t.Id], Enum.GetValues<ServingMessageKind>().Sum(k => t.Counters.Published(k))));
        Assert.All(h.All, t => Assert.Equal(held[t.Id], Held(t)));
        Assert.Equal(Views, h.Outcomes.Count);

        // The drop log: the simulated clock stood still through the fuzz, so one line per tier and reason, naming the topic.
        var lines = h.Log.Skip(logged).Where(l => l.Contains(": dropped ", StringComparison.Ordinal)).ToList();
        foreach (var tier in h.All)
            foreach (var reason in Enum.GetValues<DropReason>().Where(r => tier.Counters[r] > 0))
            {
                var line = Assert.Single(lines, l => l.StartsWith($"{tier.Id}: dropped {reason} on ddnn/test/", StringComparison.Ordinal));
                Assert.DoesNotContain(" more ", line, StringComparison.Ordinal);
            }

        var dropsAfterFuzz = h.All.ToDictionary(t => t.Id, t => t.Counters.TotalDrops);
        for (var i = Views; i < 2 * Views; i++) Same(expected[i], h.Run(First + (uint)i));
        Assert.All(h.All, t => Assert.Equal(dropsAfterFuzz[t.Id], t.Counters.TotalDrops));
    }

    [Fact]
    public void AFloodOfDistinctSampleIdsTheTiersAcceptKeepsEveryTiersStateAtItsCap()
    {
        // Ids one past another, each inside every window: devices serve the ticks and edges and the cloud take the maps
        // (the fuzz's far ids never get that far), so this is what could grow state if anything could.
        var (model, views) = WithEdges.Value;
        var threshold = HalfwayThreshold(model, views);
        var expected = Harness(model, views, threshold).Run(First);
        var h = Harness(model, views, threshold);
        Same(expected, h.Run(First));
        var edge0 = new PartitionId(PartitionKind.Edge, 0);
        var dev0 = new PartitionId(PartitionKind.Device, 0);
        var cloud = new PartitionId(PartitionKind.Cloud);
        var local = new PartitionId(PartitionKind.Local);
        var device = model.Devices[0];
        var deviceMap = new ulong[device.Features.Length];
        var last = model.Edges[0].Blocks[^1];
        var edgeMap = new ulong[last.OutputWords];
        var caps = h.All.ToDictionary(t => t.Id, t => t switch
        {
            DeviceTier d => d.Settings.KeptSamples,
            FusionTier f => f.Settings.MaxSamples,
            LocalAggregatorTier a => a.Settings.MaxInFlight,
            _ => 0,
        });
        const int flood = 20_000;
        for (uint i = 1; i <= flood; i++)
        {
            var sample = First + i;
            var tick = h.Message(b => WireMessage.WriteTick(sample, b));
            foreach (var d in h.Devices) d.OnMessage(h.Topics.Tick, tick);
            h.Edges[0].OnMessage(h.Topics.To(edge0, dev0), h.Message(b => WireMessage.WriteFeatures(0, sample, deviceMap, device.FeatureChannels, device.FeatureSize.Height, device.FeatureSize.Width, b)));
            h.Cloud.OnMessage(h.Topics.To(cloud, edge0), h.Message(b => WireMessage.WriteFeatures(0, sample, edgeMap, last.OutChannels, last.OutHeight, last.OutWidth, b)));
            h.Aggregator.OnMessage(h.Topics.To(local, dev0), h.Message(b => WireMessage.WriteScores(0, sample, [1f, 2f, 3f], ScoreEncoding.Float32, null, b)));
            foreach (var tier in h.All) Assert.True(Held(tier) <= caps[tier.Id], $"{tier.Id} holds {Held(tier)} samples, its cap is {caps[tier.Id]}");
        }
        Assert.All(h.Devices, d => Assert.Equal(d.Settings.KeptSamples, d.HeldSamples));
        Assert.Equal(flood, h.Aggregator.Counters[DropReason.TooFarAhead]); // it ticked none of them
        h.Network.RunUntilIdle(); // the devices' scores reach the aggregator (no such tick: dropped), held maps expire
        // Every map was held until it expired or gave way to a newer one (Expired), or was past the ahead window (TooFarAhead).
        foreach (var fusion in new FusionTier[] { h.Edges[0], h.Cloud })
        {
            Assert.Equal(flood, fusion.Counters[DropReason.Expired] + fusion.Counters[DropReason.TooFarAhead]);
            Assert.True(fusion.HeldSamples <= 1, $"{fusion.Id} still holds {fusion.HeldSamples} samples");
        }
        var after = h.Run(First + flood + Views); // the same view as First (flood is a multiple of Views)
        Assert.Equal(expected.Tier, after.Tier);
        Assert.Equal(expected.Prediction, after.Prediction);
        Assert.Equal(expected.LocalEntropy, after.LocalEntropy);
        Assert.Equal(expected.LatencyMs, after.LatencyMs);
        Assert.All(after.PresentAtLocal, Assert.True);
    }

    private static void Same(CascadeOutcome expected, CascadeOutcome actual, bool latency = true)
    {
        Assert.Equal(expected.Sample, actual.Sample);
        Assert.Equal(expected.Tier, actual.Tier);
        Assert.Equal(expected.Prediction, actual.Prediction);
        if (latency) Assert.Equal(expected.LatencyMs, actual.LatencyMs);
        Assert.Equal(expected.LocalPrediction, actual.LocalPrediction);
        Assert.Equal(expected.LocalEntropy, actual.LocalEntropy);
        Assert.Equal(expected.EdgePrediction, actual.EdgePrediction);
        Assert.Equal(expected.CloudPrediction, actual.CloudPrediction);
        Assert.Equal(expected.PresentAtLocal, actual.PresentAtLocal);
        Assert.Equal(expected.EdgesAnswered, actual.EdgesAnswered);
        Assert.False(actual.Degraded || actual.DeviceMissing);
    }

    [Fact]
    public void TheDropLogWritesOneLinePerReasonPerIntervalAndCountsWhatItHeldBack()
    {
        var clock = new ManualClock();
        var lines = new List<string>();
        var log = new DropLog("cloud", clock, lines.Add, intervalMs: 1000);
        log.Dropped(DropReason.BadSize, "ddnn/x/to/cloud/dev1");
        log.Dropped(DropReason.BadSize, "ddnn/x/to/cloud/dev2");
        log.Dropped(DropReason.TooOld, "ddnn/x/request/cloud");
        clock.NowMs = 999;
        log.Dropped(DropReason.BadSize, "ddnn/x/to/cloud/dev3");
        Assert.Equal(["cloud: dropped BadSize on ddnn/x/to/cloud/dev1", "cloud: dropped TooOld on ddnn/x/request/cloud"], lines);
        Assert.Equal(2, log.HeldBack(DropReason.BadSize));
        clock.NowMs = 1000;
        log.Dropped(DropReason.BadSize, "ddnn/x/to/cloud/dev4");
        Assert.Equal("cloud: dropped BadSize on ddnn/x/to/cloud/dev4 (and 2 more BadSize since the last such line)", lines[^1]);
        Assert.Equal(0, log.HeldBack(DropReason.BadSize));
        log.Dropped(DropReason.Expired, null);
        Assert.Equal("cloud: dropped Expired on (no topic: expired state)", lines[^1]);
        // A clock that restarts (the simulated network's, per sample) does not silence a reason for good.
        clock.NowMs = 0;
        log.Dropped(DropReason.BadSize, "ddnn/x/tick");
        Assert.Equal("cloud: dropped BadSize on ddnn/x/tick", lines[^1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DropLog("cloud", clock, lines.Add, double.NaN));
    }

    private sealed class ManualClock : IServingClock
    {
        public double NowMs { get; set; }
    }
}

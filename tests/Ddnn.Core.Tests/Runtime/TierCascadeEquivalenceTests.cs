using Ddnn.Core.Deploy;
using Ddnn.Core.Model;
using Ddnn.Core.Runtime;
using Ddnn.Core.Tests.Deploy;
using Ddnn.Core.Tests.Model;

namespace Ddnn.Core.Tests.Runtime;

/// <summary>
/// The tier-based <see cref="CascadeRuntime"/> (served tiers over the simulated network) against the straight-line
/// runtime it replaced: same outcome field by field, under thresholds that send samples to every exit, scripted
/// faults and seeded loss.
/// </summary>
public class TierCascadeEquivalenceTests
{
    private const int Samples = 10;

    public static IEnumerable<object[]> Configs()
    {
        foreach (var config in DeployTestModels.Configs()) yield return config;
        yield return ["edges, no local", DdnnBuilder.Devices(4).Input(1, 8, 8).Classes(3).DeviceBlocks(4).NoLocalExit()
            .Edge([0, 1], Aggregation.MaxPool, 5).Edge([2, 3], Aggregation.Concat, 5).Cloud(Aggregation.Concat, 4)];
    }

    private static readonly Dictionary<string, (DeployedModel Model, Tensor Views)> Models = [];

    private static (DeployedModel Model, Tensor Views) Fixture(string name, DdnnBuilder builder)
    {
        lock (Models)
        {
            if (Models.TryGetValue(name, out var fixture)) return fixture;
            var model = DeployTestModels.Create(builder, 77);
            return Models[name] = (DdnnExporter.Export(model), ModelTestData.Views(model.Config, Samples, 78));
        }
    }

    private static IEnumerable<(string Name, CascadeOptions Options)> Scenarios()
    {
        foreach (var t in new[] { 0.0, 0.3, 0.6, 2.0 })
        foreach (var te in new[] { 0.0, 0.4, 2.0 })
            yield return ($"T={t} Te={te}", new CascadeOptions { LocalThreshold = t, EdgeThreshold = te });
        yield return ("uint8 scores", new CascadeOptions { LocalThreshold = 0.5, EdgeThreshold = 0.5, Scores = Ddnn.Core.Inference.ScoreEncoding.UInt8 });
        yield return ("device 1 down 2..5", new CascadeOptions { LocalThreshold = 0.5, EdgeThreshold = 0.5, Faults = new FaultScript().DeviceDown(1, 2, 5) });
        yield return ("all devices down", new CascadeOptions { LocalThreshold = 0.5, Faults = new FaultScript().DeviceDown(0).DeviceDown(1).DeviceDown(2, 3, 9) });
        yield return ("device 0 late", new CascadeOptions { LocalThreshold = 0.5, EdgeThreshold = 0.3, Faults = new FaultScript().DeviceDelay(0, 30).DeviceDelay(1, 500, 4, 6) });
        yield return ("cloud down 3..6", new CascadeOptions { LocalThreshold = 0.4, EdgeThreshold = 0.3, Faults = new FaultScript().CloudDown(3, 6) });
        foreach (var seed in new ulong[] { 1, 2, 3, 4 })
        {
            var lossy = new CascadeOptions
            {
                LocalThreshold = 0.5, EdgeThreshold = 0.4, Seed = seed, Faults = new FaultScript().CloudDown(7, 7),
                DeviceToLocal = new LinkSpec(2, 250_000, 0.3, 20), DeviceToCloud = new LinkSpec(20, 1_000_000, 0.3, 100),
                LocalToCloud = new LinkSpec(20, 1e7, 0.3, 250),
            };
            yield return ($"loss seed {seed}", lossy);
            yield return ($"loss everywhere seed {seed}", lossy with
                {
                    DeviceToEdge = new LinkSpec(5, 1e6, 0.3, 50), EdgeToLocal = new LinkSpec(5, 1e6, 0.3, 50), EdgeToCloud = new LinkSpec(20, 1e7, 0.3, 100),
                });
        }
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void TiersGiveTheOutcomesOfTheStraightLineRuntime(string name, DdnnBuilder builder)
    {
        var (model, views) = Fixture(name, builder);
        var length = model.Devices.Length * model.ViewLength;
        var tiers = new Dictionary<ExitTier, int>();
        foreach (var (scenario, options) in Scenarios())
        {
            var reference = new ReferenceCascadeRuntime(model, options);
            var runtime = new CascadeRuntime(model, options);
            for (var s = 0; s < Samples; s++)
            {
                var sample = views.Data.AsSpan(s * length, length);
                var expected = reference.Run(s, sample);
                var actual = runtime.Run(s, sample);
                var where = $"{name}, {scenario}, sample {s}";
                Assert.True(Same(expected, actual, out var field), $"{where}: {field} differs: expected {Describe(expected)}, got {Describe(actual)}");
                tiers[actual.Tier] = tiers.GetValueOrDefault(actual.Tier) + 1;
            }
        }
        Assert.True(tiers.GetValueOrDefault(ExitTier.Local) > 0 || model.Local is null, "some samples exit locally");
        Assert.True(tiers.GetValueOrDefault(ExitTier.Cloud) > 0, "some samples exit at the cloud");
        if (model.Edges.Length > 0) Assert.True(tiers.GetValueOrDefault(ExitTier.Edge) > 0, "some samples exit at the edges");
    }

    [Fact]
    public void SamplesRunTwiceGiveTheSameOutcome()
    {
        var (model, views) = Fixture("MP-CC", (DdnnBuilder)DeployTestModels.Configs().First()[1]);
        var runtime = new CascadeRuntime(model, new CascadeOptions { LocalThreshold = 0.5 });
        var sample = views.Data.AsSpan(0, model.Devices.Length * model.ViewLength);
        var first = runtime.Run(3, sample);
        Assert.True(Same(first, runtime.Run(3, sample), out var field), field);
        Assert.All(runtime.Tiers, t => Assert.Equal(0, t.Counters.TotalDrops));
    }

    private static bool Same(CascadeOutcome a, CascadeOutcome b, out string field)
    {
        field = a.Sample != b.Sample ? "sample"
            : a.Tier != b.Tier ? "tier"
            : a.Prediction != b.Prediction ? "prediction"
            : Math.Abs(a.LatencyMs - b.LatencyMs) > 1e-9 ? "latency"
            : a.LocalPrediction != b.LocalPrediction ? "local prediction"
            : !a.LocalEntropy.Equals(b.LocalEntropy) ? "local entropy"
            : a.EdgePrediction != b.EdgePrediction ? "edge prediction"
            : !a.EdgeEntropy.Equals(b.EdgeEntropy) ? "edge entropy"
            : !a.EdgesAnswered.SequenceEqual(b.EdgesAnswered) ? "edges answered"
            : a.CloudPrediction != b.CloudPrediction ? "cloud prediction"
            : !a.PresentAtLocal.SequenceEqual(b.PresentAtLocal) ? "present at local"
            : !a.PresentAtCloud.SequenceEqual(b.PresentAtCloud) ? "present at cloud"
            : a.DeviceToLocalBytes != b.DeviceToLocalBytes ? "device->local bytes"
            : a.DeviceToCloudBytes != b.DeviceToCloudBytes ? "device->cloud bytes"
            : a.EdgeBytes != b.EdgeBytes ? "edge bytes"
            : a.LocalToCloudBytes != b.LocalToCloudBytes ? "local<->cloud bytes"
            : "";
        return field.Length == 0;
    }

    private static string Describe(CascadeOutcome o) =>
        $"{o.Tier} {o.Prediction} {o.LatencyMs:R} ms local {o.LocalPrediction}/{o.LocalEntropy} edge {o.EdgePrediction}/{o.EdgeEntropy} "
        + $"[{string.Concat(o.EdgesAnswered.Select(x => x ? '1' : '0'))}] cloud {o.CloudPrediction} "
        + $"at local {string.Concat(o.PresentAtLocal.Select(x => x ? '1' : '0'))} up {string.Concat(o.PresentAtCloud.Select(x => x ? '1' : '0'))} "
        + $"bytes {o.DeviceToLocalBytes}/{o.DeviceToCloudBytes}/{o.EdgeBytes}/{o.LocalToCloudBytes}";
}

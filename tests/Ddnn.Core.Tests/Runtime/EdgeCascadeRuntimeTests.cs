using Ddnn.Core.Deploy;
using Ddnn.Core.Model;
using Ddnn.Core.Runtime;
using Ddnn.Core.Tests.Deploy;
using Ddnn.Core.Tests.Model;

namespace Ddnn.Core.Tests.Runtime;

/// <summary>The cascade runtime with an edge tier, against <see cref="DeployedModel.Infer"/>, under scripted failures.</summary>
public class EdgeCascadeRuntimeTests
{
    private const int Samples = 8;

    private static readonly Lazy<(DeployedModel Model, Tensor Views)> Fixture = new(() =>
    {
        var model = DeployTestModels.Create(DdnnBuilder.Devices(4).Input(1, 8, 8).Classes(3).DeviceBlocks(4).LocalExit(Aggregation.MaxPool)
            .Edge([0, 1], Aggregation.Concat, 5).Edge([2, 3], Aggregation.MaxPool, 5).Cloud(Aggregation.Concat, 4), 51);
        return (DdnnExporter.Export(model), ModelTestData.Views(model.Config, Samples, 52));
    });

    private static ReadOnlySpan<float> Sample(int s)
    {
        var (model, views) = Fixture.Value;
        var length = model.Config.Devices * model.ViewLength;
        return views.Data.AsSpan(s * length, length);
    }

    /// <summary>Edge level (mean softmax of the edges with a present device, argmax, normalized entropy) and cloud prediction.</summary>
    private static (int Edge, float EdgeEntropy, int Cloud) Reference(int s, bool[] present)
    {
        var model = Fixture.Value.Model;
        var classes = model.Config.Classes;
        var outputs = model.Infer(Sample(s), present);
        var mean = new float[classes];
        var p = new float[classes];
        var count = 0;
        for (var e = 0; e < model.Edges.Length; e++)
        {
            if (!model.Config.Edges[e].Devices.Any(d => present[d])) continue;
            Kernels.Softmax.Forward(1, classes, outputs.Exits[model.Config.Devices + 1 + e], p);
            for (var j = 0; j < classes; j++) mean[j] += p[j];
            count++;
        }
        for (var j = 0; j < classes; j++) mean[j] *= 1f / count;
        var best = Array.IndexOf(mean, mean.Max());
        var h = mean.Where(q => q > 0).Sum(q => -q * Math.Log(q));
        var cloud = outputs.Exits[^1];
        return (best, (float)Math.Clamp(h / Math.Log(classes), 0, 1), Array.IndexOf(cloud, cloud.Max()));
    }

    [Fact]
    public void HealthyCascadeGoesThroughTheEdgesToTheCloud()
    {
        var runtime = new CascadeRuntime(Fixture.Value.Model, new CascadeOptions { LocalThreshold = 0, EdgeThreshold = 0 });
        for (var s = 0; s < Samples; s++)
        {
            var o = runtime.Run(s, Sample(s));
            var (edge, entropy, cloud) = Reference(s, [true, true, true, true]);
            Assert.Equal(ExitTier.Cloud, o.Tier);
            Assert.Equal(cloud, o.Prediction);
            Assert.Equal(edge, o.EdgePrediction);
            Assert.Equal(entropy, o.EdgeEntropy, 5);
            Assert.Equal([true, true], o.EdgesAnswered);
            Assert.Equal(4L * WireMessage.FeaturesBytes(4, 4, 4), o.DeviceToCloudBytes);
            Assert.Equal(2L * WireMessage.ScoresBytes(3, Ddnn.Core.Inference.ScoreEncoding.Float32) + 2L * WireMessage.FeaturesBytes(5, 4, 4), o.EdgeBytes);
        }
    }

    [Fact]
    public void ConfidentEdgeLevelExitsThere()
    {
        var runtime = new CascadeRuntime(Fixture.Value.Model, new CascadeOptions { LocalThreshold = 0, EdgeThreshold = 2 });
        for (var s = 0; s < Samples; s++)
        {
            var o = runtime.Run(s, Sample(s));
            Assert.Equal(ExitTier.Edge, o.Tier);
            Assert.Equal(Reference(s, [true, true, true, true]).Edge, o.Prediction);
            Assert.Equal(-1, o.CloudPrediction);
        }
    }

    [Fact]
    public void EdgeWithoutDevicesIsSilentAndTheRestCarriesOn()
    {
        var faults = new FaultScript().DeviceDown(0).DeviceDown(1);
        var runtime = new CascadeRuntime(Fixture.Value.Model, new CascadeOptions { LocalThreshold = 0, EdgeThreshold = 0, Faults = faults });
        for (var s = 0; s < Samples; s++)
        {
            var o = runtime.Run(s, Sample(s));
            var (edge, _, cloud) = Reference(s, [false, false, true, true]);
            Assert.Equal([false, true], o.EdgesAnswered);
            Assert.Equal(edge, o.EdgePrediction);
            Assert.Equal(ExitTier.Cloud, o.Tier);
            Assert.Equal(cloud, o.Prediction);
        }
    }

    [Fact]
    public void UnreachableCloudFallsBackToTheEdgeLevel()
    {
        var runtime = new CascadeRuntime(Fixture.Value.Model, new CascadeOptions { LocalThreshold = 0, EdgeThreshold = 0, Faults = new FaultScript().CloudDown() });
        var o = runtime.Run(0, Sample(0));
        Assert.Equal(ExitTier.EdgeFallback, o.Tier);
        Assert.True(o.Degraded);
        Assert.Equal(Reference(0, [true, true, true, true]).Edge, o.Prediction);
    }
}

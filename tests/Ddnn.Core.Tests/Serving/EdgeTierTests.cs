using Ddnn.Core.Deploy;
using Ddnn.Core.Model;
using Ddnn.Core.Runtime;
using Ddnn.Core.Serving;
using Ddnn.Core.Tests.Deploy;
using Ddnn.Core.Tests.Model;

namespace Ddnn.Core.Tests.Serving;

/// <summary>The served tiers of a model with edges: liveness of an edge, duplicated maps.</summary>
public class EdgeTierTests
{
    private static readonly Lazy<(DeployedModel Model, float[] Views)> Fixture = new(() =>
    {
        var model = DeployTestModels.Create(DdnnBuilder.Devices(4).Input(1, 8, 8).Classes(3).DeviceBlocks(4).LocalExit(Aggregation.MaxPool)
            .Edge([0, 1], Aggregation.Concat, 5).Edge([2, 3], Aggregation.MaxPool, 5).Cloud(Aggregation.Concat, 4), 51);
        return (DdnnExporter.Export(model), ModelTestData.Views(model.Config, 4, 52).Data);
    });

    private static ServingHarness Harness(double edgeThreshold) => new(Fixture.Value.Model, Fixture.Value.Views,
        new AggregatorSettings { LocalThreshold = 0, EdgeThreshold = edgeThreshold, DeviceWaitMs = 1000, EdgeMapWaitMs = 1000, EdgeScoreWaitMs = 1000, CloudWaitMs = 5000 },
        cloudSettings: new FusionSettings { MapWaitMs = 1000 });

    private static readonly PartitionId Edge1 = new(PartitionKind.Edge, 1);

    [Fact]
    public void AHealthySampleGoesThroughBothEdgesToTheCloud()
    {
        var h = Harness(edgeThreshold: 0);
        var o = h.Run(0);
        Assert.Equal(ExitTier.Cloud, o.Tier);
        Assert.Equal([true, true], o.EdgesAnswered);
        // Slowest device scores (2 + 3), edge request, maps to edges (5), edge scores (5), cloud request (10) to cloud and edges, edge maps (5), answer (10).
        Assert.Equal(5 + 5 + 5 + 10 + 5 + 10, o.LatencyMs);
        Assert.All(h.All, t => Assert.Equal(0, t.Counters.TotalDrops));
    }

    [Fact]
    public void AnEdgesWillStopsTheAggregatorAndTheCloudWaitingForIt()
    {
        var h = Harness(edgeThreshold: 0);
        h.Links.Silenced.Add(Edge1);
        h.Network.Connect(new PartitionId(PartitionKind.Device, 0)).Publish(h.Topics.Status(Edge1), h.Edges[1].WillPayload, Delivery.AtLeastOnce, true);
        h.Network.RunUntilIdle();
        var o = h.Run(0);
        Assert.Equal(ExitTier.Cloud, o.Tier);
        Assert.Equal([true, false], o.EdgesAnswered);
        Assert.Equal(5 + 5 + 5 + 10 + 5 + 10, o.LatencyMs);
        // Edge 1 still ran (it hears everything) but what it sent reached nobody; nothing waited for it.
        Assert.Equal(1, h.Edges[1].Counters.Published(ServingMessageKind.EdgeScores));
    }

    [Fact]
    public void DuplicatedAndForeignMapsAtAnEdgeAreCounted()
    {
        var h = Harness(edgeThreshold: 2);
        h.Run(0);
        var edge = h.Edges[0];
        var map = new ulong[h.Model.Devices[0].Features.Length];
        var (fh, fw) = h.Model.Devices[0].FeatureSize;
        var late = h.Message(b => WireMessage.WriteFeatures(1, 0, map, 4, fh, fw, b));
        edge.OnMessage(h.Topics.To(edge.Id, new PartitionId(PartitionKind.Device, 1)), late);
        Assert.Equal(1, edge.Counters[DropReason.Late]);
        var foreign = h.Message(b => WireMessage.WriteFeatures(2, 0, map, 4, fh, fw, b));
        edge.OnMessage(h.Topics.To(edge.Id, new PartitionId(PartitionKind.Device, 2)), foreign);
        Assert.Equal(1, edge.Counters[DropReason.UnexpectedSender]);
    }
}

/// <summary>The model fingerprint every tier computes from what it loaded.</summary>
public class ModelFingerprintTests
{
    [Fact]
    public void TheFingerprintSurvivesSavingAndLoadingTheWholeModelOrItsPartitions()
    {
        var model = DdnnExporter.Export(DeployTestModels.Create(DdnnBuilder.Devices(2).Input(1, 8, 8).Classes(3).DeviceBlocks(4)
            .LocalExit(Aggregation.MaxPool).Cloud(Aggregation.Concat, 4), 3));
        var fingerprint = ModelFingerprint.Of(model);
        var directory = Directory.CreateTempSubdirectory("ddnn-fingerprint-");
        try
        {
            var whole = Path.Combine(directory.FullName, "model.ddnnp");
            DeployFile.Save(model, whole);
            Assert.Equal(fingerprint, ModelFingerprint.OfDeployFile(File.ReadAllBytes(whole)));
            Assert.Equal(fingerprint, ModelFingerprint.Of(DeployFile.Load(whole)));
            File.Delete(whole);
            foreach (var id in PartitionId.AllOf(model)) DeployFile.SavePartition(model, id, Path.Combine(directory.FullName, id + ".ddnnp"));
            Assert.Equal(fingerprint, ModelFingerprint.Of(DeployedModelLoader.Load(directory.FullName)));
            var other = DdnnExporter.Export(DeployTestModels.Create(DdnnBuilder.Devices(2).Input(1, 8, 8).Classes(3).DeviceBlocks(4)
                .LocalExit(Aggregation.MaxPool).Cloud(Aggregation.Concat, 4), 4));
            Assert.NotEqual(fingerprint, ModelFingerprint.Of(other));
            Assert.Equal(64, fingerprint.ToString().Length);
        }
        finally { directory.Delete(recursive: true); }
    }
}

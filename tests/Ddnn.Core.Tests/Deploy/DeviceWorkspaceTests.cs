using Ddnn.Core.Deploy;
using Ddnn.Core.Model;
using Ddnn.Core.Tests.Model;
using Ddnn.Kernels;
using Ddnn.Kernels.Binary;
using Ddnn.TestSupport;

namespace Ddnn.Core.Tests.Deploy;

/// <summary>Device partitions run through explicit workspaces: same bits as the graph, no allocation, no sharing.</summary>
public class DeviceWorkspaceTests
{
    private const int Samples = 12;

    /// <summary>The MV-FMNIST f = 4 device shape (1x16x16, pool k3 s2 p1, 10 classes) the deploy benchmark measures.</summary>
    private static DdnnBuilder FashionMnistShape() =>
        DdnnBuilder.Devices(2).Input(1, 16, 16).Classes(10).DeviceBlocks(4).LocalExit(Aggregation.MaxPool).Cloud(Aggregation.Concat, 16, 16);

    [Fact]
    public void WorkspaceRunsGiveTheGraphsDeviceBitsAndLogitsOnEveryPath()
    {
        var model = DeployTestModels.Create(FashionMnistShape(), 70);
        var config = model.Config;
        var deployed = DdnnExporter.Export(model);
        var views = ModelTestData.Views(config, Samples, 71);
        DdnnOutputs graph;
        using (Autograd.NoGrad()) graph = model.Forward(views);
        var (fh, fw) = config.DeviceOutputSize;
        var f = config.DeviceOutputChannels;
        var expectedBits = new ulong[fh * fw * BitPacking.WordsFor(f)];
        var logits = new float[config.Classes];
        foreach (var path in KernelDispatch.Supported)
            using (KernelDispatch.Use(path))
                for (var d = 0; d < config.Devices; d++)
                {
                    var device = deployed.Devices[d];
                    var workspace = device.CreateWorkspace();
                    for (var s = 0; s < Samples; s++)
                    {
                        var view = views.Data.AsSpan((s * config.Devices + d) * deployed.ViewLength, deployed.ViewLength);
                        device.Run(view, logits, workspace);
                        BitPacking.PackNchw(graph.DeviceFeatures[d].Data.AsSpan(s * f * fh * fw, f * fh * fw), 1, f, fh, fw, expectedBits);
                        Assert.True(expectedBits.AsSpan().SequenceEqual(workspace.Features), $"path {path}: device {d} bits differ at sample {s}");
                        Assert.True(graph.Exits[d].Data.AsSpan(s * config.Classes, config.Classes).SequenceEqual(logits),
                            $"path {path}: device {d} logits differ at sample {s}");
                        var own = new float[config.Classes];
                        device.Run(view, own);
                        Assert.Equal(logits, own);
                        Assert.True(workspace.Features.SequenceEqual(device.Features), $"path {path}: own workspace differs at sample {s}");
                    }
                }
    }

    [Fact]
    public void ThreadsWithTheirOwnWorkspacesGetTheSequentialResults()
    {
        var deployed = DdnnExporter.Export(DeployTestModels.Create(FashionMnistShape(), 72));
        var device = deployed.Devices[0];
        var views = ModelTestData.Views(deployed.Config, Samples, 73).Data;
        var stride = deployed.Config.Devices * deployed.ViewLength;
        var expected = new float[Samples][];
        for (var s = 0; s < Samples; s++)
        {
            expected[s] = new float[deployed.Config.Classes];
            device.Run(views.AsSpan(s * stride, deployed.ViewLength), expected[s]);
        }
        var results = new float[4][][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            var workspace = device.CreateWorkspace();
            results[t] = new float[Samples * 20][];
            for (var i = 0; i < results[t].Length; i++)
            {
                results[t][i] = new float[deployed.Config.Classes];
                device.Run(views.AsSpan(i % Samples * stride, deployed.ViewLength), results[t][i], workspace);
            }
        });
        foreach (var run in results)
            for (var i = 0; i < run.Length; i++) Assert.Equal(expected[i % Samples], run[i]);
    }

    [Fact]
    public void AWorkspaceCountsItsRunsAndTheGroupsRecomputedInExactOrder()
    {
        var deployed = DdnnExporter.Export(DeployTestModels.Create(FashionMnistShape(), 73));
        var device = deployed.Devices[0];
        var workspace = device.CreateWorkspace();
        var views = ModelTestData.Views(deployed.Config, 20, 72).Data;
        var stride = deployed.Config.Devices * deployed.ViewLength;
        var logits = new float[deployed.Config.Classes];
        for (var s = 0; s < 20; s++) device.Run(views.AsSpan(s * stride, deployed.ViewLength), logits, workspace);
        Assert.Equal(20, workspace.Runs);
        // f = 4: one channel group per sample, one-sided finite thresholds, so every sample tries the shortcut
        Assert.Equal(20, workspace.FirstBlockStats.SplitSumGroupsTried);
        Assert.InRange(workspace.FirstBlockStats.SplitSumGroupsRecomputed, 0, 19); // the shortcut decides most samples

        var notFinite = views.AsSpan(0, deployed.ViewLength).ToArray();
        notFinite[5] = float.NaN;
        var before = workspace.FirstBlockStats.SplitSumGroupsRecomputed;
        device.Run(notFinite, logits, workspace);
        Assert.Equal(21, workspace.Runs);
        Assert.Equal(before + 1, workspace.FirstBlockStats.SplitSumGroupsRecomputed); // a NaN input goes to the exact order
        Assert.Equal(21, workspace.FirstBlockStats.SplitSumGroupsTried);
        Assert.Equal((before + 1) / 21.0, workspace.FirstBlockStats.RecomputedFraction);
        Assert.Equal(default, deployed.Devices[1].OwnFirstBlockStats);
        Assert.True(double.IsNaN(deployed.Devices[1].OwnFirstBlockStats.RecomputedFraction)); // nothing tried yet
    }

    [Fact]
    public void ARunAllocatesNothing()
    {
        var deployed = DdnnExporter.Export(DeployTestModels.Create(FashionMnistShape(), 74));
        var device = deployed.Devices[1];
        var workspace = device.CreateWorkspace();
        var view = ModelTestData.Views(deployed.Config, 1, 75).Data.AsSpan(deployed.ViewLength, deployed.ViewLength).ToArray();
        var logits = new float[deployed.Config.Classes];
        for (var i = 0; i < 50; i++) { device.Run(view, logits, workspace); device.Run(view, logits); }
        WarmAllocation.AssertNone(() =>
        {
            for (var i = 0; i < 100; i++) { device.Run(view, logits, workspace); device.Run(view, logits); }
        }, "100 device runs");
    }

    [Fact]
    public void AWorkspaceOfAnotherPartitionIsRefused()
    {
        var deployed = DdnnExporter.Export(DeployTestModels.Create(FashionMnistShape(), 76));
        var error = Assert.Throws<ArgumentException>(() =>
            deployed.Devices[0].Run(new float[deployed.ViewLength], new float[deployed.Config.Classes], deployed.Devices[1].CreateWorkspace()));
        Assert.Equal("workspace", error.ParamName);
        Assert.Contains("device 1's partition", error.Message);
        Assert.Throws<ArgumentNullException>("workspace", () =>
            deployed.Devices[0].Run(new float[deployed.ViewLength], new float[deployed.Config.Classes], null!));
        Assert.Throws<ArgumentException>("input", () =>
            deployed.Devices[0].Run(new float[3], new float[deployed.Config.Classes], deployed.Devices[0].CreateWorkspace()));
    }
}

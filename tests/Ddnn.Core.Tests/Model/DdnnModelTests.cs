using Ddnn.Core.Model;

namespace Ddnn.Core.Tests.Model;

/// <summary>Every paper Fig. 2 configuration, every local-cloud scheme and the float variant build and train.</summary>
public class DdnnModelTests
{
    private const int Batch = 4;

    public static TheoryData<string, DdnnConfig> Figure2Configurations() => DdnnConfigTests.Figure2Configurations();

    public static TheoryData<int> PaperSchemes()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < AggregationNames.PaperSchemes.Count; i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Figure2Configurations))]
    public void Figure2ConfigurationRunsForwardAndBackward(string name, DdnnConfig config) => TrainStep(name, config);

    [Theory]
    [MemberData(nameof(PaperSchemes))]
    public void EveryPaperSchemeRunsForwardAndBackward(int scheme)
    {
        var (local, cloud) = AggregationNames.PaperSchemes[scheme];
        TrainStep(AggregationNames.SchemeName(local, cloud), DdnnBuilder.Devices(3).Input(1, 12, 12).Classes(4).DeviceBlocks(4)
            .LocalExit(local).Cloud(cloud, 8).Build());
    }

    [Fact]
    public void FloatVariantRunsWithEdgesAndAConcatLocalExit()
    {
        var config = DdnnBuilder.Devices(4).Input(2, 12, 12).Classes(5).Binary(false).DeviceBlocks(4, 6)
            .LocalExit(Aggregation.Concat).Edge([0, 1], Aggregation.MaxPool, 8).Edge([2, 3], Aggregation.Concat)
            .Cloud(Aggregation.Concat, 8).Build();
        var model = TrainStep("float", config);
        Assert.All(model.Devices, d => Assert.All(d.Blocks, b => Assert.False(b.IsBinary)));
        Assert.False(model.CloudExit.IsBinary);
        Assert.DoesNotContain(model.NamedParameters(), p => p.Parameter.IsBinaryLatent);
    }

    [Fact]
    public void BinaryModelMarksEveryConvAndLinearWeightAsLatent()
    {
        var model = new DdnnModel(DdnnBuilder.Devices(2).LocalExit(Aggregation.Concat).Edge([0, 1], Aggregation.Concat, 8).Cloud(Aggregation.Concat, 8).Build());
        foreach (var (name, p) in model.NamedParameters())
        {
            var latent = (name.EndsWith("conv.weight", StringComparison.Ordinal) || name.EndsWith("fc.weight", StringComparison.Ordinal));
            Assert.True(latent == p.IsBinaryLatent, $"{name}: IsBinaryLatent {p.IsBinaryLatent}");
        }
    }

    [Fact]
    public void NamesFollowTheDocumentedSchemeForEveryPart()
    {
        var config = DdnnBuilder.Devices(2).Input(1, 16, 16).Classes(3).DeviceBlocks(4, 8).LocalExit(Aggregation.Concat)
            .Edge([0], Aggregation.Concat, 8, 8).Edge([1], Aggregation.Concat, 8, 8).Cloud(Aggregation.Concat, 16).Build();
        var model = new DdnnModel(config);
        var names = model.NamedParameters().Select(p => p.Name).ToList();
        string[] expected =
        [
            "dev0.conv.weight", "dev0.conv.bias", "dev0.bn.weight", "dev0.bn.bias",
            "dev0.block1.conv.weight", "dev0.block1.conv.bias", "dev0.block1.bn.weight", "dev0.block1.bn.bias",
            "dev0.exit.fc.weight", "dev0.exit.fc.bias", "dev0.exit.bn.weight", "dev0.exit.bn.bias",
        ];
        Assert.Equal(expected, names.Take(expected.Length));
        Assert.Contains("dev1.block1.bn.bias", names);
        Assert.Contains("local_exit.fc.weight", names);
        Assert.Contains("edge0.block0.conv.weight", names);
        Assert.Contains("edge1.block1.bn.weight", names);
        Assert.Contains("edge1.exit.fc.weight", names);
        Assert.Contains("cloud0.conv.weight", names);
        Assert.Equal("cloud_exit.bn.bias", names[^1]);
        Assert.Equal(["dev0", "dev1", "local", "edge0", "edge1", "cloud"], model.ExitNames);
        Assert.Contains("dev0.block1.bn.running_var", model.NamedBuffers().Select(b => b.Name));
        // Device block 1 (8 filters) pools 16 -> 8 -> 4: its exit sees 8*4*4 features; local CC sees 2 devices * 3 classes.
        Assert.Equal([3, 128], model.Devices[0].Exit.FC.Weight.Shape);
        Assert.Equal([3, 6], model.LocalExit!.FC.Weight.Shape);
        Assert.Equal([16, 16, 3, 3], model.CloudBlocks[0].Conv.Weight.Shape);
    }

    [Fact]
    public void ConstructionIsDeterministicAndUsesTheConfiguredBatchNorm()
    {
        var config = DdnnBuilder.Devices(2).BatchNorm(1e-3f, 0.25f).Build();
        var a = new DdnnModel(config);
        var b = new DdnnModel(config);
        var sa = a.StateTensors();
        var sb = b.StateTensors();
        Assert.Equal(sa.Count, sb.Count);
        for (var i = 0; i < sa.Count; i++) Assert.Equal(sa[i].Tensor.ToArray(), sb[i].Tensor.ToArray());
        Assert.All(a.Devices, d => Assert.Equal(1e-3f, d.Blocks[0].BN.Eps));
        Assert.Equal(0.25f, a.CloudExit.BN.Momentum);
        Assert.Equal(0.25f, a.CloudBlocks[1].BN.Momentum);
    }

    [Fact]
    public void ExitLossWeightsFollowTheConfiguration()
    {
        var config = DdnnBuilder.Devices(2).LocalExit(Aggregation.MaxPool).Edge([0, 1], Aggregation.Concat, 8).Cloud(Aggregation.Concat, 8)
            .ExitWeights(new ExitWeights { Device = 0.5f, Local = 2f, Edge = 3f, Cloud = 4f }).Build();
        var model = new DdnnModel(config);
        Assert.Equal([0.5f, 0.5f, 2f, 3f, 4f], model.ExitLossWeights);
    }

    [Fact]
    public void EvalForwardLeavesBuffersUnchangedAndTrainForwardUpdatesThem()
    {
        var config = DdnnBuilder.Devices(2).Input(1, 8, 8).Classes(3).Cloud(Aggregation.Concat, 4).Build();
        var model = ModelTestData.Randomize(new DdnnModel(config), 3);
        var views = ModelTestData.Views(config, Batch, 4);
        var before = model.NamedBuffers().Select(b => b.Tensor.ToArray()).ToList();
        model.Eval();
        using (Autograd.NoGrad()) model.Forward(views);
        Assert.Equal(before, model.NamedBuffers().Select(b => b.Tensor.ToArray()).ToList());
        model.Train();
        model.Forward(views);
        var after = model.NamedBuffers().Select(b => b.Tensor.ToArray()).ToList();
        for (var i = 0; i < after.Count; i++) Assert.NotEqual(before[i], after[i]);
    }

    [Fact]
    public void ForwardInsideAReusedGraphIsRepeatableBitForBit()
    {
        var config = DdnnBuilder.Devices(3).Input(1, 8, 8).Classes(4).LocalExit(Aggregation.Concat).Edge([0, 1], Aggregation.MaxPool, 4)
            .Edge([2], Aggregation.Concat).Cloud(Aggregation.Concat, 4).Build();
        var model = ModelTestData.Randomize(new DdnnModel(config), 5);
        model.Eval();
        var views = ModelTestData.Views(config, Batch, 6);
        var graph = new Graph();
        float[][]? first = null;
        for (var pass = 0; pass < 3; pass++)
        {
            using (graph.Activate())
            {
                var exits = model.Forward(views).Exits.Select(t => t.ToArray()).ToArray();
                first ??= exits;
                Assert.Equal(first, exits);
            }
            graph.Release();
        }
    }

    private static DdnnModel TrainStep(string name, DdnnConfig config)
    {
        var model = ModelTestData.Randomize(new DdnnModel(config), 11);
        model.Train();
        var views = ModelTestData.Views(config, Batch, 12);
        var outputs = model.Forward(views);
        Assert.Equal(model.ExitNames.Count, outputs.Exits.Count);
        Assert.Equal(config.Devices, outputs.DeviceFeatures.Count);
        Assert.Equal(config.HasLocalExit, outputs.LocalLogits is not null);
        Assert.Equal(config.Edges.Count, outputs.EdgeLogits.Count);
        var (h, w) = config.DeviceOutputSize;
        foreach (var f in outputs.DeviceFeatures) Assert.Equal([Batch, config.DeviceOutputChannels, h, w], f.Shape);
        foreach (var logits in outputs.Exits) Assert.Equal([Batch, config.Classes], logits.Shape);
        var loss = ModelTestData.Loss(model, outputs, ModelTestData.Labels(config, Batch, 13));
        Assert.True(float.IsFinite(loss.Data[0]) && loss.Data[0] > 0, $"{name}: loss {loss.Data[0]}");
        Autograd.Backward(loss);
        foreach (var (pname, p) in model.NamedParameters())
        {
            Assert.True(p.HasGrad, $"{name}: {pname} got no gradient");
            Assert.True(ModelTestData.AllFinite(p.Grad), $"{name}: {pname} has a non-finite gradient");
        }
        // Gradients are not all (mathematically) zero: the weights that feed each exit learn.
        foreach (var (pname, p) in model.NamedParameters())
            if (pname.EndsWith("bn.weight", StringComparison.Ordinal))
                Assert.True(p.Grad.ToArray().Any(g => g != 0), $"{name}: {pname} has an all-zero gradient");
        return model;
    }
}

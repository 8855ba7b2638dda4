using Ddnn.Core.Model;

namespace Ddnn.Core.Tests.Model;

/// <summary>Absent devices: aggregators see only present devices, CC slots are zeros, no fused gradient reaches them.</summary>
public class DdnnModelMaskTests
{
    private const int Batch = 5;

    private static DeviceMask Mask(int devices)
    {
        // Sample 0 all present; sample 1 lacks device 1; sample 2 has only device 2; sample 3 lacks 0 and 1; sample 4 only device 0.
        var mask = new DeviceMask(Batch, devices);
        mask.Set(1, 1, false);
        for (var d = 0; d < devices; d++) mask.Set(2, d, d == 2);
        mask.Set(3, 0, false);
        mask.Set(3, 1, false);
        for (var d = 1; d < devices; d++) mask.Set(4, d, false);
        return mask;
    }

    [Theory]
    [InlineData(Aggregation.MaxPool)]
    [InlineData(Aggregation.AveragePool)]
    public void LocalMaxAndMeanUseOnlyPresentDevices(Aggregation aggregation)
    {
        var config = DdnnBuilder.Devices(3).Input(1, 8, 8).Classes(4).LocalExit(aggregation).Cloud(Aggregation.Concat, 4).Build();
        var model = ModelTestData.Randomize(new DdnnModel(config), 21);
        var mask = Mask(3);
        var outputs = model.Forward(ModelTestData.Views(config, Batch, 22), mask);
        var local = outputs.LocalLogits!;
        for (var b = 0; b < Batch; b++)
            for (var c = 0; c < config.Classes; c++)
            {
                var values = Enumerable.Range(0, 3).Where(d => mask.IsPresent(b, d))
                    .Select(d => outputs.DeviceLogits[d].Data[b * config.Classes + c]).ToArray();
                var expected = aggregation == Aggregation.MaxPool ? values.Max() : values.Sum() / values.Length;
                Assert.Equal(expected, local.Data[b * config.Classes + c], 5);
            }
    }

    [Fact]
    public void CloudConcatSlotOfAnAbsentDeviceIsZeroAndPresentSlotsAreTheDeviceMaps()
    {
        var config = DdnnBuilder.Devices(3).Input(1, 8, 8).Classes(4).DeviceBlocks(2).LocalExit(Aggregation.Concat).Cloud(Aggregation.Concat, 4).Build();
        var model = ModelTestData.Randomize(new DdnnModel(config), 23);
        var mask = Mask(3);
        var activations = new Dictionary<string, Tensor>();
        var outputs = model.Forward(ModelTestData.Views(config, Batch, 24), mask, activations);
        var cloudIn = activations["cloud.in"];
        Assert.Equal([Batch, 6, 4, 4], cloudIn.Shape);
        var slot = 2 * 4 * 4;
        for (var b = 0; b < Batch; b++)
            for (var d = 0; d < 3; d++)
            {
                var actual = cloudIn.Data.AsSpan((b * 3 + d) * slot, slot).ToArray();
                var expected = mask.IsPresent(b, d) ? outputs.DeviceFeatures[d].Data.AsSpan(b * slot, slot).ToArray() : new float[slot];
                Assert.Equal(expected, actual);
                if (mask.IsPresent(b, d)) Assert.All(actual, v => Assert.True(v is 1f or -1f));
            }
    }

    [Fact]
    public void EdgeFusionSeesOnlyItsPresentDevicesAndAnEmptyEdgeIsAZeroCloudSlot()
    {
        var config = DdnnBuilder.Devices(3).Input(1, 8, 8).Classes(4).NoLocalExit()
            .Edge([0, 1], Aggregation.MaxPool).Edge([2], Aggregation.AveragePool).Cloud(Aggregation.Concat, 4).Build();
        var model = ModelTestData.Randomize(new DdnnModel(config), 25);
        var mask = Mask(3);
        var activations = new Dictionary<string, Tensor>();
        var outputs = model.Forward(ModelTestData.Views(config, Batch, 26), mask, activations);
        var edge0 = activations["edge0.in"];
        var slot = 4 * 4 * 4;
        for (var b = 0; b < Batch; b++)
            for (var i = 0; i < slot; i++)
            {
                var present = new[] { 0, 1 }.Where(d => mask.IsPresent(b, d)).Select(d => outputs.DeviceFeatures[d].Data[b * slot + i]).ToArray();
                Assert.Equal(present.Length == 0 ? 0f : present.Max(), edge0.Data[b * slot + i]);
            }
        // Edges without blocks send their fused map; sample 3 has neither device 0 nor 1, so edge 0's cloud slot is zero.
        var cloudIn = activations["cloud.in"];
        Assert.All(cloudIn.Data.AsSpan(3 * 2 * slot, slot).ToArray(), v => Assert.Equal(0f, v));
        // Sample 2 lacks edge 0's devices as well.
        Assert.All(cloudIn.Data.AsSpan(2 * 2 * slot, slot).ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(outputs.DeviceFeatures[2].Data.AsSpan(3 * slot, slot).ToArray(), cloudIn.Data.AsSpan((3 * 2 + 1) * slot, slot).ToArray());
    }

    [Theory]
    [InlineData("MP-CC")]
    [InlineData("AP-AP")]
    [InlineData("CC-MP")]
    public void NoFusedExitGradientReachesAnAbsentDevice(string scheme)
    {
        var config = DdnnBuilder.Devices(3).Input(1, 8, 8).Classes(4).Scheme(scheme).Cloud(AggregationNames.ParseScheme(scheme).Cloud, 4).Build();
        var model = ModelTestData.Randomize(new DdnnModel(config), 27);
        var mask = Mask(3);
        mask.SetDevice(1, false); // device 1 absent for every sample: its batch statistics cannot leak either.
        var outputs = model.Forward(ModelTestData.Views(config, Batch, 28), mask);
        var loss = ModelTestData.Loss(model, outputs, ModelTestData.Labels(config, Batch, 29), exit => !exit.StartsWith("dev", StringComparison.Ordinal));
        Autograd.Backward(loss);
        foreach (var (name, p) in model.NamedParameters())
        {
            if (name.StartsWith("dev1.", StringComparison.Ordinal))
                Assert.True(!p.HasGrad || p.Grad.ToArray().All(g => g == 0), $"{scheme}: absent device parameter {name} got a gradient");
            else if (name.StartsWith("dev0.conv.weight", StringComparison.Ordinal) || name.StartsWith("dev2.conv.weight", StringComparison.Ordinal))
                Assert.True(p.HasGrad && p.Grad.ToArray().Any(g => g != 0), $"{scheme}: present device parameter {name} got no gradient");
        }
    }

    [Fact]
    public void InEvalModeAnAbsentDevicesInputDoesNotChangeAnyFusedExit()
    {
        var config = DdnnBuilder.Devices(3).Input(1, 8, 8).Classes(4).DeviceBlocks(3).LocalExit(Aggregation.Concat)
            .Edge([0, 1], Aggregation.Concat, 4).Edge([2], Aggregation.Concat, 4).Cloud(Aggregation.MaxPool, 4).Build();
        var model = ModelTestData.Randomize(new DdnnModel(config), 31);
        model.Eval();
        var mask = Mask(3);
        var views = ModelTestData.Views(config, Batch, 32);
        using var _ = Autograd.NoGrad();
        var a = model.Forward(views, mask);
        var changed = views.ToArray();
        var view = 8 * 8;
        for (var b = 0; b < Batch; b++)
            for (var d = 0; d < 3; d++)
                if (!mask.IsPresent(b, d)) changed.AsSpan((b * 3 + d) * view, view).Fill(0.5f);
        var c = model.Forward(Tensor.FromValues(changed, views.Shape), mask);
        for (var i = 0; i < model.ExitNames.Count; i++)
            if (!model.ExitNames[i].StartsWith("dev", StringComparison.Ordinal))
                Assert.Equal(a.Exits[i].ToArray(), c.Exits[i].ToArray());
    }

    [Fact]
    public void AllPresentMaskEqualsNoMask()
    {
        var config = DdnnBuilder.Devices(3).Input(1, 8, 8).Classes(4).LocalExit(Aggregation.Concat).Cloud(Aggregation.AveragePool, 4).Build();
        var model = ModelTestData.Randomize(new DdnnModel(config), 33);
        model.Eval();
        var views = ModelTestData.Views(config, Batch, 34);
        using var _ = Autograd.NoGrad();
        var a = model.Forward(views);
        var b = model.Forward(views, new DeviceMask(Batch, 3));
        for (var i = 0; i < a.Exits.Count; i++) Assert.Equal(a.Exits[i].ToArray(), b.Exits[i].ToArray());
    }
}

using Ddnn.Core.Deploy;
using Ddnn.Core.Inference;
using Ddnn.Core.Model;
using Ddnn.Core.Tests.Model;
using Ddnn.Kernels;
using Ddnn.Kernels.Binary;

namespace Ddnn.Core.Tests.Deploy;

/// <summary>Packed partitions against the training graph in eval mode, sample by sample, on every kernel path.</summary>
public class PackedInferenceTests
{
    private const int Samples = 24;

    public static IEnumerable<object[]> Configs() => DeployTestModels.Configs();

    [Theory]
    [MemberData(nameof(Configs))]
    public void AllPresentMatchesTheGraphOnEveryKernelPath(string name, DdnnBuilder builder)
    {
        foreach (var path in KernelDispatch.Supported)
            using (KernelDispatch.Use(path))
                CheckAgainstGraph($"{name} [{path}]", builder, _ => null);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void AbsentDevicesMatchTheGraph(string name, DdnnBuilder builder) =>
        CheckAgainstGraph(name, builder, config => DeployTestModels.RandomMask(config, Samples, 42));

    [Theory]
    [InlineData(Aggregation.Concat)]
    [InlineData(Aggregation.MaxPool)]
    [InlineData(Aggregation.AveragePool)]
    public void EdgeWithAllItsDevicesAbsentMatchesTheGraph(Aggregation aggregation)
    {
        var builder = DdnnBuilder.Devices(4).Input(1, 8, 8).Classes(3).DeviceBlocks(4).NoLocalExit()
            .Edge([0, 1], aggregation, 5).Edge([2, 3], Aggregation.Concat, 5).Cloud(Aggregation.Concat, 4);
        CheckAgainstGraph($"edge {aggregation.ToShortName()}", builder, config =>
        {
            var mask = new DeviceMask(Samples, config.Devices);
            for (var s = 0; s < Samples; s++)
                for (var d = 0; d < config.Devices; d++)
                    mask.Set(s, d, s % 3 == 0 || d >= 2 ? true : s % 3 == 1 && d == 1);
            return mask;
        });
    }

    [Fact]
    public void FloatModelsAreRefusedWithAClearError()
    {
        var config = DdnnBuilder.Devices(2).Input(1, 8, 8).Classes(3).Binary(false).Cloud(Aggregation.Concat, 4).Build();
        var error = Assert.Throws<ArgumentException>(() => DdnnExporter.Export(new DdnnModel(config)));
        Assert.Contains("packed export needs a binary model", error.Message);
    }

    [Fact]
    public void EdgesWithoutBlocksAreRefusedWithAClearError()
    {
        var config = DdnnBuilder.Devices(2).Input(1, 8, 8).Classes(3).Edge([0, 1], Aggregation.Concat).Cloud(Aggregation.Concat, 4).Build();
        var error = Assert.Throws<ArgumentException>(() => DdnnExporter.Export(new DdnnModel(config)));
        Assert.Contains("edges[0] has none", error.Message);
    }

    [Fact]
    public void DevicePartitionReportsItsMemoryNextToThePaperCount()
    {
        var model = DeployTestModels.Create(DdnnBuilder.Devices(2).Input(1, 16, 16).Classes(10).DeviceBlocks(4), 5);
        var device = DdnnExporter.Export(model).Devices[0];
        var paperBits = new CommunicationLedger(model.Config).DeviceMemoryBits;
        // Packed: 4x1x9 weight bits in 4 words, 4 int thresholds, 10x(8x8 pixels, 1 word) exit words, 10 x (bias, scale, shift).
        Assert.Equal(4 * 9 * 8 + 4 * 8 + 10 * 64 * 8 + 10 * 12, device.ParameterBytes);
        Assert.Equal(4 * 9 + 5 * 32 * 4 + 10 * 256 + 5 * 32 * 10, paperBits);
        // Tight: 36 weight bits + 4 x (float bias, float threshold), 10 x 256 exit bits + 10 x 96 (folding drops BN's four floats per channel).
        Assert.Equal(4 * 9 + 64 * 4 + 10 * 256 + 96 * 10, device.TightParameterBits);
        Assert.True(device.PeakWorkingBytes > 4 * 256, "the float input alone is 1 KiB");
    }

    private static void CheckAgainstGraph(string name, DdnnBuilder builder, Func<DdnnConfig, DeviceMask?> makeMask)
    {
        var model = DeployTestModels.Create(builder, 40);
        var config = model.Config;
        var deployed = DdnnExporter.Export(model);
        var views = ModelTestData.Views(config, Samples, 41);
        var mask = makeMask(config);
        DdnnOutputs graph;
        using (Autograd.NoGrad()) graph = model.Forward(views, mask);
        var graphScores = DdnnScoring.ScoreAll(model, graph);
        Assert.Equal(model.ExitNames, deployed.ExitNames);

        var viewLength = config.Devices * deployed.ViewLength;
        var (fh, fw) = config.DeviceOutputSize;
        var f = config.DeviceOutputChannels;
        var featureWords = fh * fw * BitPacking.WordsFor(f);
        var expectedBits = new ulong[featureWords];
        var present = new bool[config.Devices];
        long ones = 0, bits = 0;
        for (var s = 0; s < Samples; s++)
        {
            for (var d = 0; d < config.Devices; d++) present[d] = mask?.IsPresent(s, d) ?? true;
            var outputs = deployed.Infer(views.Data.AsSpan(s * viewLength, viewLength), present);
            for (var d = 0; d < config.Devices; d++)
            {
                BitPacking.PackNchw(graph.DeviceFeatures[d].Data.AsSpan(s * f * fh * fw, f * fh * fw), 1, f, fh, fw, expectedBits);
                Assert.True(expectedBits.AsSpan().SequenceEqual(outputs.DeviceFeatures[d]), $"{name}: device {d} feature bits differ at sample {s}");
                foreach (var word in expectedBits) ones += System.Numerics.BitOperations.PopCount(word);
                bits += f * fh * fw;
            }
            for (var e = 0; e < model.ExitNames.Count; e++)
            {
                var exitName = model.ExitNames[e];
                var expected = graph.Exits[e].Data.AsSpan(s * config.Classes, config.Classes);
                var actual = outputs.Exits[e];
                for (var c = 0; c < config.Classes; c++)
                    Assert.True(Math.Abs(expected[c] - actual[c]) <= 1e-4f * (1 + Math.Abs(expected[c])),
                        $"{name}: exit {exitName} sample {s} class {c}: graph {expected[c]}, packed {actual[c]}");
                var scores = DdnnScoring.Score(Tensor.FromValues(actual, 1, config.Classes), exitName);
                Assert.True(graphScores[e].Predictions[s] == scores.Predictions[0], $"{name}: exit {exitName} prediction differs at sample {s}");
                Assert.True(Math.Abs(graphScores[e].Entropies[s] - scores.Entropies[0]) <= 1e-5f, $"{name}: exit {exitName} entropy differs at sample {s}");
                if (exitName.StartsWith("dev", StringComparison.Ordinal))
                    Assert.True(expected.SequenceEqual(actual), $"{name}: device exit {exitName} logits are not bit-identical at sample {s}");
            }
        }
        // The thresholds are not degenerate: features carry both signs in sizeable numbers.
        Assert.InRange(ones, bits / 10, bits - bits / 10);
    }
}

using Ddnn.Core.Inference;
using Ddnn.Core.Layers;
using Ddnn.Core.Model;
using Ddnn.Kernels.Binary;

namespace Ddnn.Core.Deploy;

/// <summary>
/// Exports a trained binary <see cref="DdnnModel"/> into packed partitions (<see cref="DeployedModel"/>) whose
/// predictions equal the model's eval-mode forward.
/// </summary>
/// <remarks>
/// Refused (ArgumentException): float models ("packed export needs a binary model") and edges without blocks (they would
/// forward a fused map that is not ±1 bits). Exactness: binary blocks and exits on packed input reproduce the graph's
/// float expressions on exact integer accumulators, so their bits and logits are identical; float-input layers (the first
/// device layer, the first block after an AP fusion, the CC local exit) sum floats in their own order, so their
/// pre-activations may differ from the graph's GEMM in the last bit.
/// </remarks>
public static class DdnnExporter
{
    /// <summary>
    /// Exports every partition of <paramref name="model"/> (its current parameters and running statistics); devices
    /// will send their class scores to the local aggregator as <paramref name="scores"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The model is not binary, or an edge has no blocks.</exception>
    public static DeployedModel Export(DdnnModel model, ScoreEncoding scores = ScoreEncoding.Float32)
    {
        ArgumentNullException.ThrowIfNull(model);
        var config = model.Config;
        if (!config.Binary)
            throw new ArgumentException("packed export needs a binary model (config.binary = true); float models have no packed form.", nameof(model));
        for (var e = 0; e < config.Edges.Count; e++)
            if (config.Edges[e].Filters.Count == 0)
                throw new ArgumentException($"packed export needs every edge to have at least one block; edges[{e}] has none and would forward a non-binary fused map.", nameof(model));

        var devices = new DevicePartition[config.Devices];
        for (var d = 0; d < devices.Length; d++)
        {
            var section = model.Devices[d];
            var (blocks, channels, size) = ExportBlocks(section.Blocks, config.InputChannels, (config.InputHeight, config.InputWidth), firstFloat: true);
            devices[d] = new DevicePartition(d, blocks, ExportExit(section.Exit, channels, size));
        }

        LocalPartition? local = null;
        if (config.LocalAggregator is { } aggregation)
        {
            var exit = model.LocalExit is null ? null : ExportExit(model.LocalExit, config.Devices * config.Classes, (1, 1));
            local = new LocalPartition(aggregation, config.Devices, config.Classes, exit, [.. devices.Select(d => d.ScoreQuantizer)], scores);
        }

        var f = config.DeviceOutputChannels;
        var deviceSize = config.DeviceOutputSize;
        var edges = new FusionPartition[config.Edges.Count];
        for (var e = 0; e < edges.Length; e++)
        {
            var section = model.Edges[e];
            var inputs = Enumerable.Repeat(f, section.Config.Devices.Count).ToArray();
            edges[e] = Fusion($"edge{e}", section.Config.Aggregator, inputs, deviceSize, section.Blocks, section.Exit);
        }

        var cloudInputs = edges.Length == 0
            ? Enumerable.Repeat(f, config.Devices).ToArray()
            : model.Edges.Select(s => s.OutputChannels).ToArray();
        var cloudSize = edges.Length == 0 ? deviceSize : model.Edges[0].OutputSize;
        var cloud = Fusion("cloud", config.CloudAggregator, cloudInputs, cloudSize, model.CloudBlocks, model.CloudExit);
        return new DeployedModel(config, devices, local, edges, cloud);
    }

    private static FusionPartition Fusion(string name, Aggregation aggregation, int[] inputs, (int Height, int Width) size,
        IReadOnlyList<ConvPoolBNBlock> blocks, LinearBNBlock exit)
    {
        var fused = aggregation == Aggregation.Concat ? inputs.Sum() : inputs[0];
        var (packed, channels, outSize) = ExportBlocks(blocks, fused, size, firstFloat: aggregation == Aggregation.AveragePool);
        return new FusionPartition(name, aggregation, inputs, size.Height, size.Width, packed, ExportExit(exit, channels, outSize));
    }

    private static (PackedConvBlock[] Blocks, int Channels, (int Height, int Width) Size) ExportBlocks(
        IReadOnlyList<ConvPoolBNBlock> blocks, int channels, (int Height, int Width) size, bool firstFloat)
    {
        var packed = new PackedConvBlock[blocks.Count];
        for (var k = 0; k < packed.Length; k++)
        {
            packed[k] = ExportBlock(blocks[k], channels, size, floatInput: k == 0 && firstFloat);
            channels = packed[k].OutChannels;
            size = (packed[k].OutHeight, packed[k].OutWidth);
        }
        return (packed, channels, size);
    }

    /// <summary>Packs one conv-pool-BN-sign block and folds its bias + BN + sign into thresholds.</summary>
    internal static PackedConvBlock ExportBlock(ConvPoolBNBlock block, int inChannels, (int Height, int Width) size, bool floatInput)
    {
        ArgumentNullException.ThrowIfNull(block);
        var conv = block.Conv;
        if (!block.IsBinary || !conv.BinaryWeights || conv.Kernel != 3 || conv.Stride != 1 || conv.Padding != 1)
            throw new ArgumentException("packed export needs a binary model with binary 3x3 s1 p1 convolutions.", nameof(block));
        if (conv.InChannels != inChannels)
            throw new ArgumentException($"block reads {conv.InChannels} channels but receives {inChannels}.", nameof(inChannels));
        var cout = conv.OutChannels;
        var weights = new ulong[cout * 9 * BitPacking.WordsFor(inChannels)];
        BitPacking.PackConvWeights(conv.Weight.Data, cout, inChannels, 3, 3, weights);
        var bias = conv.Bias?.Data.ToArray() ?? new float[cout];
        var norm = EvalBatchNorm.All(block.BN);
        var pool = new PoolSpec(block.PoolKernel, block.PoolStride, block.PoolPadding);
        if (floatInput)
        {
            var thresholds = new FloatSignThreshold[cout];
            for (var c = 0; c < cout; c++) thresholds[c] = norm[c].FoldFloat();
            return new PackedConvBlock(inChannels, cout, size.Height, size.Width, pool, weights, null, bias, thresholds);
        }
        var integer = new SignThreshold[cout];
        for (var c = 0; c < cout; c++) integer[c] = norm[c].FoldInteger(bias[c], 9 * inChannels);
        return new PackedConvBlock(inChannels, cout, size.Height, size.Width, pool, weights, integer, null, null);
    }

    /// <summary>Packs one BinaryLinearBN exit over a (channels, height, width) input.</summary>
    internal static PackedExit ExportExit(LinearBNBlock exit, int channels, (int Height, int Width) size)
    {
        ArgumentNullException.ThrowIfNull(exit);
        if (!exit.IsBinary) throw new ArgumentException("packed export needs a binary model with binary exits.", nameof(exit));
        var fc = exit.FC;
        var features = channels * size.Height * size.Width;
        if (fc.InFeatures != features)
            throw new ArgumentException($"exit reads {fc.InFeatures} features but receives ({channels}, {size.Height}, {size.Width}).", nameof(channels));
        var classes = fc.OutFeatures;
        var weights = new ulong[classes * size.Height * size.Width * BitPacking.WordsFor(channels)];
        BitPacking.PackConvWeights(fc.Weight.Data, classes, channels, size.Height, size.Width, weights);
        var bias = fc.Bias?.Data.ToArray() ?? new float[classes];
        return new PackedExit(channels, size.Height, size.Width, classes, weights, bias, EvalBatchNorm.All(exit.BN));
    }
}

using Ddnn.Core.Layers;

namespace Ddnn.Core.Model;

/// <summary>Creates the blocks and exits of a DDNN in the binary (eBNN) or float form the configuration asks for.</summary>
internal static class DdnnBlocks
{
    /// <summary>A conv-pool-BN block: sign activation and binary weights when <see cref="DdnnConfig.Binary"/>, else ReLU and float weights.</summary>
    public static ConvPoolBNBlock Conv(DdnnConfig config, int inChannels, int outChannels, PoolSpec pool, bool floatInput)
    {
        float eps = config.BatchNormEps, momentum = config.BatchNormMomentum;
        if (!config.Binary) return new ConvPoolBNRelu(inChannels, outChannels, pool.Kernel, pool.Stride, pool.Pad, eps, momentum);
        return floatInput
            ? new ConvPoolBNSign(inChannels, outChannels, pool.Kernel, pool.Stride, pool.Pad, eps, momentum)
            : new BinaryConvPoolBNSign(inChannels, outChannels, pool.Kernel, pool.Stride, pool.Pad, eps, momentum);
    }

    /// <summary>An exit classifier: BinaryLinearBN, or LinearBN for float models.</summary>
    public static LinearBNBlock Exit(DdnnConfig config, int inFeatures) =>
        config.Binary
            ? new BinaryLinearBN(inFeatures, config.Classes, config.BatchNormEps, config.BatchNormMomentum)
            : new LinearBN(inFeatures, config.Classes, config.BatchNormEps, config.BatchNormMomentum);

    /// <summary>Runs <paramref name="block"/>, recording its pooled conv output and its result under <paramref name="name"/>.</summary>
    public static Tensor Run(ConvPoolBNBlock block, Tensor x, string name, IDictionary<string, Tensor>? activations)
    {
        var y = block.Forward(x, out var pooled);
        if (activations is not null)
        {
            activations[name + ".pool"] = pooled;
            activations[name + ".feat"] = y;
        }
        return y;
    }

    /// <summary>Runs an exit, recording its linear output (before BN) as "<paramref name="name"/>.fc_out".</summary>
    public static Tensor RunExit(LinearBNBlock exit, Tensor x, string name, IDictionary<string, Tensor>? activations)
    {
        var logits = exit.Forward(x, out var linear);
        if (activations is not null) activations[name + ".fc_out"] = linear;
        return logits;
    }

    /// <summary>
    /// Fuses feature maps or logits (N, C_i, ...) of several inputs: CC concatenates along axis 1 with zeros for
    /// absent inputs; MP/AP take the element-wise max/mean over the inputs present for each sample.
    /// </summary>
    public static Tensor Fuse(Aggregation aggregation, IReadOnlyList<Tensor> parts, DeviceMask? present) => aggregation switch
    {
        Aggregation.Concat => present is null ? Ops.Concat(parts) : Ops.MaskedConcat(parts, present),
        Aggregation.MaxPool => Ops.MaxOverDevices(Ops.Stack(parts), present),
        Aggregation.AveragePool => Ops.MeanOverDevices(Ops.Stack(parts), present),
        _ => throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, "unknown aggregation"),
    };

    /// <summary>Flattened feature count of a (channels, height, width) map.</summary>
    public static int Features(int channels, (int Height, int Width) size) => checked(channels * size.Height * size.Width);

    /// <summary>The spatial size after a block with <paramref name="pool"/>; throws a configuration error when nothing is left.</summary>
    public static (int Height, int Width) Pooled((int Height, int Width) size, PoolSpec pool, string where)
    {
        var next = (pool.Output(size.Height), pool.Output(size.Width));
        if (next.Item1 < 1 || next.Item2 < 1)
            throw new DdnnConfigException([$"{where}: pool k{pool.Kernel} s{pool.Stride} p{pool.Pad} reduces a {size.Height}x{size.Width} map to nothing"]);
        return next;
    }
}

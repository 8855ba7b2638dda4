namespace Ddnn.Core.Layers;

/// <summary>
/// conv 3x3 s1 p1 (+ bias) -> max-pool -> batch norm -> activation, the eBNN block shape. Children are named
/// "conv" and "bn" so parameters read "conv.weight", "bn.running_mean", ... as in PyTorch.
/// </summary>
public abstract class ConvPoolBNBlock : Layer
{
    private protected ConvPoolBNBlock(int inChannels, int outChannels, bool binary, int poolKernel, int poolStride, int poolPadding,
        float bnEps, float bnMomentum)
    {
        if (poolKernel < 1) throw new ArgumentOutOfRangeException(nameof(poolKernel), poolKernel, "must be at least 1.");
        if (poolStride < 1) throw new ArgumentOutOfRangeException(nameof(poolStride), poolStride, "must be at least 1.");
        if (poolPadding < 0 || 2 * poolPadding > poolKernel) throw new ArgumentOutOfRangeException(nameof(poolPadding), poolPadding, "must be in [0, poolKernel/2].");
        Conv = RegisterModule("conv", new Conv2d(inChannels, outChannels, 3, 1, 1, bias: true, binaryWeights: binary));
        BN = RegisterModule("bn", new BatchNorm2d(outChannels, bnEps, bnMomentum));
        PoolKernel = poolKernel;
        PoolStride = poolStride;
        PoolPadding = poolPadding;
        IsBinary = binary;
    }

    /// <summary>The convolution (binary weights when <see cref="IsBinary"/>).</summary>
    public Conv2d Conv { get; }

    /// <summary>The batch norm after pooling.</summary>
    public BatchNorm2d BN { get; }

    /// <summary>Max-pool window.</summary>
    public int PoolKernel { get; }

    /// <summary>Max-pool stride (2 on devices, 1 in the cloud).</summary>
    public int PoolStride { get; }

    /// <summary>Max-pool padding.</summary>
    public int PoolPadding { get; }

    /// <summary>True for sign weights and sign activation; false for float weights and ReLU.</summary>
    public bool IsBinary { get; }

    /// <summary>Output spatial size for an input of <paramref name="size"/> (conv keeps it, the pool shrinks it).</summary>
    public int OutputSize(int size) => (size + 2 * PoolPadding - PoolKernel) / PoolStride + 1;

    /// <inheritdoc />
    public override Tensor Forward(Tensor x) => Forward(x, out _);

    /// <summary>Forward that also returns the max-pooled conv output before batch norm.</summary>
    public Tensor Forward(Tensor x, out Tensor pooled)
    {
        var conv = Conv.Forward(x);
        pooled = Ops.MaxPool2d(conv, PoolKernel, PoolStride, PoolPadding);
        var normalized = BN.Forward(pooled);
        return IsBinary ? Ops.Sign(normalized) : Ops.Relu(normalized);
    }
}

/// <summary>
/// First device block (float input): conv 3x3 s1 p1 with binary weights sign(W) + float bias -> max-pool
/// (k3 s2 p1 by default) -> BatchNorm2d -> sign (STE). Output is a ±1 bit map.
/// </summary>
public sealed class ConvPoolBNSign(int inChannels, int outChannels, int poolKernel = 3, int poolStride = 2, int poolPadding = 1,
    float bnEps = BatchNormBase.DefaultEps, float bnMomentum = BatchNormBase.DefaultMomentum)
    : ConvPoolBNBlock(inChannels, outChannels, binary: true, poolKernel, poolStride, poolPadding, bnEps, bnMomentum);

/// <summary>
/// Block over ±1 input (later device layers, the cloud): the same computation as <see cref="ConvPoolBNSign"/>;
/// the cloud uses pool k3 s1 p1 to keep the spatial size.
/// </summary>
public sealed class BinaryConvPoolBNSign(int inChannels, int outChannels, int poolKernel = 3, int poolStride = 2, int poolPadding = 1,
    float bnEps = BatchNormBase.DefaultEps, float bnMomentum = BatchNormBase.DefaultMomentum)
    : ConvPoolBNBlock(inChannels, outChannels, binary: true, poolKernel, poolStride, poolPadding, bnEps, bnMomentum);

/// <summary>Float counterpart of the eBNN conv blocks: float weights, ReLU instead of sign.</summary>
public sealed class ConvPoolBNRelu(int inChannels, int outChannels, int poolKernel = 3, int poolStride = 2, int poolPadding = 1,
    float bnEps = BatchNormBase.DefaultEps, float bnMomentum = BatchNormBase.DefaultMomentum)
    : ConvPoolBNBlock(inChannels, outChannels, binary: false, poolKernel, poolStride, poolPadding, bnEps, bnMomentum);

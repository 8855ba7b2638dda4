namespace Ddnn.Core.Layers;

/// <summary>
/// 2-d convolution layer (cross-correlation, zero padding). With <c>binaryWeights</c> the forward uses
/// sign(weight) with the identity straight-through estimator, and the weight is a latent binary weight.
/// Weights start at zero; use an initializer.
/// </summary>
public sealed class Conv2d : Layer
{
    /// <summary>Creates a (outChannels, inChannels, kernel, kernel) convolution.</summary>
    public Conv2d(int inChannels, int outChannels, int kernel = 3, int stride = 1, int padding = 1, bool bias = true, bool binaryWeights = false)
    {
        if (inChannels < 1) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, "must be at least 1.");
        if (outChannels < 1) throw new ArgumentOutOfRangeException(nameof(outChannels), outChannels, "must be at least 1.");
        if (kernel < 1) throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "must be at least 1.");
        if (stride < 1) throw new ArgumentOutOfRangeException(nameof(stride), stride, "must be at least 1.");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "must be non-negative.");
        InChannels = inChannels;
        OutChannels = outChannels;
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
        BinaryWeights = binaryWeights;
        Weight = RegisterParameter("weight", new Parameter(outChannels, inChannels, kernel, kernel) { IsBinaryLatent = binaryWeights });
        Bias = bias ? RegisterParameter("bias", new Parameter(outChannels)) : null;
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Square kernel size.</summary>
    public int Kernel { get; }

    /// <summary>Stride in both directions.</summary>
    public int Stride { get; }

    /// <summary>Zero padding on every side.</summary>
    public int Padding { get; }

    /// <summary>True when the forward uses sign(weight).</summary>
    public bool BinaryWeights { get; }

    /// <summary>(out, in, k, k) weight; the latent float weight when binary.</summary>
    public Parameter Weight { get; }

    /// <summary>(out) bias or null.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor x)
    {
        var w = BinaryWeights ? Ops.BinarizeWeights(Weight) : Weight;
        return Ops.Conv2d(x, w, Bias, Stride, Padding);
    }
}

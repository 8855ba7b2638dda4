namespace Ddnn.Core.Layers;

/// <summary>
/// Fully connected layer x·Wᵀ + b. With <c>binaryWeights</c> the forward uses sign(W) with the identity
/// straight-through estimator. Weights start at zero; use an initializer.
/// </summary>
public sealed class Linear : Layer
{
    /// <summary>Creates a (outFeatures, inFeatures) layer.</summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true, bool binaryWeights = false)
    {
        if (inFeatures < 1) throw new ArgumentOutOfRangeException(nameof(inFeatures), inFeatures, "must be at least 1.");
        if (outFeatures < 1) throw new ArgumentOutOfRangeException(nameof(outFeatures), outFeatures, "must be at least 1.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        BinaryWeights = binaryWeights;
        Weight = RegisterParameter("weight", new Parameter(outFeatures, inFeatures) { IsBinaryLatent = binaryWeights });
        Bias = bias ? RegisterParameter("bias", new Parameter(outFeatures)) : null;
    }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>True when the forward uses sign(weight).</summary>
    public bool BinaryWeights { get; }

    /// <summary>(out, in) weight; the latent float weight when binary.</summary>
    public Parameter Weight { get; }

    /// <summary>(out) bias or null.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor x)
    {
        var w = BinaryWeights ? Ops.BinarizeWeights(Weight) : Weight;
        return Ops.Linear(x, w, Bias);
    }
}

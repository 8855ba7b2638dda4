namespace Ddnn.Core.Layers;

/// <summary>
/// Batch normalization with learnable gamma ("weight", starts at 1) and beta ("bias", starts at 0) and
/// running statistics ("running_mean" 0, "running_var" 1) used in evaluation mode. PyTorch semantics:
/// momentum is the weight of the new value, the running variance is unbiased.
/// </summary>
public abstract class BatchNormBase : Layer
{
    /// <summary>Default epsilon inside the square root (Chainer/eBNN value).</summary>
    public const float DefaultEps = 2e-5f;

    /// <summary>Default momentum (weight of the new batch statistic).</summary>
    public const float DefaultMomentum = 0.1f;

    private protected BatchNormBase(int channels, float eps, float momentum)
    {
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "must be at least 1.");
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "must be positive.");
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "must be in [0, 1].");
        Channels = channels;
        Eps = eps;
        Momentum = momentum;
        Weight = RegisterParameter("weight", new Parameter(channels));
        Weight.Span.Fill(1f);
        Bias = RegisterParameter("bias", new Parameter(channels));
        RunningMean = RegisterBuffer("running_mean", Tensor.Zeros(channels));
        RunningVar = RegisterBuffer("running_var", Tensor.Zeros(channels));
        RunningVar.Span.Fill(1f);
    }

    /// <summary>Number of channels (features).</summary>
    public int Channels { get; }

    /// <summary>Epsilon added to the variance.</summary>
    public float Eps { get; }

    /// <summary>Weight of the new batch statistic in the running averages.</summary>
    public float Momentum { get; }

    /// <summary>Gamma (C).</summary>
    public Parameter Weight { get; }

    /// <summary>Beta (C).</summary>
    public Parameter Bias { get; }

    /// <summary>Running mean (C), a buffer.</summary>
    public Tensor RunningMean { get; }

    /// <summary>Running unbiased variance (C), a buffer.</summary>
    public Tensor RunningVar { get; }

    private protected abstract int ExpectedRank { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != ExpectedRank)
            throw new ArgumentException($"{GetType().Name}: input {x.ShapeText} must have rank {ExpectedRank}.", nameof(x));
        return Ops.BatchNorm(x, Weight, Bias, RunningMean, RunningVar, IsTraining, Momentum, Eps);
    }
}

/// <summary>Batch normalization over (N, C, H, W) per channel.</summary>
public sealed class BatchNorm2d(int channels, float eps = BatchNormBase.DefaultEps, float momentum = BatchNormBase.DefaultMomentum)
    : BatchNormBase(channels, eps, momentum)
{
    private protected override int ExpectedRank => 4;
}

/// <summary>Batch normalization over (N, C) per feature.</summary>
public sealed class BatchNorm1d(int features, float eps = BatchNormBase.DefaultEps, float momentum = BatchNormBase.DefaultMomentum)
    : BatchNormBase(features, eps, momentum)
{
    private protected override int ExpectedRank => 2;
}

namespace Ddnn.Core.Layers;

/// <summary>ReLU activation layer.</summary>
public sealed class Relu : Layer
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor x) => Ops.Relu(x);
}

/// <summary>Sign activation with the straight-through estimator (see <see cref="Ops.Sign"/>).</summary>
public sealed class SignActivation : Layer
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor x) => Ops.Sign(x);
}

/// <summary>HardTanh activation (clamp to [-1, 1]).</summary>
public sealed class HardTanh : Layer
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor x) => Ops.HardTanh(x);
}

/// <summary>Flattens (N, ...) to (N, prod(...)) in C order.</summary>
public sealed class Flatten : Layer
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor x) => Ops.Flatten(x);
}

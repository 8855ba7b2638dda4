namespace Ddnn.Core.Layers;

/// <summary>Max pooling with -inf padding; gradient to the first maximum of each window.</summary>
public sealed class MaxPool2d(int kernel, int stride, int padding = 0) : Layer
{
    /// <summary>Window size.</summary>
    public int Kernel { get; } = kernel;

    /// <summary>Stride.</summary>
    public int Stride { get; } = stride;

    /// <summary>Padding on every side.</summary>
    public int Padding { get; } = padding;

    /// <inheritdoc />
    public override Tensor Forward(Tensor x) => Ops.MaxPool2d(x, Kernel, Stride, Padding);
}

/// <summary>Average pooling counting zero padding (PyTorch default).</summary>
public sealed class AvgPool2d(int kernel, int stride, int padding = 0) : Layer
{
    /// <summary>Window size.</summary>
    public int Kernel { get; } = kernel;

    /// <summary>Stride.</summary>
    public int Stride { get; } = stride;

    /// <summary>Padding on every side.</summary>
    public int Padding { get; } = padding;

    /// <inheritdoc />
    public override Tensor Forward(Tensor x) => Ops.AvgPool2d(x, Kernel, Stride, Padding);
}

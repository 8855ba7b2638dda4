namespace Ddnn.Kernels.Binary;

/// <summary>Square max-pool window with −∞ padding: out = (in + 2·Padding − Kernel) / Stride + 1 along each axis.</summary>
public readonly record struct PoolGeometry
{
    /// <summary>Creates and validates a pool; padding must be smaller than the kernel so no window is all padding.</summary>
    public PoolGeometry(int kernel, int stride, int padding)
    {
        BinaryArgs.Positive(kernel, nameof(kernel));
        BinaryArgs.Positive(stride, nameof(stride));
        BinaryArgs.NonNegative(padding, nameof(padding));
        if (padding >= kernel)
            throw new ArgumentOutOfRangeException(nameof(padding), padding,
                $"pool padding ({padding}) must be smaller than the pool kernel ({kernel}).");
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
    }

    /// <summary>Window size along both axes.</summary>
    public int Kernel { get; }
    /// <summary>Step between windows.</summary>
    public int Stride { get; }
    /// <summary>−∞ padding on each side.</summary>
    public int Padding { get; }

    /// <summary>Pooled size of an axis of <paramref name="size"/> cells; throws when the window does not fit.</summary>
    public int OutputSize(int size)
    {
        if (size + 2 * Padding < Kernel)
            throw new ArgumentException($"pool kernel {Kernel} does not fit a size-{size} axis with padding {Padding}.", nameof(size));
        return (size + 2 * Padding - Kernel) / Stride + 1;
    }

    /// <inheritdoc/>
    public override string ToString() => $"k={Kernel} s={Stride} p={Padding}";
}

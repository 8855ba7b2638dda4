namespace Ddnn.Kernels;

/// <summary>Shape of a square 2-d pooling over NCHW input (ceil_mode false); validated on construction.</summary>
public readonly record struct Pool2dShape(int Batch, int Channels, int Height, int Width, int Kernel, int Stride, int Pad)
{
    /// <summary>Images in the batch (N); positive.</summary>
    public int Batch { get; } = Check.Positive(Batch, nameof(Batch));
    /// <summary>Feature maps per image (C), pooled independently; positive.</summary>
    public int Channels { get; } = Check.Positive(Channels, nameof(Channels));
    /// <summary>Input rows per feature map (H), before padding; positive.</summary>
    public int Height { get; } = Check.Positive(Height, nameof(Height));
    /// <summary>Input columns per feature map (W), before padding; positive.</summary>
    public int Width { get; } = Check.Positive(Width, nameof(Width));
    /// <summary>Side of the square pooling window (k); positive.</summary>
    public int Kernel { get; } = Check.Positive(Kernel, nameof(Kernel));
    /// <summary>Step between consecutive windows, the same in both directions; positive.</summary>
    public int Stride { get; } = Check.Positive(Stride, nameof(Stride));
    /// <summary>Padding on every side; at most Kernel / 2, so each window covers at least one real element.</summary>
    public int Pad { get; } = PadFits(Pad, Kernel, Math.Min(Height, Width));

    /// <summary>floor((H + 2·pad − k) / stride) + 1.</summary>
    public int OutHeight => Stride <= 0 ? 0 : (Height + 2 * Pad - Kernel) / Stride + 1;

    /// <summary>floor((W + 2·pad − k) / stride) + 1.</summary>
    public int OutWidth => Stride <= 0 ? 0 : (Width + 2 * Pad - Kernel) / Stride + 1;

    /// <summary>N·C·H·W.</summary>
    public long InputLength => (long)Batch * Channels * Height * Width;

    /// <summary>N·C·OH·OW.</summary>
    public long OutputLength => (long)Batch * Channels * OutHeight * OutWidth;

    internal int Planes => Batch * Channels;

    /// <summary>Throws for a default-constructed (all-zero) shape, which bypassed the constructor checks.</summary>
    internal void EnsureValid(string parameter)
    {
        if (Batch <= 0 || Channels <= 0 || Height <= 0 || Width <= 0 || Kernel <= 0 || Stride <= 0)
            throw new ArgumentException($"{parameter} is not a valid pooling shape (default-initialised?); construct it with the Pool2dShape constructor.", parameter);
    }

    // PyTorch's rule: pad ≤ kernel/2 keeps at least one real element in every window, so max never sees only padding.
    private static int PadFits(int pad, int kernel, int smallestExtent)
    {
        Check.NonNegative(pad, nameof(Pad));
        if (pad > kernel / 2)
            throw new ArgumentOutOfRangeException(nameof(Pad), pad, $"Pad must be at most half the kernel ({kernel}).");
        if (smallestExtent + 2 * pad < kernel)
            throw new ArgumentOutOfRangeException(nameof(Kernel), kernel,
                $"Kernel {kernel} does not fit into the input ({smallestExtent} padded by {pad}).");
        return pad;
    }
}

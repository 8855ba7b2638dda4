namespace Ddnn.Kernels;

/// <summary>Shape of a 2-d cross-correlation over NCHW input with a (Cout, Cin, kH, kW) weight; validated on construction.</summary>
public readonly record struct Conv2dShape(int Batch, int InChannels, int Height, int Width,
    int OutChannels, int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW)
{
    /// <summary>Square kernel, equal stride and padding in both directions.</summary>
    public Conv2dShape(int batch, int inChannels, int height, int width, int outChannels, int kernel, int stride, int pad)
        : this(batch, inChannels, height, width, outChannels, kernel, kernel, stride, stride, pad, pad)
    {
    }

    /// <summary>Images in the batch (N); positive.</summary>
    public int Batch { get; } = Check.Positive(Batch, nameof(Batch));
    /// <summary>Input feature maps per image (Cin); positive.</summary>
    public int InChannels { get; } = Check.Positive(InChannels, nameof(InChannels));
    /// <summary>Input rows per feature map (H), before padding; positive.</summary>
    public int Height { get; } = Check.Positive(Height, nameof(Height));
    /// <summary>Input columns per feature map (W), before padding; positive.</summary>
    public int Width { get; } = Check.Positive(Width, nameof(Width));
    /// <summary>Filters, and so output feature maps per image (Cout); positive.</summary>
    public int OutChannels { get; } = Check.Positive(OutChannels, nameof(OutChannels));
    /// <summary>Filter rows (kH); positive.</summary>
    public int KernelH { get; } = Check.Positive(KernelH, nameof(KernelH));
    /// <summary>Filter columns (kW); positive.</summary>
    public int KernelW { get; } = Check.Positive(KernelW, nameof(KernelW));
    /// <summary>Rows the filter moves between consecutive output rows; positive.</summary>
    public int StrideH { get; } = Check.Positive(StrideH, nameof(StrideH));
    /// <summary>Columns the filter moves between consecutive output columns; positive.</summary>
    public int StrideW { get; } = Check.Positive(StrideW, nameof(StrideW));
    /// <summary>Zero rows added above and below the input; non-negative, and the padded height must hold the kernel.</summary>
    public int PadH { get; } = PadFits(PadH, Height, KernelH, nameof(PadH));
    /// <summary>Zero columns added left and right of the input; non-negative, and the padded width must hold the kernel.</summary>
    public int PadW { get; } = PadFits(PadW, Width, KernelW, nameof(PadW));

    /// <summary>floor((H + 2·padH − kH) / strideH) + 1.</summary>
    public int OutHeight => StrideH <= 0 ? 0 : (Height + 2 * PadH - KernelH) / StrideH + 1;

    /// <summary>floor((W + 2·padW − kW) / strideW) + 1.</summary>
    public int OutWidth => StrideW <= 0 ? 0 : (Width + 2 * PadW - KernelW) / StrideW + 1;

    /// <summary>N·Cin·H·W.</summary>
    public long InputLength => (long)Batch * InChannels * Height * Width;

    /// <summary>Cout·Cin·kH·kW.</summary>
    public long WeightLength => (long)OutChannels * InChannels * KernelH * KernelW;

    /// <summary>N·Cout·OH·OW.</summary>
    public long OutputLength => (long)Batch * OutChannels * OutHeight * OutWidth;

    /// <summary>Rows of the im2col matrix: Cin·kH·kW.</summary>
    internal int PatchLength => InChannels * KernelH * KernelW;

    /// <summary>Throws for a default-constructed (all-zero) shape, which bypassed the constructor checks.</summary>
    internal void EnsureValid(string parameter)
    {
        if (Batch <= 0 || InChannels <= 0 || OutChannels <= 0 || KernelH <= 0 || KernelW <= 0 || StrideH <= 0 || StrideW <= 0
            || Height <= 0 || Width <= 0)
            throw new ArgumentException($"{parameter} is not a valid convolution shape (default-initialised?); construct it with the Conv2dShape constructor.", parameter);
    }

    private static int PadFits(int pad, int size, int kernel, string parameter)
    {
        Check.NonNegative(pad, parameter);
        if (size + 2L * pad < kernel)
            throw new ArgumentOutOfRangeException(parameter, pad,
                $"kernel {kernel} does not fit into input extent {size} padded by {pad}.");
        return pad;
    }
}

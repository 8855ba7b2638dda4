namespace Ddnn.Kernels.Binary;

/// <summary>
/// Shape of a 2-D cross-correlation used by the binary kernels: input <c>(Batch, InChannels, Height, Width)</c>,
/// weights <c>(OutChannels, InChannels, KernelH, KernelW)</c>, one stride and one zero padding for both axes,
/// output <c>(Batch, OutChannels, OutHeight, OutWidth)</c>. Padded taps contribute 0 (neither +1 nor −1).
/// </summary>
public readonly record struct BinaryConvGeometry
{
    /// <summary>Creates and validates a geometry; throws <see cref="ArgumentOutOfRangeException"/> naming the bad size.</summary>
    public BinaryConvGeometry(int batch, int inChannels, int height, int width, int outChannels, int kernelH, int kernelW,
        int stride = 1, int padding = 0)
    {
        BinaryArgs.Positive(batch, nameof(batch));
        BinaryArgs.Positive(inChannels, nameof(inChannels));
        BinaryArgs.Positive(height, nameof(height));
        BinaryArgs.Positive(width, nameof(width));
        BinaryArgs.Positive(outChannels, nameof(outChannels));
        BinaryArgs.Positive(kernelH, nameof(kernelH));
        BinaryArgs.Positive(kernelW, nameof(kernelW));
        BinaryArgs.Positive(stride, nameof(stride));
        BinaryArgs.NonNegative(padding, nameof(padding));
        if (padding >= kernelH || padding >= kernelW)
            throw new ArgumentOutOfRangeException(nameof(padding), padding,
                $"padding ({padding}) must be smaller than the kernel ({kernelH}x{kernelW}) so every output sees a real input.");
        if (height + 2 * padding < kernelH || width + 2 * padding < kernelW)
            throw new ArgumentException(
                $"kernel {kernelH}x{kernelW} does not fit input {height}x{width} with padding {padding}.", nameof(kernelH));
        Batch = batch;
        InChannels = inChannels;
        Height = height;
        Width = width;
        OutChannels = outChannels;
        KernelH = kernelH;
        KernelW = kernelW;
        Stride = stride;
        Padding = padding;
        BinaryArgs.Product("output", batch, outChannels, OutHeight, OutWidth);
        BinaryArgs.Product("input", batch, inChannels, height, width);
        BinaryArgs.Product("kernel taps x input channels (the accumulator range)", kernelH, kernelW, inChannels);
        BinaryArgs.Product("packed patches of one image", OutHeight, OutWidth, kernelH, kernelW, WordsPerPixel + 1);
    }

    /// <summary>Images in the batch (N).</summary>
    public int Batch { get; }
    /// <summary>Input channels (C).</summary>
    public int InChannels { get; }
    /// <summary>Input height (H).</summary>
    public int Height { get; }
    /// <summary>Input width (W).</summary>
    public int Width { get; }
    /// <summary>Output channels (Cout).</summary>
    public int OutChannels { get; }
    /// <summary>Kernel height (kH).</summary>
    public int KernelH { get; }
    /// <summary>Kernel width (kW).</summary>
    public int KernelW { get; }
    /// <summary>Stride along both axes.</summary>
    public int Stride { get; }
    /// <summary>Zero padding on each side of both axes.</summary>
    public int Padding { get; }

    /// <summary>Output height: (H + 2·padding − kH) / stride + 1.</summary>
    public int OutHeight => (Height + 2 * Padding - KernelH) / Stride + 1;
    /// <summary>Output width: (W + 2·padding − kW) / stride + 1.</summary>
    public int OutWidth => (Width + 2 * Padding - KernelW) / Stride + 1;
    /// <summary>Kernel taps per input channel: kH·kW.</summary>
    public int Taps => KernelH * KernelW;
    /// <summary>Words per packed input pixel: ceil(C / 64).</summary>
    public int WordsPerPixel => BitPacking.WordsFor(InChannels);

    /// <summary>Length of the float NCHW input.</summary>
    public int InputLength => Batch * InChannels * Height * Width;
    /// <summary>Length of the NHWC-packed input: N·H·W·WordsPerPixel.</summary>
    public int PackedInputLength => Batch * Height * Width * WordsPerPixel;
    /// <summary>Length of the packed weights: Cout·kH·kW·WordsPerPixel.</summary>
    public int PackedWeightsLength => OutChannels * Taps * WordsPerPixel;
    /// <summary>Length of the NCHW output: N·Cout·Ho·Wo.</summary>
    public int OutputLength => Batch * OutChannels * OutHeight * OutWidth;

    /// <summary>Human-readable description used in exception messages.</summary>
    public override string ToString() =>
        $"N={Batch} C={InChannels} H={Height} W={Width} Cout={OutChannels} k={KernelH}x{KernelW} stride={Stride} pad={Padding}";
}

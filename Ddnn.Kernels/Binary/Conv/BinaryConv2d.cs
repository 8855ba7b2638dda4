using System.Numerics;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// Binary 2-D cross-correlation on NHWC-packed ±1 input with packed ±1 weights, producing exact int32 accumulators
/// <c>(N, Cout, Ho, Wo)</c> equal to the float cross-correlation of the same ±1 values with ZERO padding.
/// </summary>
/// <remarks>
/// Each output is validTaps·C − 2·popcount over its valid taps. Padded taps are read as zero words, which adds
/// popcount(w_tap) differing bits and C to K that must not count, so border outputs are corrected afterwards:
/// acc = gemm − paddedTaps·C + 2·Σ_padded popcount(w_tap) (the Larq "zero padding correction").
/// On the AVX2 and AVX-512 paths with stride 1 the input is copied once into zero-bordered word planes
/// <c>(words, H+2p, W+2p)</c>, in which the word of four (eight) neighbouring output pixels at any tap is one contiguous
/// vector, so the grouped GEMM micro-kernel reads the taps in place (no im2col). Other paths and strides build a packed
/// im2col and run <see cref="BinaryGemm"/> or the interleaved AVX2 / AVX-512 GEMM. Weights prepared once as
/// <see cref="BinaryConvWeights"/> skip the per-call tap popcounts.
/// </remarks>
public static unsafe class BinaryConv2d
{
    [ThreadStatic] private static int[]? _tapPopCountSlot;
    [ThreadStatic] private static ulong[]? _convolveSlot;

    /// <summary>
    /// Computes int32 accumulators <paramref name="output"/> <c>(N, Cout, Ho, Wo)</c> from packed input
    /// <c>(N, H, W, WordsPerPixel)</c> and packed weights <c>(Cout, kH, kW, WordsPerPixel)</c>.
    /// </summary>
    public static void Forward(ReadOnlySpan<ulong> input, ReadOnlySpan<ulong> weights, BinaryConvGeometry geometry, Span<int> output)
    {
        CheckPacked(input, weights, geometry);
        CheckOutput(output, geometry);
        var tapPopCounts = Scratch.Span(ref _tapPopCountSlot, geometry.OutChannels * geometry.Taps);
        BinaryConvWeights.CountTaps(weights, geometry.WordsPerPixel, tapPopCounts);
        Run(input, weights, tapPopCounts, geometry, output);
    }

    /// <summary>
    /// As <see cref="Forward(ReadOnlySpan{ulong}, ReadOnlySpan{ulong}, BinaryConvGeometry, Span{int})"/> with weights
    /// prepared once (packed words and tap popcounts reused across calls).
    /// </summary>
    public static void Forward(ReadOnlySpan<ulong> input, BinaryConvWeights weights, BinaryConvGeometry geometry, Span<int> output)
    {
        ArgumentNullException.ThrowIfNull(weights);
        CheckGeometry(geometry);
        weights.CheckMatches(geometry, nameof(weights));
        CheckPacked(input, weights.Words, geometry);
        CheckOutput(output, geometry);
        Run(input, weights.Words, weights.TapPopCounts, geometry, output);
    }

    private static void CheckOutput(Span<int> output, BinaryConvGeometry geometry) =>
        BinaryArgs.Length(output, geometry.OutputLength, nameof(output),
            "(N={0}, Cout={1}, Ho={2}, Wo={3})", geometry.Batch, geometry.OutChannels, geometry.OutHeight, geometry.OutWidth);

    /// <summary>Checks the packed input and weight lengths against <paramref name="geometry"/>.</summary>
    internal static void CheckPacked(ReadOnlySpan<ulong> input, ReadOnlySpan<ulong> weights, BinaryConvGeometry geometry)
    {
        CheckGeometry(geometry);
        BinaryArgs.Length(input, geometry.PackedInputLength, nameof(input),
            "(N={0}, H={1}, W={2}, words={3})", geometry.Batch, geometry.Height, geometry.Width, geometry.WordsPerPixel);
        CheckWeights(weights, geometry);
    }

    internal static void CheckWeights(ReadOnlySpan<ulong> weights, BinaryConvGeometry geometry) =>
        BinaryArgs.Length(weights, geometry.PackedWeightsLength, nameof(weights),
            "(Cout={0}, kH={1}, kW={2}, words={3})", geometry.OutChannels, geometry.KernelH, geometry.KernelW, geometry.WordsPerPixel);

    internal static void CheckGeometry(BinaryConvGeometry geometry)
    {
        if (geometry.Batch == 0)
            throw new ArgumentException("geometry is uninitialised (default); build it with its constructor.", nameof(geometry));
    }

    private static void Run(ReadOnlySpan<ulong> input, ReadOnlySpan<ulong> weights, ReadOnlySpan<int> tapPopCounts,
        BinaryConvGeometry g, Span<int> output)
    {
        var path = KernelDispatch.Active;
        var scratch = Scratch.Get(ref _convolveSlot, ScratchLength(g, path));
        fixed (ulong* pin = input)
        fixed (ulong* pw = weights)
        fixed (int* ptaps = tapPopCounts)
        fixed (int* pout = output)
            Convolve(pin, pw, ptaps, g, scratch, pout, path);
    }

    /// <summary>Scratch words one call on <paramref name="path"/> needs (reused image by image).</summary>
    internal static int ScratchLength(BinaryConvGeometry g, KernelPath path) =>
        Direct(g, path) ? DirectConv.ScratchLength(g) : Im2ColConv.ScratchLength(g, path);

    /// <summary>Scratch words enough for a call on any kernel path.</summary>
    internal static int ScratchLengthAnyPath(BinaryConvGeometry g) =>
        Math.Max(Math.Max(DirectConv.ScratchLength(g), Im2ColConv.ScratchLength(g, KernelPath.Scalar)),
            Math.Max(Im2ColConv.ScratchLength(g, KernelPath.Avx2), Im2ColConv.ScratchLength(g, KernelPath.Avx512)));

    private static bool Direct(BinaryConvGeometry g, KernelPath path) => path >= KernelPath.Avx2 && g.Stride == 1;

    /// <summary>Corrected accumulators of every image; <paramref name="scratch"/> holds <see cref="ScratchLength"/> words.</summary>
    internal static void Convolve(ulong* input, ulong* weights, int* tapPopCounts, BinaryConvGeometry g, ulong* scratch,
        int* output, KernelPath path)
    {
        var imageWords = g.Height * g.Width * g.WordsPerPixel;
        var imageOutputs = g.OutChannels * g.OutHeight * g.OutWidth;
        var direct = Direct(g, path);
        for (var n = 0; n < g.Batch; n++)
        {
            var image = input + (long)n * imageWords;
            var result = output + (long)n * imageOutputs;
            if (direct) DirectConv.Convolve(image, weights, tapPopCounts, g, scratch, result, path);
            else
            {
                Im2ColConv.Convolve(image, weights, g, scratch, result, path);
                PaddingCorrection.Apply(g, tapPopCounts, result);
            }
        }
    }
}

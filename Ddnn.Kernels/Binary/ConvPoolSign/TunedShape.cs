using System.Runtime.CompilerServices;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// Every shape condition that picks a tuned path of the blocks, in one place: a kernel asks here instead of testing
/// sizes itself. Each tuned path gives the same bits as the general one (the tests compare them); these predicates
/// only say where it applies. The instruction-set checks stay with the kernels (they depend on the kernel path).
/// </summary>
internal static class TunedShape
{
    /// <summary>
    /// The float conv covers rows with vectors of <paramref name="lanes"/> floats (and the split-sum shortcut its row
    /// sums): stride 1 and at least one whole vector per output row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool VectorRows(BinaryConvGeometry conv, int lanes) => conv.Stride == 1 && conv.OutWidth >= lanes;

    /// <summary>A conv output row fits one 64-bit row mask (the register row-mask path).</summary>
    public static bool RowFitsMask(BinaryConvGeometry conv) => conv.OutWidth <= 64;

    /// <summary>A conv output row with the pool padding on both sides fits one 64-bit mask: pooling on row masks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool NarrowRows(int outWidth, int poolPadding) => outWidth + 2 * poolPadding <= 64;

    /// <summary>The split-sum shortcut applies to the shape at all: stride 1 and narrow rows (thresholds decide the rest).</summary>
    public static bool SplitSums(BinaryConvGeometry conv, PoolGeometry pool) =>
        conv.Stride == 1 && NarrowRows(conv.OutWidth, pool.Padding);

    /// <summary>
    /// The device layer's fused preparation (pad, measure and row-sum in one pass): a 3-wide kernel with padding 1 on
    /// rows of whole vectors of <paramref name="lanes"/> floats (8 on the AVX2 path, 16 on the Avx512 path), output
    /// the size of the input.
    /// </summary>
    public static bool FusedPadAndRowSums(BinaryConvGeometry conv, int lanes) =>
        conv.Padding == 1 && conv.KernelW == 3 && conv.Width % lanes == 0 && conv.OutWidth == conv.Width
        && conv.OutHeight == conv.Height;

    /// <summary>Four whole conv rows per split-sum step: a row is exactly two vectors of <paramref name="lanes"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool WholeRowsPerStep(int outWidth, int lanes) => outWidth == 2 * lanes;

    /// <summary>
    /// Four whole conv rows per split-sum step, one vector each: a row is exactly one vector of <paramref name="lanes"/>
    /// (the device layer's rows of 16 on the Avx512 path).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool WholeRowPerVector(int outWidth, int lanes) => outWidth == lanes;

    /// <summary>
    /// Eight whole conv rows per split-sum step: a row is one 16-lane vector (the device layer on the Avx512 path), so
    /// eight rows' sums and accumulators fit the 32 vector registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool EightWholeRows(int outWidth, int lanes) => lanes == 16 && outWidth == lanes;

    /// <summary>A window sum of three row sums (a 3-row kernel on one input channel: the device layer), unrolled.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool ThreeRowSums(int sumTerms) => sumTerms == 3;

    /// <summary>The device pool's 3-wide window, ORed without a loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool ThreeWideWindow(int poolKernel) => poolKernel == 3;

    /// <summary>
    /// The device map: one word per pixel and eight pooled columns, where the first channel group's pooled rows go
    /// straight into the pixel words (pext, pdep, two vector stores).
    /// </summary>
    public static bool EightPixelMap(int words, int pooledWidth, int firstChannel) =>
        words == 1 && pooledWidth == 8 && firstChannel == 0;

    /// <summary>
    /// On the device map, four channels and an even number of pooled rows: each row's eight pixel nibbles are its 32
    /// tight bits, so pooling also writes the tight packing.
    /// </summary>
    public static bool TightFromPixelNibbles(int outChannels, int pooledHeight) => outChannels == 4 && pooledHeight % 2 == 0;
}

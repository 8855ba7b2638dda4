namespace Ddnn.Kernels.Binary;

/// <summary>
/// The AVX2 and AVX-512 stride-1 <see cref="BinaryConv2d"/> path without im2col: the image is copied once into
/// zero-bordered word planes <c>(words, H + 2p, W + 2p)</c>; for four (eight) neighbouring outputs of a row, word w of
/// tap (ky, kx) is then the contiguous ymm (zmm) vector at plane w, row oy + ky, column ox + kx, so the kernel reads
/// every tap in place through a table of (tap, word) offsets in the weights' order. On AVX2 planes and weights are
/// stored nibble-split (a low and a high copy), which <see cref="NibbleSplitAvx2Kernel"/> needs to count with two
/// lookups per vector; <see cref="GroupedAvx512Gemm"/> counts plain words and reads the packed weights as they are.
/// </summary>
internal static unsafe class DirectConv
{
    /// <summary>Zero words after the planes: the last group of a row may read up to seven columns past the border.</summary>
    private const int Slack = GroupedAvx512Gemm.GroupWidth;

    /// <summary>
    /// Scratch words one image needs: low and high nibble planes with their slack, low and high nibble weights and the
    /// offset table (as ints, rounded up).
    /// </summary>
    public static int ScratchLength(BinaryConvGeometry g) =>
        checked(2 * (PlanesLength(g) + Slack) + 2 * g.OutChannels * g.Taps * g.WordsPerPixel + (g.Taps * g.WordsPerPixel + 1) / 2);

    private static int PlanesLength(BinaryConvGeometry g) =>
        BinaryArgs.Product("zero-bordered word planes", g.WordsPerPixel, g.Height + 2 * g.Padding, g.Width + 2 * g.Padding);

    /// <summary>
    /// Accumulators <c>(Cout, Ho, Wo)</c> of one packed image <c>(H, W, words)</c> on <paramref name="path"/> (Avx2 or
    /// Avx512), with the <see cref="PaddingCorrection"/> from <paramref name="tapPopCounts"/>.
    /// </summary>
    /// <remarks>
    /// On several threads each output row is corrected right after it is computed, by the thread that computed it, while
    /// its outputs are still in that core's cache: one pass over the whole image after the parallel rows runs on one
    /// thread and fetches half of the outputs from the other core (at 256 channels, 32x32 on two threads that pass cost
    /// about a fifth of the conv, and a pass per part run concurrently was no cheaper). On one thread the single pass
    /// after all rows is the cheaper one.
    /// </remarks>
    public static void Convolve(ulong* image, ulong* weights, int* tapPopCounts, BinaryConvGeometry g, ulong* scratch, int* output,
        KernelPath path)
    {
        if (path == KernelPath.Avx512) ConvolveAvx512(image, weights, tapPopCounts, g, scratch, output);
        else ConvolveAvx2(image, weights, tapPopCounts, g, scratch, output);
    }

    private static void ConvolveAvx512(ulong* image, ulong* weights, int* tapPopCounts, BinaryConvGeometry g, ulong* scratch, int* output)
    {
        int words = g.WordsPerPixel, pad = g.Padding;
        var paddedW = g.Width + 2 * pad;
        var planes = scratch;
        var offsets = (int*)(scratch + PlanesLength(g) + Slack);
        new Span<ulong>(planes, PlanesLength(g) + Slack).Clear();
        CopyToPlanes(image, g, planes, 0, ulong.MaxValue);
        FillOffsets(g, offsets);

        var pixels = g.OutHeight * g.OutWidth;
        var rowWords = g.Taps * words;
        var bits = g.Taps * g.InChannels;
        var groups = (g.OutWidth + GroupedAvx512Gemm.GroupWidth - 1) / GroupedAvx512Gemm.GroupWidth;
        var parts = Parts(g, pixels, rowWords);
        if (parts <= 1)
        {
            RowsAvx512(weights, null, g, planes, paddedW, offsets, 0, g.OutHeight, groups, rowWords, bits, output, pixels);
            PaddingCorrection.Apply(g, tapPopCounts, output);
        }
        else
            RowsParallelAvx512(weights, PaddingCorrection.For(g, tapPopCounts), g, planes, paddedW, offsets, groups, rowWords, bits, output, pixels, parts);
    }

    /// <summary>Kept apart so its closure is only allocated when threads are actually used.</summary>
    private static void RowsParallelAvx512(ulong* weights, PaddingCorrection.Plan? padding, BinaryConvGeometry g, ulong* planes, int paddedW,
        int* offsets, int groups, int rowWords, int bits, int* output, int pixels, int parts)
    {
        nint pw = (nint)weights, pp = (nint)planes, po = (nint)offsets, pout = (nint)output;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            RowsAvx512((ulong*)pw, padding, g, (ulong*)pp, paddedW, (int*)po, (int)((long)g.OutHeight * part / parts),
                (int)((long)g.OutHeight * (part + 1) / parts), groups, rowWords, bits, (int*)pout, pixels));
    }

    /// <summary>
    /// Output rows [<paramref name="oy0"/>, <paramref name="oy1"/>), each corrected with <paramref name="padding"/> right
    /// after it is computed (null: no padding, or the caller corrects the whole image).
    /// </summary>
    private static void RowsAvx512(ulong* weights, PaddingCorrection.Plan? padding, BinaryConvGeometry g, ulong* planes, int paddedW, int* offsets,
        int oy0, int oy1, int groups, int rowWords, int bits, int* output, int pixels)
    {
        for (var oy = oy0; oy < oy1; oy++)
        {
            GroupedAvx512Gemm.RunGroups(weights, g.OutChannels, planes + (long)oy * paddedW, GroupedAvx512Gemm.GroupWidth, offsets,
                g.OutWidth, 0, groups, rowWords, bits, output + (long)oy * g.OutWidth, pixels);
            padding?.Apply(output, oy, oy + 1);
        }
    }

    /// <summary>Threads for one image: rows of output split evenly, one part per MinWordPairsPerThread of work.</summary>
    private static int Parts(BinaryConvGeometry g, int pixels, int rowWords) =>
        (int)Math.Min(Math.Min(KernelParallelism.MaxThreads, g.OutHeight),
            Math.Max(1, (long)g.OutChannels * pixels * rowWords / 4 / InterleavedAvx2Gemm.MinWordPairsPerThread));

    /// <summary>
    /// Copies the image into the interior of the zero-bordered <paramref name="planes"/>, each word shifted right by
    /// <paramref name="shift"/> and masked with <paramref name="mask"/> (the nibble split; 0 and all ones for plain words).
    /// </summary>
    private static void CopyToPlanes(ulong* image, BinaryConvGeometry g, ulong* planes, int shift, ulong mask)
    {
        int words = g.WordsPerPixel, pad = g.Padding;
        int paddedH = g.Height + 2 * pad, paddedW = g.Width + 2 * pad;
        var planeLength = paddedH * paddedW;
        for (var y = 0; y < g.Height; y++)
        {
            var src = image + (long)y * g.Width * words;
            var row = planes + (long)(y + pad) * paddedW + pad;
            for (var x = 0; x < g.Width; x++, src += words)
                for (var w = 0; w < words; w++)
                    row[(long)w * planeLength + x] = (src[w] >> shift) & mask;
        }
    }

    /// <summary>Offset of word w of tap t, relative to the output pixel's top-left plane position, at t · words + w.</summary>
    private static void FillOffsets(BinaryConvGeometry g, int* offsets)
    {
        int words = g.WordsPerPixel, kw = g.KernelW, paddedW = g.Width + 2 * g.Padding;
        var planeLength = (g.Height + 2 * g.Padding) * paddedW;
        for (var t = 0; t < g.Taps; t++)
            for (var w = 0; w < words; w++)
                offsets[t * words + w] = w * planeLength + t / kw * paddedW + t % kw;
    }

    private static void ConvolveAvx2(ulong* image, ulong* weights, int* tapPopCounts, BinaryConvGeometry g, ulong* scratch, int* output)
    {
        var paddedW = g.Width + 2 * g.Padding;
        var rowWords = g.Taps * g.WordsPerPixel;
        var hiDistance = PlanesLength(g) + Slack;
        var planes = scratch;
        var weightsLow = scratch + 2L * hiDistance;
        var weightsHigh = weightsLow + (long)g.OutChannels * rowWords;
        var offsets = (int*)(weightsHigh + (long)g.OutChannels * rowWords);

        const ulong nibbles = 0x0F0F_0F0F_0F0F_0F0FUL;
        new Span<ulong>(planes, 2 * hiDistance).Clear();
        CopyToPlanes(image, g, planes, 0, nibbles);
        CopyToPlanes(image, g, planes + hiDistance, 4, nibbles);
        NibbleSplitAvx2Kernel.Split(weights, g.OutChannels * rowWords, weightsLow, weightsHigh);
        FillOffsets(g, offsets);

        var pixels = g.OutHeight * g.OutWidth;
        var bits = g.Taps * g.InChannels;
        var parts = Parts(g, pixels, rowWords);
        if (parts <= 1)
        {
            Rows(weightsLow, weightsHigh, null, g, planes, hiDistance, paddedW, offsets, 0, g.OutHeight, rowWords, bits, output, pixels);
            PaddingCorrection.Apply(g, tapPopCounts, output);
        }
        else
            RowsParallel(weightsLow, weightsHigh, PaddingCorrection.For(g, tapPopCounts), g, planes, hiDistance, paddedW, offsets, rowWords, bits, output, pixels, parts);
    }

    /// <summary>AVX2 twin of <see cref="RowsAvx512"/>.</summary>
    private static void Rows(ulong* weightsLow, ulong* weightsHigh, PaddingCorrection.Plan? padding, BinaryConvGeometry g, ulong* planes,
        long hiDistance, int paddedW, int* offsets, int oy0, int oy1, int rowWords, int bits, int* output, int pixels)
    {
        for (var oy = oy0; oy < oy1; oy++)
        {
            NibbleSplitAvx2Kernel.Run(weightsLow, weightsHigh, g.OutChannels, rowWords, planes + (long)oy * paddedW, hiDistance, 4,
                offsets, g.OutWidth, bits, output + (long)oy * g.OutWidth, pixels);
            padding?.Apply(output, oy, oy + 1);
        }
    }

    /// <summary>Kept apart so its closure is only allocated when threads are actually used.</summary>
    private static void RowsParallel(ulong* weightsLow, ulong* weightsHigh, PaddingCorrection.Plan? padding, BinaryConvGeometry g, ulong* planes,
        long hiDistance, int paddedW, int* offsets, int rowWords, int bits, int* output, int pixels, int parts)
    {
        nint pl = (nint)weightsLow, ph = (nint)weightsHigh, pp = (nint)planes, po = (nint)offsets, pout = (nint)output;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            Rows((ulong*)pl, (ulong*)ph, padding, g, (ulong*)pp, hiDistance, paddedW, (int*)po, (int)((long)g.OutHeight * part / parts),
                (int)((long)g.OutHeight * (part + 1) / parts), rowWords, bits, (int*)pout, pixels));
    }
}

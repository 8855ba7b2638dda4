namespace Ddnn.Kernels.Binary;

/// <summary>
/// The AVX2 stride-1 <see cref="BinaryConv2d"/> path without im2col: the image is copied once into zero-bordered word
/// planes <c>(words, H + 2p, W + 2p)</c>; for four neighbouring outputs of a row, word w of tap (ky, kx) is then the
/// contiguous vector at plane w, row oy + ky, column ox + kx, so <see cref="NibbleSplitAvx2Kernel"/> reads every tap in
/// place through a table of (tap, word) offsets in the weights' order. Planes and weights are stored nibble-split
/// (a low and a high copy), which the kernel needs to count with two lookups per vector.
/// </summary>
internal static unsafe class DirectConv
{
    /// <summary>Zero words after the planes: the last group of a row may read up to three columns past the border.</summary>
    private const int Slack = 4;

    /// <summary>
    /// Scratch words one image needs: low and high nibble planes with their slack, low and high nibble weights and the
    /// offset table (as ints, rounded up).
    /// </summary>
    public static int ScratchLength(BinaryConvGeometry g) =>
        checked(2 * (PlanesLength(g) + Slack) + 2 * g.OutChannels * g.Taps * g.WordsPerPixel + (g.Taps * g.WordsPerPixel + 1) / 2);

    private static int PlanesLength(BinaryConvGeometry g) =>
        BinaryArgs.Product("zero-bordered word planes", g.WordsPerPixel, g.Height + 2 * g.Padding, g.Width + 2 * g.Padding);

    /// <summary>Uncorrected accumulators <c>(Cout, Ho, Wo)</c> of one packed image <c>(H, W, words)</c>.</summary>
    public static void Convolve(ulong* image, ulong* weights, BinaryConvGeometry g, ulong* scratch, int* output)
    {
        int words = g.WordsPerPixel, pad = g.Padding, kw = g.KernelW;
        int paddedH = g.Height + 2 * pad, paddedW = g.Width + 2 * pad;
        var planeLength = paddedH * paddedW;
        var rowWords = g.Taps * words;
        var hiDistance = PlanesLength(g) + Slack;
        var planes = scratch;
        var weightsLow = scratch + 2L * hiDistance;
        var weightsHigh = weightsLow + (long)g.OutChannels * rowWords;
        var offsets = (int*)(weightsHigh + (long)g.OutChannels * rowWords);

        const ulong nibbles = 0x0F0F_0F0F_0F0F_0F0FUL;
        new Span<ulong>(planes, 2 * hiDistance).Clear();
        for (var y = 0; y < g.Height; y++)
        {
            var src = image + (long)y * g.Width * words;
            var row = planes + (long)(y + pad) * paddedW + pad;
            for (var x = 0; x < g.Width; x++, src += words)
                for (var w = 0; w < words; w++)
                {
                    row[(long)w * planeLength + x] = src[w] & nibbles;
                    row[(long)w * planeLength + x + hiDistance] = (src[w] >> 4) & nibbles;
                }
        }
        NibbleSplitAvx2Kernel.Split(weights, g.OutChannels * rowWords, weightsLow, weightsHigh);

        for (var t = 0; t < g.Taps; t++)
            for (var w = 0; w < words; w++)
                offsets[t * words + w] = w * planeLength + t / kw * paddedW + t % kw;

        var pixels = g.OutHeight * g.OutWidth;
        var bits = g.Taps * g.InChannels;
        var work = (long)g.OutChannels * pixels * rowWords / 4;
        var parts = (int)Math.Min(Math.Min(KernelParallelism.MaxThreads, g.OutHeight),
            Math.Max(1, work / InterleavedAvx2Gemm.MinWordPairsPerThread));
        if (parts <= 1)
            Rows(weightsLow, weightsHigh, g, planes, hiDistance, paddedW, offsets, 0, g.OutHeight, rowWords, bits, output, pixels);
        else
            RowsParallel(weightsLow, weightsHigh, g, planes, hiDistance, paddedW, offsets, rowWords, bits, output, pixels, parts);
    }

    private static void Rows(ulong* weightsLow, ulong* weightsHigh, BinaryConvGeometry g, ulong* planes, long hiDistance,
        int paddedW, int* offsets, int oy0, int oy1, int rowWords, int bits, int* output, int pixels)
    {
        for (var oy = oy0; oy < oy1; oy++)
            NibbleSplitAvx2Kernel.Run(weightsLow, weightsHigh, g.OutChannels, rowWords, planes + (long)oy * paddedW, hiDistance, 4,
                offsets, g.OutWidth, bits, output + (long)oy * g.OutWidth, pixels);
    }

    /// <summary>Kept apart so its closure is only allocated when threads are actually used.</summary>
    private static void RowsParallel(ulong* weightsLow, ulong* weightsHigh, BinaryConvGeometry g, ulong* planes, long hiDistance,
        int paddedW, int* offsets, int rowWords, int bits, int* output, int pixels, int parts)
    {
        nint pl = (nint)weightsLow, ph = (nint)weightsHigh, pp = (nint)planes, po = (nint)offsets, pout = (nint)output;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            Rows((ulong*)pl, (ulong*)ph, g, (ulong*)pp, hiDistance, paddedW, (int*)po, (int)((long)g.OutHeight * part / parts),
                (int)((long)g.OutHeight * (part + 1) / parts), rowWords, bits, (int*)pout, pixels));
    }
}

namespace Ddnn.Kernels.Binary;

/// <summary>
/// The general <see cref="BinaryConv2d"/> path (any stride, every kernel path): a packed im2col of one image (padded taps
/// become zero words), then <see cref="BinaryGemm"/>, or an interleaved copy and <see cref="InterleavedAvx2Gemm"/> on AVX2
/// (groups of four columns) or <see cref="GroupedAvx512Gemm"/> on AVX-512 (groups of eight).
/// </summary>
internal static unsafe class Im2ColConv
{
    /// <summary>Scratch words one image needs on <paramref name="path"/>.</summary>
    public static int ScratchLength(BinaryConvGeometry g, KernelPath path)
    {
        var pixels = g.OutHeight * g.OutWidth;
        var rowWords = g.Taps * g.WordsPerPixel;
        var patches = pixels * rowWords;
        return path switch
        {
            KernelPath.Avx512 => patches + InterleavedAvx2Gemm.InterleavedLength(pixels, rowWords, GroupedAvx512Gemm.GroupWidth),
            KernelPath.Avx2 => patches + InterleavedAvx2Gemm.InterleavedLength(pixels, rowWords),
            _ => patches,
        };
    }

    /// <summary>Uncorrected accumulators <c>(Cout, Ho, Wo)</c> of one packed image <c>(H, W, words)</c>.</summary>
    public static void Convolve(ulong* image, ulong* weights, BinaryConvGeometry g, ulong* scratch, int* output, KernelPath path)
    {
        var pixels = g.OutHeight * g.OutWidth;
        var rowWords = g.Taps * g.WordsPerPixel;
        var bits = g.Taps * g.InChannels;
        var patches = scratch;
        Im2Col(image, g, patches);
        if (path == KernelPath.Avx512)
        {
            var interleaved = scratch + (long)pixels * rowWords;
            InterleavedAvx2Gemm.Interleave(patches, pixels, rowWords, interleaved, GroupedAvx512Gemm.GroupWidth);
            GroupedAvx512Gemm.Run(weights, g.OutChannels, interleaved, pixels, rowWords, bits, output, pixels);
        }
        else if (path == KernelPath.Avx2)
        {
            var interleaved = scratch + (long)pixels * rowWords;
            InterleavedAvx2Gemm.Interleave(patches, pixels, rowWords, interleaved);
            InterleavedAvx2Gemm.Run(weights, g.OutChannels, interleaved, pixels, rowWords, bits, output, pixels);
        }
        else
        {
            BinaryGemm.Run(weights, g.OutChannels, patches, pixels, rowWords, bits, output, pixels, path);
        }
    }

    private static void Im2Col(ulong* image, BinaryConvGeometry g, ulong* patches)
    {
        int words = g.WordsPerPixel, kh = g.KernelH, kw = g.KernelW, s = g.Stride, pad = g.Padding;
        var dst = patches;
        for (var oy = 0; oy < g.OutHeight; oy++)
        for (var ox = 0; ox < g.OutWidth; ox++)
        {
            var ix0 = ox * s - pad;
            var kxStart = Math.Max(0, -ix0);
            var kxEnd = Math.Min(kw, g.Width - ix0);
            for (var ky = 0; ky < kh; ky++, dst += kw * words)
            {
                var iy = oy * s - pad + ky;
                if (iy < 0 || iy >= g.Height)
                {
                    new Span<ulong>(dst, kw * words).Clear();
                    continue;
                }
                if (kxStart > 0) new Span<ulong>(dst, kxStart * words).Clear();
                var src = image + ((long)iy * g.Width + ix0 + kxStart) * words;
                Buffer.MemoryCopy(src, dst + kxStart * words, (kxEnd - kxStart) * words * 8L, (kxEnd - kxStart) * words * 8L);
                if (kxEnd < kw) new Span<ulong>(dst + kxEnd * words, (kw - kxEnd) * words).Clear();
            }
        }
    }
}

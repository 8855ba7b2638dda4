using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// AVX2 binary GEMM for short rows against many columns (conv patches): B is stored column-interleaved in groups of
/// four — word w of columns 4g..4g+3 sits in one 256-bit vector — so each A word is broadcast and XORed with four
/// columns at once, counted with the nibble lookup in byte lanes, and one <c>vpsadbw</c> per group yields four dots.
/// Avoids the per-dot horizontal sum that makes one-dot-at-a-time vector counting slow for 3x3 patches.
/// </summary>
internal static unsafe class InterleavedAvx2Gemm
{
    [ThreadStatic] private static int[]? _offsetSlot;

    /// <summary>Words counted in byte lanes before widening: 31 x 8 bits = 248 per byte, below 255.</summary>
    internal const int BlockWords = 31;

    /// <summary>Below this many word-pairs a call stays on one thread.</summary>
    internal const long MinWordPairsPerThread = 1 << 16;

    /// <summary>Offset tables up to this many words live on the stack.</summary>
    private const int MaxStackOffsets = 2048;

    /// <summary>Columns per group: the 64-bit lanes of a ymm vector.</summary>
    public const int GroupWidth = 4;

    /// <summary>
    /// Length in words of the interleaved copy of <paramref name="columns"/> rows of <paramref name="words"/> words in
    /// groups of <paramref name="width"/> columns.
    /// </summary>
    public static int InterleavedLength(int columns, int words, int width = GroupWidth) => (columns + width - 1) / width * width * words;

    /// <summary>
    /// Copies row-major B <c>(n, words)</c> into groups of <paramref name="width"/> interleaved columns (word w of column
    /// q of a group at w · width + q), zero-filling the last group.
    /// </summary>
    public static void Interleave(ulong* b, int n, int words, ulong* interleaved, int width = GroupWidth)
    {
        var groups = (n + width - 1) / width;
        for (var g = 0; g < groups; g++)
        {
            var dst = interleaved + (long)g * width * words;
            for (var q = 0; q < width; q++)
            {
                var column = g * width + q;
                if (column < n)
                {
                    var src = b + (long)column * words;
                    for (var w = 0; w < words; w++) dst[w * width + q] = src[w];
                }
                else
                {
                    for (var w = 0; w < words; w++) dst[w * width + q] = 0;
                }
            }
        }
    }

    /// <summary>C[i * ldc + j] = bits − 2·popcount(a_i XOR b_j) for i &lt; m, j &lt; n, with B interleaved.</summary>
    public static void Run(ulong* a, int m, ulong* interleaved, int n, int words, int bits, int* c, int ldc)
    {
        var offsets = words > MaxStackOffsets ? Scratch.Span(ref _offsetSlot, words) : stackalloc int[words];
        for (var w = 0; w < words; w++) offsets[w] = 4 * w;
        fixed (int* poffsets = offsets)
            Run(a, m, interleaved, n, poffsets, words, bits, c, ldc);
    }

    private static void Run(ulong* a, int m, ulong* interleaved, int n, int* offsets, int words, int bits, int* c, int ldc)
    {
        var groups = (n + 3) / 4;
        var work = (long)m * n * words;
        var parts = (int)Math.Min(Math.Min(KernelParallelism.MaxThreads, groups), Math.Max(1, work / MinWordPairsPerThread));
        if (parts <= 1)
        {
            RunGroups(a, m, interleaved, 4 * words, offsets, n, 0, groups, words, bits, c, ldc);
            return;
        }
        RunParallel(a, m, interleaved, offsets, n, groups, words, bits, c, ldc, parts);
    }

    /// <summary>Kept apart from <see cref="Run(ulong*, int, ulong*, int, int*, int, int, int*, int)"/> so its closure is only allocated when threads are actually used.</summary>
    private static void RunParallel(ulong* a, int m, ulong* interleaved, int* offsets, int n, int groups, int words, int bits,
        int* c, int ldc, int parts)
    {
        nint pa = (nint)a, pb = (nint)interleaved, pc = (nint)c, po = (nint)offsets;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            RunGroups((ulong*)pa, m, (ulong*)pb, 4 * words, (int*)po, n, (int)((long)groups * part / parts), (int)((long)groups * (part + 1) / parts),
                words, bits, (int*)pc, ldc));
    }

    /// <summary>
    /// The micro-kernel over column groups [g0, g1): word k of the four columns of group g is the vector at
    /// <c>b + g · groupStride + offsets[k]</c> (for an interleaved copy offsets[k] = 4k; a direct conv points the offsets
    /// straight into a word-plane layout of the input, one entry per (tap, word)).
    /// </summary>
    internal static void RunGroups(ulong* a, int m, ulong* b, int groupStride, int* offsets, int n, int g0, int g1, int words,
        int bits, int* c, int ldc)
    {
        var lut = Vector256.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
        var low = Vector256.Create((byte)0x0F);
        var g = g0;
        for (; g + 2 <= g1; g += 2)
        {
            var b0 = b + (long)g * groupStride;
            var b1 = b0 + groupStride;
            var i = 0;
            for (; i + 2 <= m; i += 2)
            {
                var a0 = a + (long)i * words;
                var a1 = a0 + words;
                Vector256<ulong> s00 = default, s01 = default, s10 = default, s11 = default;
                for (var w0 = 0; w0 < words; w0 += BlockWords)
                {
                    var w1 = Math.Min(words, w0 + BlockWords);
                    Vector256<byte> c00 = default, c01 = default, c10 = default, c11 = default;
                    for (var w = w0; w < w1; w++)
                    {
                        var offset = offsets[w];
                        var v0 = Avx.LoadVector256(b0 + offset);
                        var v1 = Avx.LoadVector256(b1 + offset);
                        var x0 = Vector256.Create(a0[w]);
                        var x1 = Vector256.Create(a1[w]);
                        c00 = Avx2.Add(c00, Count(v0 ^ x0, lut, low));
                        c01 = Avx2.Add(c01, Count(v1 ^ x0, lut, low));
                        c10 = Avx2.Add(c10, Count(v0 ^ x1, lut, low));
                        c11 = Avx2.Add(c11, Count(v1 ^ x1, lut, low));
                    }
                    s00 = Avx2.Add(s00, Avx2.SumAbsoluteDifferences(c00, Vector256<byte>.Zero).AsUInt64());
                    s01 = Avx2.Add(s01, Avx2.SumAbsoluteDifferences(c01, Vector256<byte>.Zero).AsUInt64());
                    s10 = Avx2.Add(s10, Avx2.SumAbsoluteDifferences(c10, Vector256<byte>.Zero).AsUInt64());
                    s11 = Avx2.Add(s11, Avx2.SumAbsoluteDifferences(c11, Vector256<byte>.Zero).AsUInt64());
                }
                Store(s00, c + (long)i * ldc, g * 4, n, bits);
                Store(s01, c + (long)i * ldc, g * 4 + 4, n, bits);
                Store(s10, c + (long)(i + 1) * ldc, g * 4, n, bits);
                Store(s11, c + (long)(i + 1) * ldc, g * 4 + 4, n, bits);
            }
            for (; i < m; i++)
            {
                SingleGroup(a + (long)i * words, b0, offsets, words, bits, c + (long)i * ldc, g * 4, n, lut, low);
                SingleGroup(a + (long)i * words, b1, offsets, words, bits, c + (long)i * ldc, g * 4 + 4, n, lut, low);
            }
        }
        for (; g < g1; g++)
            for (var i = 0; i < m; i++)
                SingleGroup(a + (long)i * words, b + (long)g * groupStride, offsets, words, bits, c + (long)i * ldc, g * 4, n, lut, low);
    }

    private static void SingleGroup(ulong* row, ulong* group, int* offsets, int words, int bits, int* cRow, int column, int n,
        Vector256<byte> lut, Vector256<byte> low)
    {
        Vector256<ulong> sums = default;
        for (var w0 = 0; w0 < words; w0 += BlockWords)
        {
            var w1 = Math.Min(words, w0 + BlockWords);
            Vector256<byte> counts = default;
            for (var w = w0; w < w1; w++)
                counts = Avx2.Add(counts, Count(Avx.LoadVector256(group + offsets[w]) ^ Vector256.Create(row[w]), lut, low));
            sums = Avx2.Add(sums, Avx2.SumAbsoluteDifferences(counts, Vector256<byte>.Zero).AsUInt64());
        }
        Store(sums, cRow, column, n, bits);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Count(Vector256<ulong> x, Vector256<byte> lut, Vector256<byte> low)
    {
        var bytes = x.AsByte();
        return Avx2.Add(Avx2.Shuffle(lut, bytes & low), Avx2.Shuffle(lut, Avx2.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & low));
    }

    /// <summary>Writes bits − 2·count for the (up to) four columns starting at <paramref name="column"/> that exist.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Store(Vector256<ulong> counts, int* cRow, int column, int n, int bits)
    {
        var counted = Avx2.PermuteVar8x32(counts.AsInt32(), Vector256.Create(0, 2, 4, 6, 0, 2, 4, 6)).GetLower();
        var dots = Vector128.Create(bits) - (counted + counted);
        if (column + 4 <= n)
        {
            dots.Store(cRow + column);
            return;
        }
        for (var q = 0; q < 4 && column + q < n; q++) cRow[column + q] = dots.GetElement(q);
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// AVX-512 binary GEMM for short rows against many columns (conv patches), the 512-bit twin of
/// <see cref="InterleavedAvx2Gemm"/>: word k of eight neighbouring columns is one zmm vector, each A word is broadcast
/// and XORed with eight columns at once, counted per byte (<see cref="IAvx512ByteCounter"/>) and one <c>vpsadbw</c>
/// per group leaves the eight dots in the eight 64-bit lanes, so no horizontal sum is needed. Tiles of 4 rows × 2 groups.
/// </summary>
internal static unsafe class GroupedAvx512Gemm
{
    [ThreadStatic] private static int[]? _offsetSlot;

    /// <summary>Columns per group: the 64-bit lanes of a zmm vector.</summary>
    public const int GroupWidth = 8;

    /// <summary>Offset tables up to this many words live on the stack.</summary>
    private const int MaxStackOffsets = 2048;

    /// <summary>C[i * ldc + j] = bits − 2·popcount(a_i XOR b_j) for i &lt; m, j &lt; n, with B interleaved in groups of eight.</summary>
    public static void Run(ulong* a, int m, ulong* interleaved, int n, int words, int bits, int* c, int ldc)
    {
        var offsets = words > MaxStackOffsets ? Scratch.Span(ref _offsetSlot, words) : stackalloc int[words];
        for (var w = 0; w < words; w++) offsets[w] = GroupWidth * w;
        fixed (int* poffsets = offsets)
        {
            var groups = (n + GroupWidth - 1) / GroupWidth;
            var work = (long)m * n * words;
            var parts = (int)Math.Min(Math.Min(KernelParallelism.MaxThreads, groups),
                Math.Max(1, work / InterleavedAvx2Gemm.MinWordPairsPerThread));
            if (parts <= 1) RunGroups(a, m, interleaved, GroupWidth * words, poffsets, n, 0, groups, words, bits, c, ldc);
            else RunParallel(a, m, interleaved, poffsets, n, groups, words, bits, c, ldc, parts);
        }
    }

    /// <summary>Kept apart from <see cref="Run"/> so its closure is only allocated when threads are actually used.</summary>
    private static void RunParallel(ulong* a, int m, ulong* interleaved, int* offsets, int n, int groups, int words, int bits,
        int* c, int ldc, int parts)
    {
        nint pa = (nint)a, pb = (nint)interleaved, pc = (nint)c, po = (nint)offsets;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            RunGroups((ulong*)pa, m, (ulong*)pb, GroupWidth * words, (int*)po, n, (int)((long)groups * part / parts),
                (int)((long)groups * (part + 1) / parts), words, bits, (int*)pc, ldc));
    }

    /// <summary>
    /// Column groups [g0, g1): word k of the eight columns of group g is the vector at <c>b + g · groupStride + offsets[k]</c>
    /// (an interleaved copy has offsets[k] = 8k; the direct conv points them into zero-bordered word planes).
    /// </summary>
    public static void RunGroups(ulong* a, int m, ulong* b, int groupStride, int* offsets, int n, int g0, int g1, int words,
        int bits, int* c, int ldc)
    {
        if (Avx512Vbmi.IsSupported) RunGroups<VbmiByteCounter>(a, m, b, groupStride, offsets, n, g0, g1, words, bits, c, ldc);
        else RunGroups<NibbleByteCounter>(a, m, b, groupStride, offsets, n, g0, g1, words, bits, c, ldc);
    }

    private static void RunGroups<TCounter>(ulong* a, int m, ulong* b, int groupStride, int* offsets, int n, int g0, int g1,
        int words, int bits, int* c, int ldc) where TCounter : struct, IAvx512ByteCounter
    {
        var g = g0;
        for (; g + 2 <= g1; g += 2)
        {
            var b0 = b + (long)g * groupStride;
            var b1 = b0 + groupStride;
            var i = 0;
            for (; i + 4 <= m; i += 4)
                Tile4x2<TCounter>(a + (long)i * words, words, b0, b1, offsets, bits, c + (long)i * ldc, ldc, g * GroupWidth, n);
            for (; i < m; i++)
            {
                Single<TCounter>(a + (long)i * words, words, b0, offsets, bits, c + (long)i * ldc, g * GroupWidth, n);
                Single<TCounter>(a + (long)i * words, words, b1, offsets, bits, c + (long)i * ldc, (g + 1) * GroupWidth, n);
            }
        }
        for (; g < g1; g++)
            for (var i = 0; i < m; i++)
                Single<TCounter>(a + (long)i * words, words, b + (long)g * groupStride, offsets, bits, c + (long)i * ldc,
                    g * GroupWidth, n);
    }

    /// <summary>Four rows against two groups (16 columns): each loaded column vector serves four rows.</summary>
    private static void Tile4x2<TCounter>(ulong* a, int words, ulong* b0, ulong* b1, int* offsets, int bits, int* c, int ldc,
        int column, int n) where TCounter : struct, IAvx512ByteCounter
    {
        TCounter.Tables(1, out var t1, out var t2, out var t3);
        Vector512<ulong> s00 = default, s01 = default, s10 = default, s11 = default;
        Vector512<ulong> s20 = default, s21 = default, s30 = default, s31 = default;
        for (var w0 = 0; w0 < words; w0 += Avx512ByteCounts.BlockVectors)
        {
            var w1 = Math.Min(words, w0 + Avx512ByteCounts.BlockVectors);
            Vector512<byte> c00 = default, c01 = default, c10 = default, c11 = default;
            Vector512<byte> c20 = default, c21 = default, c30 = default, c31 = default;
            for (var w = w0; w < w1; w++)
            {
                var offset = offsets[w];
                var v0 = Avx512F.LoadVector512(b0 + offset);
                var v1 = Avx512F.LoadVector512(b1 + offset);
                var x = Vector512.Create(a[w]);
                c00 += TCounter.Count(v0 ^ x, t1, t2, t3);
                c01 += TCounter.Count(v1 ^ x, t1, t2, t3);
                x = Vector512.Create(a[words + w]);
                c10 += TCounter.Count(v0 ^ x, t1, t2, t3);
                c11 += TCounter.Count(v1 ^ x, t1, t2, t3);
                x = Vector512.Create(a[2 * words + w]);
                c20 += TCounter.Count(v0 ^ x, t1, t2, t3);
                c21 += TCounter.Count(v1 ^ x, t1, t2, t3);
                x = Vector512.Create(a[3 * words + w]);
                c30 += TCounter.Count(v0 ^ x, t1, t2, t3);
                c31 += TCounter.Count(v1 ^ x, t1, t2, t3);
            }
            s00 += Avx512ByteCounts.Widen(c00);
            s01 += Avx512ByteCounts.Widen(c01);
            s10 += Avx512ByteCounts.Widen(c10);
            s11 += Avx512ByteCounts.Widen(c11);
            s20 += Avx512ByteCounts.Widen(c20);
            s21 += Avx512ByteCounts.Widen(c21);
            s30 += Avx512ByteCounts.Widen(c30);
            s31 += Avx512ByteCounts.Widen(c31);
        }
        Store(s00, c, column, n, bits);
        Store(s01, c, column + GroupWidth, n, bits);
        Store(s10, c + ldc, column, n, bits);
        Store(s11, c + ldc, column + GroupWidth, n, bits);
        Store(s20, c + 2L * ldc, column, n, bits);
        Store(s21, c + 2L * ldc, column + GroupWidth, n, bits);
        Store(s30, c + 3L * ldc, column, n, bits);
        Store(s31, c + 3L * ldc, column + GroupWidth, n, bits);
    }

    /// <summary>One row against one group of eight columns.</summary>
    private static void Single<TCounter>(ulong* row, int words, ulong* group, int* offsets, int bits, int* cRow, int column, int n)
        where TCounter : struct, IAvx512ByteCounter
    {
        TCounter.Tables(1, out var t1, out var t2, out var t3);
        Vector512<ulong> sums = default;
        for (var w0 = 0; w0 < words; w0 += Avx512ByteCounts.BlockVectors)
        {
            var w1 = Math.Min(words, w0 + Avx512ByteCounts.BlockVectors);
            Vector512<byte> counts = default;
            for (var w = w0; w < w1; w++)
                counts += TCounter.Count(Avx512F.LoadVector512(group + offsets[w]) ^ Vector512.Create(row[w]), t1, t2, t3);
            sums += Avx512ByteCounts.Widen(counts);
        }
        Store(sums, cRow, column, n, bits);
    }

    /// <summary>Writes bits − 2·count for the (up to) eight columns starting at <paramref name="column"/> that exist.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<ulong> counts, int* cRow, int column, int n, int bits)
    {
        var counted = Avx512F.ConvertToVector256Int32(counts.AsInt64());
        var dots = Vector256.Create(bits) - (counted + counted);
        if (column + GroupWidth <= n)
        {
            dots.Store(cRow + column);
            return;
        }
        for (var q = 0; q < GroupWidth && column + q < n; q++) cRow[column + q] = dots.GetElement(q);
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// AVX2 XOR-popcount micro-kernel on operands stored pre-split into nibbles: every word is kept as its low nibbles
/// (<c>x &amp; 0x0F…</c>) and its high nibbles (<c>(x &gt;&gt; 4) &amp; 0x0F…</c>). The nibbles of a XOR b are then the XOR
/// of the split nibbles, so a 256-bit count is two XORs and two <c>vpshufb</c> lookups, without the shift and masks the
/// nibble lookup otherwise spends on every product (they are paid once per stored word instead).
/// </summary>
/// <remarks>
/// Column groups are four neighbouring columns whose word k sits at <c>b + g·groupStride + offsets[k]</c> (low nibbles)
/// and <c>hiDistance</c> words further (high nibbles); A rows are <c>words</c> long in <c>aLow</c> and <c>aHigh</c>.
/// Tiles of 2 rows × 2 groups; byte counters widen every <see cref="InterleavedAvx2Gemm.BlockWords"/> words.
/// </remarks>
internal static unsafe class NibbleSplitAvx2Kernel
{
    /// <summary>Low and high nibbles of <paramref name="count"/> words into <paramref name="low"/> and <paramref name="high"/>.</summary>
    public static void Split(ulong* words, int count, ulong* low, ulong* high)
    {
        const ulong mask = 0x0F0F_0F0F_0F0F_0F0FUL;
        for (var i = 0; i < count; i++)
        {
            low[i] = words[i] & mask;
            high[i] = (words[i] >> 4) & mask;
        }
    }

    /// <summary>C[i · ldc + j] = bits − 2·popcount(a_i XOR b_j) for rows i &lt; m and columns j &lt; n.</summary>
    public static void Run(ulong* aLow, ulong* aHigh, int m, int words, ulong* b, long hiDistance, int groupStride,
        int* offsets, int n, int bits, int* c, int ldc)
    {
        var lut = Vector256.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
        var groups = (n + 3) / 4;
        var g = 0;
        for (; g + 2 <= groups; g += 2)
        {
            var b0 = b + (long)g * groupStride;
            var b1 = b0 + groupStride;
            var i = 0;
            for (; i + 4 <= m; i += 4)
                Tile4x2(aLow + (long)i * words, aHigh + (long)i * words, words, b0, b1, hiDistance, offsets, bits,
                    c + (long)i * ldc, ldc, g * 4, n, lut);
            for (; i + 2 <= m; i += 2)
            {
                ulong* l0 = aLow + (long)i * words, h0 = aHigh + (long)i * words;
                ulong* l1 = l0 + words, h1 = h0 + words;
                Vector256<ulong> s00 = default, s01 = default, s10 = default, s11 = default;
                for (var w0 = 0; w0 < words; w0 += InterleavedAvx2Gemm.BlockWords)
                {
                    var w1 = Math.Min(words, w0 + InterleavedAvx2Gemm.BlockWords);
                    Vector256<byte> c00 = default, c01 = default, c10 = default, c11 = default;
                    for (var w = w0; w < w1; w++)
                    {
                        var offset = offsets[w];
                        var lo0 = Avx.LoadVector256(b0 + offset).AsByte();
                        var hi0 = Avx.LoadVector256(b0 + offset + hiDistance).AsByte();
                        var lo1 = Avx.LoadVector256(b1 + offset).AsByte();
                        var hi1 = Avx.LoadVector256(b1 + offset + hiDistance).AsByte();
                        var x0 = Vector256.Create(l0[w]).AsByte();
                        var y0 = Vector256.Create(h0[w]).AsByte();
                        var x1 = Vector256.Create(l1[w]).AsByte();
                        var y1 = Vector256.Create(h1[w]).AsByte();
                        c00 = Avx2.Add(c00, Count(lo0 ^ x0, hi0 ^ y0, lut));
                        c01 = Avx2.Add(c01, Count(lo1 ^ x0, hi1 ^ y0, lut));
                        c10 = Avx2.Add(c10, Count(lo0 ^ x1, hi0 ^ y1, lut));
                        c11 = Avx2.Add(c11, Count(lo1 ^ x1, hi1 ^ y1, lut));
                    }
                    s00 = Avx2.Add(s00, Avx2.SumAbsoluteDifferences(c00, Vector256<byte>.Zero).AsUInt64());
                    s01 = Avx2.Add(s01, Avx2.SumAbsoluteDifferences(c01, Vector256<byte>.Zero).AsUInt64());
                    s10 = Avx2.Add(s10, Avx2.SumAbsoluteDifferences(c10, Vector256<byte>.Zero).AsUInt64());
                    s11 = Avx2.Add(s11, Avx2.SumAbsoluteDifferences(c11, Vector256<byte>.Zero).AsUInt64());
                }
                InterleavedAvx2Gemm.Store(s00, c + (long)i * ldc, g * 4, n, bits);
                InterleavedAvx2Gemm.Store(s01, c + (long)i * ldc, g * 4 + 4, n, bits);
                InterleavedAvx2Gemm.Store(s10, c + (long)(i + 1) * ldc, g * 4, n, bits);
                InterleavedAvx2Gemm.Store(s11, c + (long)(i + 1) * ldc, g * 4 + 4, n, bits);
            }
            for (; i < m; i++)
            {
                Single(aLow + (long)i * words, aHigh + (long)i * words, words, b0, hiDistance, offsets, bits, c + (long)i * ldc, g * 4, n, lut);
                Single(aLow + (long)i * words, aHigh + (long)i * words, words, b1, hiDistance, offsets, bits, c + (long)i * ldc, g * 4 + 4, n, lut);
            }
        }
        for (; g < groups; g++)
            for (var i = 0; i < m; i++)
                Single(aLow + (long)i * words, aHigh + (long)i * words, words, b + (long)g * groupStride, hiDistance, offsets, bits,
                    c + (long)i * ldc, g * 4, n, lut);
    }

    /// <summary>
    /// Four rows against two groups (eight columns): eight byte counters share each loaded column vector four times,
    /// which halves the loads and loop overhead per product compared with 2 × 2. Its live vectors exceed 16: the JIT
    /// keeps them in the EVEX registers where AVX-512VL exists (the measuring machine) and spills some on plain AVX2.
    /// </summary>
    private static void Tile4x2(ulong* low, ulong* high, int words, ulong* b0, ulong* b1, long hiDistance, int* offsets, int bits,
        int* c, int ldc, int column, int n, Vector256<byte> lut)
    {
        Vector256<ulong> s00 = default, s01 = default, s10 = default, s11 = default;
        Vector256<ulong> s20 = default, s21 = default, s30 = default, s31 = default;
        for (var w0 = 0; w0 < words; w0 += InterleavedAvx2Gemm.BlockWords)
        {
            var w1 = Math.Min(words, w0 + InterleavedAvx2Gemm.BlockWords);
            Vector256<byte> c00 = default, c01 = default, c10 = default, c11 = default;
            Vector256<byte> c20 = default, c21 = default, c30 = default, c31 = default;
            for (var w = w0; w < w1; w++)
            {
                var offset = offsets[w];
                var lo0 = Avx.LoadVector256(b0 + offset).AsByte();
                var hi0 = Avx.LoadVector256(b0 + offset + hiDistance).AsByte();
                var lo1 = Avx.LoadVector256(b1 + offset).AsByte();
                var hi1 = Avx.LoadVector256(b1 + offset + hiDistance).AsByte();
                var x = Vector256.Create(low[w]).AsByte();
                var y = Vector256.Create(high[w]).AsByte();
                c00 = Avx2.Add(c00, Count(lo0 ^ x, hi0 ^ y, lut));
                c01 = Avx2.Add(c01, Count(lo1 ^ x, hi1 ^ y, lut));
                x = Vector256.Create(low[words + w]).AsByte();
                y = Vector256.Create(high[words + w]).AsByte();
                c10 = Avx2.Add(c10, Count(lo0 ^ x, hi0 ^ y, lut));
                c11 = Avx2.Add(c11, Count(lo1 ^ x, hi1 ^ y, lut));
                x = Vector256.Create(low[2 * words + w]).AsByte();
                y = Vector256.Create(high[2 * words + w]).AsByte();
                c20 = Avx2.Add(c20, Count(lo0 ^ x, hi0 ^ y, lut));
                c21 = Avx2.Add(c21, Count(lo1 ^ x, hi1 ^ y, lut));
                x = Vector256.Create(low[3 * words + w]).AsByte();
                y = Vector256.Create(high[3 * words + w]).AsByte();
                c30 = Avx2.Add(c30, Count(lo0 ^ x, hi0 ^ y, lut));
                c31 = Avx2.Add(c31, Count(lo1 ^ x, hi1 ^ y, lut));
            }
            s00 = Avx2.Add(s00, Avx2.SumAbsoluteDifferences(c00, Vector256<byte>.Zero).AsUInt64());
            s01 = Avx2.Add(s01, Avx2.SumAbsoluteDifferences(c01, Vector256<byte>.Zero).AsUInt64());
            s10 = Avx2.Add(s10, Avx2.SumAbsoluteDifferences(c10, Vector256<byte>.Zero).AsUInt64());
            s11 = Avx2.Add(s11, Avx2.SumAbsoluteDifferences(c11, Vector256<byte>.Zero).AsUInt64());
            s20 = Avx2.Add(s20, Avx2.SumAbsoluteDifferences(c20, Vector256<byte>.Zero).AsUInt64());
            s21 = Avx2.Add(s21, Avx2.SumAbsoluteDifferences(c21, Vector256<byte>.Zero).AsUInt64());
            s30 = Avx2.Add(s30, Avx2.SumAbsoluteDifferences(c30, Vector256<byte>.Zero).AsUInt64());
            s31 = Avx2.Add(s31, Avx2.SumAbsoluteDifferences(c31, Vector256<byte>.Zero).AsUInt64());
        }
        InterleavedAvx2Gemm.Store(s00, c, column, n, bits);
        InterleavedAvx2Gemm.Store(s01, c, column + 4, n, bits);
        InterleavedAvx2Gemm.Store(s10, c + ldc, column, n, bits);
        InterleavedAvx2Gemm.Store(s11, c + ldc, column + 4, n, bits);
        InterleavedAvx2Gemm.Store(s20, c + 2L * ldc, column, n, bits);
        InterleavedAvx2Gemm.Store(s21, c + 2L * ldc, column + 4, n, bits);
        InterleavedAvx2Gemm.Store(s30, c + 3L * ldc, column, n, bits);
        InterleavedAvx2Gemm.Store(s31, c + 3L * ldc, column + 4, n, bits);
    }

    /// <summary>One row against one group of four columns.</summary>
    private static void Single(ulong* low, ulong* high, int words, ulong* group, long hiDistance, int* offsets, int bits, int* cRow,
        int column, int n, Vector256<byte> lut)
    {
        Vector256<ulong> sums = default;
        for (var w0 = 0; w0 < words; w0 += InterleavedAvx2Gemm.BlockWords)
        {
            var w1 = Math.Min(words, w0 + InterleavedAvx2Gemm.BlockWords);
            Vector256<byte> counts = default;
            for (var w = w0; w < w1; w++)
            {
                var lo = Avx.LoadVector256(group + offsets[w]).AsByte();
                var hi = Avx.LoadVector256(group + offsets[w] + hiDistance).AsByte();
                counts = Avx2.Add(counts, Count(lo ^ Vector256.Create(low[w]).AsByte(), hi ^ Vector256.Create(high[w]).AsByte(), lut));
            }
            sums = Avx2.Add(sums, Avx2.SumAbsoluteDifferences(counts, Vector256<byte>.Zero).AsUInt64());
        }
        InterleavedAvx2Gemm.Store(sums, cRow, column, n, bits);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Count(Vector256<byte> lowNibbles, Vector256<byte> highNibbles, Vector256<byte> lut) =>
        Avx2.Add(Avx2.Shuffle(lut, lowNibbles), Avx2.Shuffle(lut, highNibbles));
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// AVX-512 binary GEMM on plain row-major operands with long rows: tiles of 2 rows of A × 4 rows of B, so each A
/// vector loaded serves four dots. Three consecutive XOR vectors of a dot go through one carry-save adder
/// (<c>vpternlogq</c>), so only two of three vectors are counted (sum once, carry twice), into eight byte counters that
/// widen every <see cref="Avx512ByteCounts.BlockTriples"/> triples; each dot is summed across lanes once at its end.
/// The 0..2 vectors after the last triple and a row tail of 1..7 words are counted one by one (the tail with masked
/// loads). Columns are blocked so the B rows of a block stay in L1 while A rows pass over them.
/// </summary>
internal static unsafe class TiledAvx512Gemm
{
    /// <summary>Shortest row (one zmm vector) for which the tiles beat the scalar popcnt tile (2x at 8 words, 3x at 16).</summary>
    public const int MinWords = 8;

    /// <summary>Bytes of B rows kept in L1 per column block (half of a 32–48 KB L1, leaving room for the A rows).</summary>
    private const int ColumnBlockBytes = 16 * 1024;

    /// <summary>C[i * ldc + j] for rows i &lt; m and columns j in [start, end), on the processor's fastest byte counter.</summary>
    public static void RunColumns(ulong* a, int m, ulong* b, int start, int end, int words, int bits, int* c, int ldc)
    {
        if (Avx512Vbmi.IsSupported) RunColumns<VbmiByteCounter>(a, m, b, start, end, words, bits, c, ldc);
        else RunColumns<NibbleByteCounter>(a, m, b, start, end, words, bits, c, ldc);
    }

    private static void RunColumns<TCounter>(ulong* a, int m, ulong* b, int start, int end, int words, int bits, int* c, int ldc)
        where TCounter : struct, IAvx512ByteCounter
    {
        var columnBlock = Math.Clamp(ColumnBlockBytes / (8 * words) / 4 * 4, 4, 64);
        for (var j0 = start; j0 < end; j0 += columnBlock)
        {
            var j1 = Math.Min(end, j0 + columnBlock);
            var i = 0;
            for (; i + 2 <= m; i += 2)
            {
                var tiled = (j1 - j0) & ~3;
                RowPair<TCounter>(a + (long)i * words, b + (long)j0 * words, tiled / 4, words, bits, c + (long)i * ldc + j0, ldc);
                Dots(a, i, i + 2, b, j0 + tiled, j1, words, bits, c, ldc);
            }
            Dots(a, i, m, b, j0, j1, words, bits, c, ldc);
        }
    }

    /// <summary>Edge outputs, one Harley-Seal dot each.</summary>
    private static void Dots(ulong* a, int i0, int i1, ulong* b, int j0, int j1, int words, int bits, int* c, int ldc)
    {
        for (var i = i0; i < i1; i++)
            for (var j = j0; j < j1; j++)
                c[(long)i * ldc + j] = bits - 2 * (int)Avx512XorPopCounter.Count(a + (long)i * words, b + (long)j * words, words);
    }

    /// <summary>Two rows of A against <paramref name="quads"/> groups of four consecutive B rows, one 2x4 tile each.</summary>
    private static void RowPair<TCounter>(ulong* a, ulong* b, int quads, int words, int bits, int* c, int ldc)
        where TCounter : struct, IAvx512ByteCounter
    {
        TCounter.Tables(1, out var t1, out var t2, out var t3);
        TCounter.Tables(2, out var d1, out var d2, out _);
        for (var quad = 0; quad < quads; quad++)
            Tile2x4<TCounter>(a, b + 4L * quad * words, words, bits, c + 4 * quad, ldc, t1, t2, t3, d1, d2);
    }

    // Out of line: inlined into RowPair's loop, the JIT spilled twice as many zmm registers in the tile.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Tile2x4<TCounter>(ulong* a, ulong* b, int words, int bits, int* c, int ldc,
        Vector512<byte> t1, Vector512<byte> t2, Vector512<byte> t3, Vector512<byte> d1, Vector512<byte> d2)
        where TCounter : struct, IAvx512ByteCounter
    {
        ulong* a0 = a, a1 = a + words, b0 = b, b1 = b + words, b2 = b + 2L * words, b3 = b + 3L * words;
        Vector512<ulong> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector512<ulong> s10 = default, s11 = default, s12 = default, s13 = default;
        var vectors = words >> 3;
        var triples = vectors / 3;
        for (var q0 = 0; ; q0 += Avx512ByteCounts.BlockTriples)
        {
            var q1 = Math.Min(triples, q0 + Avx512ByteCounts.BlockTriples);
            Vector512<byte> c00 = default, c01 = default, c02 = default, c03 = default;
            Vector512<byte> c10 = default, c11 = default, c12 = default, c13 = default;
            for (var w = 24L * q0; w < 24L * q1; w += 24)
            {
                // Row by row, so only three A vectors are live (the B vectors are loaded into the XORs).
                var x = Avx512F.LoadVector512(a0 + w);
                var y = Avx512F.LoadVector512(a0 + w + 8);
                var z = Avx512F.LoadVector512(a0 + w + 16);
                c00 += Triple<TCounter>(x, y, z, b0 + w, t1, t2, t3, d1, d2);
                c01 += Triple<TCounter>(x, y, z, b1 + w, t1, t2, t3, d1, d2);
                c02 += Triple<TCounter>(x, y, z, b2 + w, t1, t2, t3, d1, d2);
                c03 += Triple<TCounter>(x, y, z, b3 + w, t1, t2, t3, d1, d2);
                x = Avx512F.LoadVector512(a1 + w);
                y = Avx512F.LoadVector512(a1 + w + 8);
                z = Avx512F.LoadVector512(a1 + w + 16);
                c10 += Triple<TCounter>(x, y, z, b0 + w, t1, t2, t3, d1, d2);
                c11 += Triple<TCounter>(x, y, z, b1 + w, t1, t2, t3, d1, d2);
                c12 += Triple<TCounter>(x, y, z, b2 + w, t1, t2, t3, d1, d2);
                c13 += Triple<TCounter>(x, y, z, b3 + w, t1, t2, t3, d1, d2);
            }
            // The 0..2 whole vectors after the last triple and the 1..7 tail words join the last block when it has room for
            // their 3 x 8 per byte (9 triples or fewer: 9 x 24 + 24 = 240); after a full block they get one of their own.
            var last = q1 == triples && q1 - q0 < Avx512ByteCounts.BlockTriples;
            if (last)
            {
                var w = 24L * triples;
                for (; w + 8 <= words; w += 8)
                {
                    var x0 = Avx512F.LoadVector512(a0 + w);
                    var x1 = Avx512F.LoadVector512(a1 + w);
                    var y0 = Avx512F.LoadVector512(b0 + w);
                    var y1 = Avx512F.LoadVector512(b1 + w);
                    var y2 = Avx512F.LoadVector512(b2 + w);
                    var y3 = Avx512F.LoadVector512(b3 + w);
                    c00 += TCounter.Count(x0 ^ y0, t1, t2, t3);
                    c01 += TCounter.Count(x0 ^ y1, t1, t2, t3);
                    c02 += TCounter.Count(x0 ^ y2, t1, t2, t3);
                    c03 += TCounter.Count(x0 ^ y3, t1, t2, t3);
                    c10 += TCounter.Count(x1 ^ y0, t1, t2, t3);
                    c11 += TCounter.Count(x1 ^ y1, t1, t2, t3);
                    c12 += TCounter.Count(x1 ^ y2, t1, t2, t3);
                    c13 += TCounter.Count(x1 ^ y3, t1, t2, t3);
                }
                if (w < words)
                {
                    var mask = Avx512Lookup.FirstWords((int)(words - w));
                    var x0 = Avx512F.MaskLoad(a0 + w, mask, default);
                    var x1 = Avx512F.MaskLoad(a1 + w, mask, default);
                    var y0 = Avx512F.MaskLoad(b0 + w, mask, default);
                    var y1 = Avx512F.MaskLoad(b1 + w, mask, default);
                    var y2 = Avx512F.MaskLoad(b2 + w, mask, default);
                    var y3 = Avx512F.MaskLoad(b3 + w, mask, default);
                    c00 += TCounter.Count(x0 ^ y0, t1, t2, t3);
                    c01 += TCounter.Count(x0 ^ y1, t1, t2, t3);
                    c02 += TCounter.Count(x0 ^ y2, t1, t2, t3);
                    c03 += TCounter.Count(x0 ^ y3, t1, t2, t3);
                    c10 += TCounter.Count(x1 ^ y0, t1, t2, t3);
                    c11 += TCounter.Count(x1 ^ y1, t1, t2, t3);
                    c12 += TCounter.Count(x1 ^ y2, t1, t2, t3);
                    c13 += TCounter.Count(x1 ^ y3, t1, t2, t3);
                }
            }
            s00 += Avx512ByteCounts.Widen(c00);
            s01 += Avx512ByteCounts.Widen(c01);
            s02 += Avx512ByteCounts.Widen(c02);
            s03 += Avx512ByteCounts.Widen(c03);
            s10 += Avx512ByteCounts.Widen(c10);
            s11 += Avx512ByteCounts.Widen(c11);
            s12 += Avx512ByteCounts.Widen(c12);
            s13 += Avx512ByteCounts.Widen(c13);
            if (last) break;
        }
        var dots = Vector256.Create(bits) - 2 * Avx512F.ConvertToVector256Int32(Totals(s00, s01, s02, s03, s10, s11, s12, s13).AsInt64());
        dots.GetLower().Store(c);
        dots.GetUpper().Store(c + ldc);
    }

    /// <summary>Byte counts of (x, y, z) XOR the three vectors at <paramref name="b"/>, through one carry-save adder.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Triple<TCounter>(Vector512<ulong> x, Vector512<ulong> y, Vector512<ulong> z, ulong* b,
        Vector512<byte> t1, Vector512<byte> t2, Vector512<byte> t3, Vector512<byte> d1, Vector512<byte> d2)
        where TCounter : struct, IAvx512ByteCounter =>
        Avx512ByteCounts.Triple<TCounter>(x ^ Avx512F.LoadVector512(b), y ^ Avx512F.LoadVector512(b + 8),
            z ^ Avx512F.LoadVector512(b + 16), t1, t2, t3, d1, d2);

    /// <summary>
    /// The lane sums of eight count vectors as one vector in their order: pairs of lanes added within 128-bit lanes
    /// (unpack), then 128-bit lanes added across vectors (<c>vshufi64x2</c>) twice, 21 operations for eight sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Totals(Vector512<ulong> s0, Vector512<ulong> s1, Vector512<ulong> s2, Vector512<ulong> s3,
        Vector512<ulong> s4, Vector512<ulong> s5, Vector512<ulong> s6, Vector512<ulong> s7)
    {
        var r01 = Avx512F.UnpackLow(s0, s1) + Avx512F.UnpackHigh(s0, s1);
        var r23 = Avx512F.UnpackLow(s2, s3) + Avx512F.UnpackHigh(s2, s3);
        var r45 = Avx512F.UnpackLow(s4, s5) + Avx512F.UnpackHigh(s4, s5);
        var r67 = Avx512F.UnpackLow(s6, s7) + Avx512F.UnpackHigh(s6, s7);
        // 0x88 takes 128-bit lanes 0 and 2 of each operand, 0xDD lanes 1 and 3.
        var r0123 = Avx512F.Shuffle4x128(r01, r23, 0x88) + Avx512F.Shuffle4x128(r01, r23, 0xDD);
        var r4567 = Avx512F.Shuffle4x128(r45, r67, 0x88) + Avx512F.Shuffle4x128(r45, r67, 0xDD);
        return Avx512F.Shuffle4x128(r0123, r4567, 0x88) + Avx512F.Shuffle4x128(r0123, r4567, 0xDD);
    }
}

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels.Binary;

/// <summary>One instruction-set implementation of popcount(a XOR b) over a run of words.</summary>
/// <remarks>Static abstract so generic loops over a struct implementation get it inlined (no delegate, no branch per call).</remarks>
internal unsafe interface IXorPopCounter
{
    static abstract long Count(ulong* a, ulong* b, int words);
}

/// <summary>The scalar reference: hardware popcnt through <see cref="BitOperations.PopCount(ulong)"/>, four accumulators, pointer bumping.</summary>
internal readonly unsafe struct ScalarXorPopCounter : IXorPopCounter
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Count(ulong* a, ulong* b, int words)
    {
        long c0 = 0, c1 = 0, c2 = 0, c3 = 0;
        var end4 = a + (words & ~3);
        while (a < end4)
        {
            c0 += BitOperations.PopCount(a[0] ^ b[0]);
            c1 += BitOperations.PopCount(a[1] ^ b[1]);
            c2 += BitOperations.PopCount(a[2] ^ b[2]);
            c3 += BitOperations.PopCount(a[3] ^ b[3]);
            a += 4;
            b += 4;
        }
        var end = end4 + (words & 3);
        while (a < end)
        {
            c0 += BitOperations.PopCount(*a ^ *b);
            a++;
            b++;
        }
        return c0 + c1 + c2 + c3;
    }
}

/// <summary>
/// AVX2 nibble lookup: the popcount of each 4-bit nibble comes from a 16-entry table via <c>vpshufb</c>, summed in byte
/// lanes for at most <see cref="BlockVectors"/> vectors (8 per byte per vector, so bytes never exceed 255), then
/// widened with <c>vpsadbw</c>. The table is a local so it stays in a register.
/// </summary>
internal readonly unsafe struct Avx2XorPopCounter : IXorPopCounter
{
    /// <summary>Vectors summed in byte lanes before widening; 2 chains x 16 x 8 bits = 128 per byte, below 255.</summary>
    private const int BlockVectors = 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Count(ulong* a, ulong* b, int words)
    {
        var vectors = words >> 2;
        long total = 0;
        if (vectors > 0)
        {
            var lut = Vector256.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
            var low = Vector256.Create((byte)0x0F);
            var sums = Vector256<ulong>.Zero;
            while (vectors > 0)
            {
                var block = Math.Min(vectors, BlockVectors);
                vectors -= block;
                var acc0 = Vector256<byte>.Zero;
                var acc1 = Vector256<byte>.Zero;
                for (; block >= 2; block -= 2)
                {
                    var x0 = (Avx.LoadVector256(a) ^ Avx.LoadVector256(b)).AsByte();
                    var x1 = (Avx.LoadVector256(a + 4) ^ Avx.LoadVector256(b + 4)).AsByte();
                    acc0 = Avx2.Add(acc0, Avx2.Add(Avx2.Shuffle(lut, x0 & low),
                        Avx2.Shuffle(lut, Avx2.ShiftRightLogical(x0.AsUInt16(), 4).AsByte() & low)));
                    acc1 = Avx2.Add(acc1, Avx2.Add(Avx2.Shuffle(lut, x1 & low),
                        Avx2.Shuffle(lut, Avx2.ShiftRightLogical(x1.AsUInt16(), 4).AsByte() & low)));
                    a += 8;
                    b += 8;
                }
                if (block == 1)
                {
                    var x0 = (Avx.LoadVector256(a) ^ Avx.LoadVector256(b)).AsByte();
                    acc0 = Avx2.Add(acc0, Avx2.Add(Avx2.Shuffle(lut, x0 & low),
                        Avx2.Shuffle(lut, Avx2.ShiftRightLogical(x0.AsUInt16(), 4).AsByte() & low)));
                    a += 4;
                    b += 4;
                }
                sums = Avx2.Add(sums, Avx2.SumAbsoluteDifferences(acc0, Vector256<byte>.Zero).AsUInt64());
                sums = Avx2.Add(sums, Avx2.SumAbsoluteDifferences(acc1, Vector256<byte>.Zero).AsUInt64());
            }
            total = (long)Vector256.Sum(sums);
        }
        return total + ScalarXorPopCounter.Count(a, b, words & 3);
    }
}

/// <summary>
/// AVX-512 counter: Harley-Seal over blocks of <see cref="BlockVectors"/> zmm vectors (carry-save adders as two
/// <c>vpternlogq</c> each, 0x96 = three-way XOR for the sum, 0xE8 = majority for the carry), so only one vector in
/// sixteen is popcounted; a popcount is the AVX-512BW nibble lookup (<c>vpshufb</c>) widened by <c>vpsadbw</c>.
/// Vectors after the last whole block are counted by the lookup alone, and the last 1..7 words by a masked load.
/// </summary>
/// <remarks>.NET 10 has no VPOPCNTQ intrinsic (no <c>Avx512Vpopcntdq</c> class, no <c>Vector512.PopCount</c>).</remarks>
internal readonly unsafe struct Avx512XorPopCounter : IXorPopCounter
{
    /// <summary>Vectors per Harley-Seal block: ones, twos, fours and eights carry from block to block.</summary>
    private const int BlockVectors = 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Count(ulong* a, ulong* b, int words)
    {
        var lut = Avx512Lookup.Table();
        var low = Vector512.Create((byte)0x0F);
        var total = Vector512<ulong>.Zero;
        var blocks = words / (8 * BlockVectors);
        if (blocks > 0)
        {
            Vector512<ulong> ones = default, twos = default, fours = default, eights = default;
            for (; blocks > 0; blocks--)
            {
                Csa(out var twosA, ref ones, Xor(a, b, 0), Xor(a, b, 1));
                Csa(out var twosB, ref ones, Xor(a, b, 2), Xor(a, b, 3));
                Csa(out var foursA, ref twos, twosA, twosB);
                Csa(out twosA, ref ones, Xor(a, b, 4), Xor(a, b, 5));
                Csa(out twosB, ref ones, Xor(a, b, 6), Xor(a, b, 7));
                Csa(out var foursB, ref twos, twosA, twosB);
                Csa(out var eightsA, ref fours, foursA, foursB);
                Csa(out twosA, ref ones, Xor(a, b, 8), Xor(a, b, 9));
                Csa(out twosB, ref ones, Xor(a, b, 10), Xor(a, b, 11));
                Csa(out foursA, ref twos, twosA, twosB);
                Csa(out twosA, ref ones, Xor(a, b, 12), Xor(a, b, 13));
                Csa(out twosB, ref ones, Xor(a, b, 14), Xor(a, b, 15));
                Csa(out foursB, ref twos, twosA, twosB);
                Csa(out var eightsB, ref fours, foursA, foursB);
                Csa(out var sixteens, ref eights, eightsA, eightsB);
                total += Avx512Lookup.PopCount(sixteens, lut, low);
                a += 8 * BlockVectors;
                b += 8 * BlockVectors;
            }
            total = (total << 4) + (Avx512Lookup.PopCount(eights, lut, low) << 3)
                + (Avx512Lookup.PopCount(fours, lut, low) << 2) + (Avx512Lookup.PopCount(twos, lut, low) << 1)
                + Avx512Lookup.PopCount(ones, lut, low);
        }
        // At most 15 whole vectors and one partial one remain: 16 x 8 = 128 per byte lane, below 255.
        var rest = words & (8 * BlockVectors - 1);
        if (rest > 0)
        {
            var counts = Vector512<byte>.Zero;
            for (; rest >= 8; rest -= 8, a += 8, b += 8)
                counts += Avx512Lookup.ByteCounts(Xor(a, b, 0), lut, low);
            if (rest > 0)
            {
                var mask = Avx512Lookup.FirstWords(rest);
                counts += Avx512Lookup.ByteCounts(Avx512F.MaskLoad(a, mask, default) ^ Avx512F.MaskLoad(b, mask, default), lut, low);
            }
            total += Avx512BW.SumAbsoluteDifferences(counts, Vector512<byte>.Zero).AsUInt64();
        }
        return (long)Vector512.Sum(total);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Xor(ulong* a, ulong* b, int vector) =>
        Avx512F.LoadVector512(a + 8 * vector) ^ Avx512F.LoadVector512(b + 8 * vector);

    /// <summary>Carry-save adder: <paramref name="sum"/> and the two inputs in, <paramref name="carry"/> out.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Csa(out Vector512<ulong> carry, ref Vector512<ulong> sum, Vector512<ulong> x, Vector512<ulong> y)
    {
        carry = Avx512F.TernaryLogic(sum, x, y, 0xE8);
        sum = Avx512F.TernaryLogic(sum, x, y, 0x96);
    }
}

/// <summary>The AVX-512BW nibble-lookup popcount shared by the 512-bit binary kernels.</summary>
internal static class Avx512Lookup
{
    /// <summary>
    /// Popcounts of the 16 nibbles in every 128-bit lane, times <paramref name="weight"/> (1 or 2); call it into a local
    /// so it stays in a register.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Table(byte weight = 1)
    {
        var table = Vector512.Create(Vector128.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4));
        return weight == 1 ? table : table + table;
    }

    /// <summary>Popcount of every byte of <paramref name="x"/> (0..8 per byte).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> ByteCounts(Vector512<ulong> x, Vector512<byte> lut, Vector512<byte> low) =>
        Avx512BW.Shuffle(lut, x.AsByte() & low) + Avx512BW.Shuffle(lut, (x >> 4).AsByte() & low);

    /// <summary>Popcount of every 64-bit lane of <paramref name="x"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> PopCount(Vector512<ulong> x, Vector512<byte> lut, Vector512<byte> low) =>
        Avx512BW.SumAbsoluteDifferences(ByteCounts(x, lut, low), Vector512<byte>.Zero).AsUInt64();

    /// <summary>A load mask selecting the first <paramref name="count"/> (0..8) 64-bit lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> FirstWords(int count) =>
        Vector512.LessThan(Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7), Vector512.Create((ulong)count));
}

/// <summary>
/// Per-byte popcount of a zmm vector for the 512-bit tiled kernels, which add it into byte counters and widen them with
/// <c>vpsadbw</c> before a byte can pass 255. The three tables are made once per kernel call by <see cref="Tables"/>
/// and passed back in so they stay in registers; tables made with weight 2 count every bit twice (a carry vector; weights are 1 or 2). The third table does not
/// depend on the weight.
/// </summary>
internal interface IAvx512ByteCounter
{
    static abstract void Tables(byte weight, out Vector512<byte> first, out Vector512<byte> second, out Vector512<byte> third);

    static abstract Vector512<byte> Count(Vector512<ulong> x, Vector512<byte> first, Vector512<byte> second, Vector512<byte> third);
}

/// <summary>AVX-512BW nibble lookup: two <c>vpshufb</c> on the masked low and shifted high nibbles (five operations).</summary>
internal readonly struct NibbleByteCounter : IAvx512ByteCounter
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tables(byte weight, out Vector512<byte> first, out Vector512<byte> second, out Vector512<byte> third)
    {
        first = Avx512Lookup.Table(weight);
        second = Vector512.Create((byte)0x0F);
        third = default;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Count(Vector512<ulong> x, Vector512<byte> first, Vector512<byte> second, Vector512<byte> third) =>
        Avx512Lookup.ByteCounts(x, first, second);
}

/// <summary>
/// AVX-512 VBMI lookup in three operations: <c>vpermb</c> indexes a 64-entry table with the low six bits of each byte
/// as they are (no mask), and <c>vpmultishiftqb</c> moves bits 6..7 of each byte to the bottom of an index into a table
/// that counts only those two bits (the four bits of the next byte that come along are ignored by it).
/// </summary>
internal readonly struct VbmiByteCounter : IAvx512ByteCounter
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tables(byte weight, out Vector512<byte> first, out Vector512<byte> second, out Vector512<byte> third)
    {
        var index = Vector512<byte>.Indices;
        var nibbles = Avx512Lookup.Table(weight);
        first = nibbles + Avx512BW.Shuffle(nibbles, index >>> 4);
        second = Avx512BW.Shuffle(nibbles, index & Vector512.Create((byte)3));
        // Byte j of every 64-bit lane takes the 8 bits starting at bit 8j + 6.
        third = Vector512.Create(0x3E362E261E160E06UL).AsByte();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Count(Vector512<ulong> x, Vector512<byte> first, Vector512<byte> second, Vector512<byte> third) =>
        Avx512Vbmi.PermuteVar64x8(first, x.AsByte()) + Avx512Vbmi.PermuteVar64x8(second, Avx512Vbmi.MultiShift(third, x));
}

/// <summary>Widening schedule shared by the 512-bit tiled kernels.</summary>
internal static class Avx512ByteCounts
{
    /// <summary>Vectors counted into byte lanes before widening: 31 x 8 bits = 248 per byte, below 255.</summary>
    public const int BlockVectors = 31;

    /// <summary>
    /// Carry-save triples (three vectors as a sum counted once and a carry counted twice) before widening:
    /// 10 x (8 + 16) = 240 per byte, below 255.
    /// </summary>
    public const int BlockTriples = 10;

    /// <summary>
    /// Byte counts of three vectors through one carry-save adder (<c>vpternlogq</c>): the sum is counted with the
    /// weight-1 tables <paramref name="t1"/>, <paramref name="t2"/>, <paramref name="t3"/> and the carry with the
    /// weight-2 tables <paramref name="d1"/>, <paramref name="d2"/>, two counts for three vectors (at most 24 per byte).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Triple<TCounter>(Vector512<ulong> p, Vector512<ulong> q, Vector512<ulong> r,
        Vector512<byte> t1, Vector512<byte> t2, Vector512<byte> t3, Vector512<byte> d1, Vector512<byte> d2)
        where TCounter : struct, IAvx512ByteCounter
    {
        var sum = Avx512F.TernaryLogic(p, q, r, 0x96);
        var carry = Avx512F.TernaryLogic(p, q, r, 0xE8);
        return TCounter.Count(sum, t1, t2, t3) + TCounter.Count(carry, d1, d2, t3);
    }

    /// <summary>The byte counters of one block widened to one 64-bit count per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> Widen(Vector512<byte> counts) =>
        Avx512BW.SumAbsoluteDifferences(counts, Vector512<byte>.Zero).AsUInt64();
}

/// <summary>
/// 128-bit path: on Arm, <c>AdvSimd.PopCount</c> (cnt) per byte with pairwise widening adds; on x86, the SSSE3 nibble
/// lookup (<c>pshufb</c>) with byte accumulators and <c>psadbw</c>. Elsewhere it falls back to the scalar counter.
/// </summary>
internal readonly unsafe struct Vector128XorPopCounter : IXorPopCounter
{
    /// <summary>Vectors summed in byte lanes before widening: 16 x 8 bits = 128 per byte, below 255.</summary>
    private const int BlockVectors = 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Count(ulong* a, ulong* b, int words)
    {
        if (AdvSimd.IsSupported) return CountArm(a, b, words);
        if (Ssse3.IsSupported) return CountSsse3(a, b, words);
        return ScalarXorPopCounter.Count(a, b, words);
    }

    private static long CountArm(ulong* a, ulong* b, int words)
    {
        var vectors = words >> 1;
        var sums = Vector128<ulong>.Zero;
        while (vectors > 0)
        {
            var block = Math.Min(vectors, BlockVectors);
            vectors -= block;
            var acc = Vector128<byte>.Zero;
            for (; block > 0; block--)
            {
                var x = (AdvSimd.LoadVector128(a) ^ AdvSimd.LoadVector128(b)).AsByte();
                acc = AdvSimd.Add(acc, AdvSimd.PopCount(x));
                a += 2;
                b += 2;
            }
            var halves = AdvSimd.AddPairwiseWidening(acc);
            sums = AdvSimd.AddPairwiseWideningAndAdd(sums, AdvSimd.AddPairwiseWidening(halves));
        }
        return (long)(sums.GetElement(0) + sums.GetElement(1)) + ScalarXorPopCounter.Count(a, b, words & 1);
    }

    private static long CountSsse3(ulong* a, ulong* b, int words)
    {
        var vectors = words >> 1;
        var lut = Vector128.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
        var low = Vector128.Create((byte)0x0F);
        var sums = Vector128<ulong>.Zero;
        while (vectors > 0)
        {
            var block = Math.Min(vectors, BlockVectors);
            vectors -= block;
            var acc = Vector128<byte>.Zero;
            for (; block > 0; block--)
            {
                var x = (Sse2.LoadVector128(a) ^ Sse2.LoadVector128(b)).AsByte();
                acc = Sse2.Add(acc, Sse2.Add(Ssse3.Shuffle(lut, x & low),
                    Ssse3.Shuffle(lut, Sse2.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & low)));
                a += 2;
                b += 2;
            }
            sums = Sse2.Add(sums, Sse2.SumAbsoluteDifferences(acc, Vector128<byte>.Zero).AsUInt64());
        }
        return (long)(sums.GetElement(0) + sums.GetElement(1)) + ScalarXorPopCounter.Count(a, b, words & 1);
    }
}

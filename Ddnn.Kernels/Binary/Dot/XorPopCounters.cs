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

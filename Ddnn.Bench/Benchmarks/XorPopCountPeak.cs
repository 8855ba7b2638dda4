using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Bench.Benchmarks;

/// <summary>
/// The in-run XOR-popcount hardware ceiling: AVX2 Harley-Seal carry-save adders over 16 vectors with one nibble-lookup
/// popcount per 16 vectors (Muła, Kurz and Lemire), the fastest known streaming loop without AVX-512. Binary kernels
/// report their speed as a fraction of the faster of this and the library's own streaming counter.
/// </summary>
public static unsafe class XorPopCountPeak
{
    private const int BlockWords = 64; // 16 vectors of 4 words

    /// <summary>True when the Harley-Seal loop can run here (otherwise only the library counter gives the ceiling).</summary>
    public static bool IsSupported => Avx2.IsSupported;

    /// <summary>popcount(a XOR b) over the common length; words beyond the last whole 16-vector block use scalar popcnt.</summary>
    public static long Count(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"a has {a.Length} words but b has {b.Length}; they must match.", nameof(b));
        if (!IsSupported) throw new PlatformNotSupportedException("the Harley-Seal ceiling loop needs AVX2.");
        fixed (ulong* pa = a, pb = b)
            return Count(pa, pb, a.Length);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long Count(ulong* a, ulong* b, int words)
    {
        // The table is a local so the JIT keeps it in a register (a static property was reloaded from memory, -25%).
        var lut = Vector256.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
        var low = Vector256.Create((byte)0x0F);
        Vector256<ulong> total = Vector256<ulong>.Zero, ones = total, twos = total, fours = total, eights = total;
        var end = a + (words & ~(BlockWords - 1));
        while (a < end)
        {
            Csa(out var twosA, ref ones, Load(a, b, 0), Load(a, b, 1));
            Csa(out var twosB, ref ones, Load(a, b, 2), Load(a, b, 3));
            Csa(out var foursA, ref twos, twosA, twosB);
            Csa(out twosA, ref ones, Load(a, b, 4), Load(a, b, 5));
            Csa(out twosB, ref ones, Load(a, b, 6), Load(a, b, 7));
            Csa(out var foursB, ref twos, twosA, twosB);
            Csa(out var eightsA, ref fours, foursA, foursB);
            Csa(out twosA, ref ones, Load(a, b, 8), Load(a, b, 9));
            Csa(out twosB, ref ones, Load(a, b, 10), Load(a, b, 11));
            Csa(out foursA, ref twos, twosA, twosB);
            Csa(out twosA, ref ones, Load(a, b, 12), Load(a, b, 13));
            Csa(out twosB, ref ones, Load(a, b, 14), Load(a, b, 15));
            Csa(out foursB, ref twos, twosA, twosB);
            Csa(out var eightsB, ref fours, foursA, foursB);
            Csa(out var sixteens, ref eights, eightsA, eightsB);
            total = Avx2.Add(total, PopCount(sixteens, lut, low));
            a += BlockWords;
            b += BlockWords;
        }
        total = Avx2.ShiftLeftLogical(total, 4);
        total = Avx2.Add(total, Avx2.ShiftLeftLogical(PopCount(eights, lut, low), 3));
        total = Avx2.Add(total, Avx2.ShiftLeftLogical(PopCount(fours, lut, low), 2));
        total = Avx2.Add(total, Avx2.ShiftLeftLogical(PopCount(twos, lut, low), 1));
        total = Avx2.Add(total, PopCount(ones, lut, low));
        var count = (long)Vector256.Sum(total);
        for (var i = 0; i < (words & (BlockWords - 1)); i++) count += BitOperations.PopCount(a[i] ^ b[i]);
        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Load(ulong* a, ulong* b, int vector) =>
        Avx.LoadVector256(a + 4 * vector) ^ Avx.LoadVector256(b + 4 * vector);

    /// <summary>Carry-save adder: (high, low) = the two-bit sum of low + x + y per bit position.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Csa(out Vector256<ulong> high, ref Vector256<ulong> low, Vector256<ulong> x, Vector256<ulong> y)
    {
        var u = low ^ x;
        high = (low & x) | (u & y);
        low = u ^ y;
    }

    /// <summary>Per 64-bit lane popcount by nibble lookup and a sum of absolute differences against zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> PopCount(Vector256<ulong> v, Vector256<byte> lut, Vector256<byte> low)
    {
        var bytes = v.AsByte();
        var counts = Avx2.Add(Avx2.Shuffle(lut, bytes & low),
            Avx2.Shuffle(lut, Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & low));
        return Avx2.SumAbsoluteDifferences(counts, Vector256<byte>.Zero).AsUInt64();
    }
}

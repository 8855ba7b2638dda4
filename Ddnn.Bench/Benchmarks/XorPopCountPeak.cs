using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Bench.Benchmarks;

/// <summary>
/// The in-run XOR-popcount hardware ceiling: Harley-Seal carry-save adders over 16 vectors with one nibble-lookup
/// popcount per 16 vectors (Muła, Kurz and Lemire), on the widest vectors the processor has. At 512 bits the adders are
/// one <c>vpternlogq</c> each for the sum and the majority (<c>Avx512F.TernaryLogic</c>) and the lookup uses AVX-512BW shuffles; .NET has no VPOPCNTDQ intrinsics. At 256 bits it is the AVX2 loop, the
/// fastest known streaming loop without AVX-512. Binary kernels report their speed as a fraction of the fastest of
/// these and the library's own streaming counter.
/// </summary>
public static unsafe class XorPopCountPeak
{
    private const int BlockWords256 = 64; // 16 vectors of 4 words
    private const int BlockWords512 = 128; // 16 vectors of 8 words

    /// <summary>Vector width in bits of <see cref="Count"/>: 512 with AVX-512F/BW, 256 with AVX2, 0 when neither runs here.</summary>
    public static int WidestBits { get; } =
        Avx512F.IsSupported && Avx512BW.IsSupported && Vector512.IsHardwareAccelerated ? 512 : Avx2.IsSupported ? 256 : 0;

    /// <summary>True when a Harley-Seal loop can run here (otherwise only the library counter gives the ceiling).</summary>
    public static bool IsSupported => WidestBits > 0;

    /// <summary>
    /// popcount(a XOR b) over the common length with the widest loop; words beyond the last whole 16-vector block use
    /// scalar popcnt.
    /// </summary>
    public static long Count(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
    {
        CheckOperands(a, b, IsSupported, "the Harley-Seal ceiling loop needs AVX2 or AVX-512BW.");
        fixed (ulong* pa = a, pb = b)
            return WidestBits == 512 ? Count512(pa, pb, a.Length) : Count(pa, pb, a.Length);
    }

    /// <summary>popcount(a XOR b) with the 256-bit AVX2 loop, for comparison with the 512-bit one.</summary>
    public static long Count256(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
    {
        CheckOperands(a, b, Avx2.IsSupported, "the 256-bit Harley-Seal loop needs AVX2.");
        fixed (ulong* pa = a, pb = b)
            return Count(pa, pb, a.Length);
    }

    private static void CheckOperands(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, bool supported, string unsupported)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"a has {a.Length} words but b has {b.Length}; they must match.", nameof(b));
        if (!supported) throw new PlatformNotSupportedException(unsupported);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long Count512(ulong* a, ulong* b, int words)
    {
        var lut = Vector512.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
        var low = Vector512.Create((byte)0x0F);
        Vector512<ulong> total = Vector512<ulong>.Zero, ones = total, twos = total, fours = total, eights = total;
        var end = a + (words & ~(BlockWords512 - 1));
        while (a < end)
        {
            Csa(out var twosA, ref ones, Load512(a, b, 0), Load512(a, b, 1));
            Csa(out var twosB, ref ones, Load512(a, b, 2), Load512(a, b, 3));
            Csa(out var foursA, ref twos, twosA, twosB);
            Csa(out twosA, ref ones, Load512(a, b, 4), Load512(a, b, 5));
            Csa(out twosB, ref ones, Load512(a, b, 6), Load512(a, b, 7));
            Csa(out var foursB, ref twos, twosA, twosB);
            Csa(out var eightsA, ref fours, foursA, foursB);
            Csa(out twosA, ref ones, Load512(a, b, 8), Load512(a, b, 9));
            Csa(out twosB, ref ones, Load512(a, b, 10), Load512(a, b, 11));
            Csa(out foursA, ref twos, twosA, twosB);
            Csa(out twosA, ref ones, Load512(a, b, 12), Load512(a, b, 13));
            Csa(out twosB, ref ones, Load512(a, b, 14), Load512(a, b, 15));
            Csa(out foursB, ref twos, twosA, twosB);
            Csa(out var eightsB, ref fours, foursA, foursB);
            Csa(out var sixteens, ref eights, eightsA, eightsB);
            total += PopCount(sixteens, lut, low);
            a += BlockWords512;
            b += BlockWords512;
        }
        total = (total << 4) + (PopCount(eights, lut, low) << 3) + (PopCount(fours, lut, low) << 2)
            + (PopCount(twos, lut, low) << 1) + PopCount(ones, lut, low);
        var count = (long)Vector512.Sum(total);
        for (var i = 0; i < (words & (BlockWords512 - 1)); i++) count += BitOperations.PopCount(a[i] ^ b[i]);
        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Load512(ulong* a, ulong* b, int vector) =>
        Vector512.Load(a + 8 * vector) ^ Vector512.Load(b + 8 * vector);

    /// <summary>Carry-save adder in two ternary-logic instructions: high = majority(low, x, y), low = low ^ x ^ y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Csa(out Vector512<ulong> high, ref Vector512<ulong> low, Vector512<ulong> x, Vector512<ulong> y)
    {
        high = Avx512F.TernaryLogic(low, x, y, 0xE8);
        low = Avx512F.TernaryLogic(low, x, y, 0x96);
    }

    /// <summary>Per 64-bit lane popcount by nibble lookup (vpshufb on each 128-bit lane) and a sum of absolute differences.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> PopCount(Vector512<ulong> v, Vector512<byte> lut, Vector512<byte> low)
    {
        var counts = Avx512BW.Add(Avx512BW.Shuffle(lut, v.AsByte() & low),
            Avx512BW.Shuffle(lut, Avx512BW.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & low));
        return Avx512BW.SumAbsoluteDifferences(counts, Vector512<byte>.Zero).AsUInt64();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long Count(ulong* a, ulong* b, int words)
    {
        // The table is a local so the JIT keeps it in a register (a static property was reloaded from memory, -25%).
        var lut = Vector256.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
        var low = Vector256.Create((byte)0x0F);
        Vector256<ulong> total = Vector256<ulong>.Zero, ones = total, twos = total, fours = total, eights = total;
        var end = a + (words & ~(BlockWords256 - 1));
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
            a += BlockWords256;
            b += BlockWords256;
        }
        total = Avx2.ShiftLeftLogical(total, 4);
        total = Avx2.Add(total, Avx2.ShiftLeftLogical(PopCount(eights, lut, low), 3));
        total = Avx2.Add(total, Avx2.ShiftLeftLogical(PopCount(fours, lut, low), 2));
        total = Avx2.Add(total, Avx2.ShiftLeftLogical(PopCount(twos, lut, low), 1));
        total = Avx2.Add(total, PopCount(ones, lut, low));
        var count = (long)Vector256.Sum(total);
        for (var i = 0; i < (words & (BlockWords256 - 1)); i++) count += BitOperations.PopCount(a[i] ^ b[i]);
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

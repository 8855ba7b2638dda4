using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// The few float vector operations the float-input block's kernels need, as static members of a struct so one generic kernel
/// body is compiled separately (and fully inlined) for 128-bit, 256-bit and 512-bit vectors.
/// </summary>
internal unsafe interface IFloatLanes<TVector> where TVector : unmanaged
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    static abstract TVector Zero { get; }

    static abstract TVector Load(float* source);

    static abstract void Store(TVector value, float* destination);

    /// <summary>Every lane set to <paramref name="value"/>.</summary>
    static abstract TVector Broadcast(float value);

    /// <summary>Every lane set to the float bit pattern <paramref name="bits"/> (a sign mask).</summary>
    static abstract TVector BroadcastBits(uint bits);

    /// <summary><paramref name="accumulator"/> + (<paramref name="x"/> XOR <paramref name="mask"/>): adds ±x.</summary>
    static abstract TVector AddSigned(TVector accumulator, TVector x, TVector mask);

    static abstract TVector Add(TVector a, TVector b);

    static abstract TVector Subtract(TVector a, TVector b);

    static abstract TVector Multiply(TVector a, TVector b);

    /// <summary>Lane-wise minimum (operands are never NaN where it is used).</summary>
    static abstract TVector Min(TVector a, TVector b);

    /// <summary>|x|: the sign bit cleared.</summary>
    static abstract TVector Abs(TVector value);

    /// <summary>Bit i set where lane i has its sign bit set (−0 and NaNs with the sign bit included).</summary>
    static abstract uint SignBits(TVector value);

    /// <summary>True when <see cref="RowSignBits"/> fits: four rows of two vectors are at most 64 lanes.</summary>
    static abstract bool PacksFourRowPairs { get; }

    /// <summary>The smallest lane.</summary>
    static abstract float MinAcross(TVector value);

    /// <summary>
    /// Sign bits of four rows of two neighbouring vectors each (a_r then b_r): row r at bits [r·2·Count, (r+1)·2·Count),
    /// lane order kept; the same bits as <see cref="SignBits"/> of each vector, gathered with saturating packs.
    /// </summary>
    static abstract ulong RowSignBits(TVector a0, TVector b0, TVector a1, TVector b1, TVector a2, TVector b2, TVector a3, TVector b3);

    /// <summary>Bit i set where lane i of (<paramref name="value"/> XOR <paramref name="sign"/>) ≥ <paramref name="key"/> (false for NaN).</summary>
    static abstract uint AtLeastBits(TVector value, TVector sign, TVector key);

    /// <summary>Bit i set where lane i of <paramref name="value"/> is NaN.</summary>
    static abstract uint NaNBits(TVector value);
}

/// <summary>
/// 512-bit lanes (Avx512 path): compares give k-masks, so sign and test bits of 16 lanes come out in one step.
/// </summary>
internal readonly unsafe struct Lanes512 : IFloatLanes<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;
    public static Vector512<float> Zero => Vector512<float>.Zero;

    // Four rows of two 16-lane vectors are 128 bits: callers gather such rows one vector at a time (SignBits).
    public static bool PacksFourRowPairs => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, float* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> BroadcastBits(uint bits) => Vector512.Create(bits).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> AddSigned(Vector512<float> accumulator, Vector512<float> x, Vector512<float> mask) =>
        accumulator + (x ^ mask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Min(Vector512<float> a, Vector512<float> b) => Vector512.MinNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Abs(Vector512<float> value) => Vector512.Abs(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint SignBits(Vector512<float> value) => (uint)value.ExtractMostSignificantBits();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MinAcross(Vector512<float> value) =>
        Lanes256.MinAcross(Vector256.MinNative(value.GetLower(), value.GetUpper()));

    public static ulong RowSignBits(Vector512<float> a0, Vector512<float> b0, Vector512<float> a1, Vector512<float> b1,
        Vector512<float> a2, Vector512<float> b2, Vector512<float> a3, Vector512<float> b3) =>
        throw new NotSupportedException("four rows of two 512-bit vectors are 128 sign bits; gather them with SignBits.");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint AtLeastBits(Vector512<float> value, Vector512<float> sign, Vector512<float> key) =>
        (uint)Vector512.GreaterThanOrEqual(value ^ sign, key).ExtractMostSignificantBits();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint NaNBits(Vector512<float> value) => (uint)(~Vector512.Equals(value, value)).ExtractMostSignificantBits();
}

/// <summary>256-bit lanes (AVX2 path, and rows of 8 to 15 on the Avx512 path).</summary>
internal readonly unsafe struct Lanes256 : IFloatLanes<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    public static bool PacksFourRowPairs => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, float* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> BroadcastBits(uint bits) => Vector256.Create(bits).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> AddSigned(Vector256<float> accumulator, Vector256<float> x, Vector256<float> mask) =>
        accumulator + (x ^ mask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Min(Vector256<float> a, Vector256<float> b) => Vector256.MinNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Abs(Vector256<float> value) => Vector256.Abs(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint SignBits(Vector256<float> value) => value.ExtractMostSignificantBits();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MinAcross(Vector256<float> value) => Lanes128.MinAcross(Vector128.MinNative(value.GetLower(), value.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong RowSignBits(Vector256<float> a0, Vector256<float> b0, Vector256<float> a1, Vector256<float> b1,
        Vector256<float> a2, Vector256<float> b2, Vector256<float> a3, Vector256<float> b3)
    {
        if (!Avx2.IsSupported)
            return Pair(a0, b0) | Pair(a1, b1) << 16 | Pair(a2, b2) << 32 | Pair(a3, b3) << 48;
        // Saturating packs keep each float's sign (as an int32) down to one byte; they interleave 128-bit halves, so
        // the dwords (four bytes of one vector half) are put back in order before the byte movemask.
        var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        var rows01 = Avx2.PackSignedSaturate(Avx2.PackSignedSaturate(a0.AsInt32(), b0.AsInt32()),
            Avx2.PackSignedSaturate(a1.AsInt32(), b1.AsInt32()));
        var rows23 = Avx2.PackSignedSaturate(Avx2.PackSignedSaturate(a2.AsInt32(), b2.AsInt32()),
            Avx2.PackSignedSaturate(a3.AsInt32(), b3.AsInt32()));
        var low = (uint)Avx2.MoveMask(Avx2.PermuteVar8x32(rows01.AsInt32(), order).AsByte());
        var high = (uint)Avx2.MoveMask(Avx2.PermuteVar8x32(rows23.AsInt32(), order).AsByte());
        return low | (ulong)high << 32;

        static ulong Pair(Vector256<float> a, Vector256<float> b) => a.ExtractMostSignificantBits() | (ulong)b.ExtractMostSignificantBits() << 8;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint AtLeastBits(Vector256<float> value, Vector256<float> sign, Vector256<float> key) =>
        Vector256.GreaterThanOrEqual(value ^ sign, key).ExtractMostSignificantBits();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint NaNBits(Vector256<float> value) => (~Vector256.Equals(value, value)).ExtractMostSignificantBits();
}

/// <summary>128-bit lanes (Vector128 path, and rows narrower than 8 on the AVX2 and Avx512 paths).</summary>
internal readonly unsafe struct Lanes128 : IFloatLanes<Vector128<float>>
{
    public static int Count => Vector128<float>.Count;
    public static Vector128<float> Zero => Vector128<float>.Zero;
    public static bool PacksFourRowPairs => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(float* source) => Vector128.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> value, float* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Broadcast(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> BroadcastBits(uint bits) => Vector128.Create(bits).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> AddSigned(Vector128<float> accumulator, Vector128<float> x, Vector128<float> mask) =>
        accumulator + (x ^ mask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Min(Vector128<float> a, Vector128<float> b) => Vector128.MinNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Abs(Vector128<float> value) => Vector128.Abs(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint SignBits(Vector128<float> value) => value.ExtractMostSignificantBits();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MinAcross(Vector128<float> value) =>
        MathF.Min(MathF.Min(value.GetElement(0), value.GetElement(1)), MathF.Min(value.GetElement(2), value.GetElement(3)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong RowSignBits(Vector128<float> a0, Vector128<float> b0, Vector128<float> a1, Vector128<float> b1,
        Vector128<float> a2, Vector128<float> b2, Vector128<float> a3, Vector128<float> b3)
    {
        if (!Sse2.IsSupported)
            return Pair(a0, b0) | Pair(a1, b1) << 8 | Pair(a2, b2) << 16 | Pair(a3, b3) << 24;
        var rows01 = Sse2.PackSignedSaturate(Sse2.PackSignedSaturate(a0.AsInt32(), b0.AsInt32()),
            Sse2.PackSignedSaturate(a1.AsInt32(), b1.AsInt32()));
        var rows23 = Sse2.PackSignedSaturate(Sse2.PackSignedSaturate(a2.AsInt32(), b2.AsInt32()),
            Sse2.PackSignedSaturate(a3.AsInt32(), b3.AsInt32()));
        return (uint)Sse2.MoveMask(rows01) | (ulong)(uint)Sse2.MoveMask(rows23) << 16;

        static ulong Pair(Vector128<float> a, Vector128<float> b) => a.ExtractMostSignificantBits() | (ulong)b.ExtractMostSignificantBits() << 4;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint AtLeastBits(Vector128<float> value, Vector128<float> sign, Vector128<float> key) =>
        Vector128.GreaterThanOrEqual(value ^ sign, key).ExtractMostSignificantBits();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint NaNBits(Vector128<float> value) => (~Vector128.Equals(value, value)).ExtractMostSignificantBits();
}

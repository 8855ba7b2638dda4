using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels;

/// <summary>
/// 4×64 AVX-512 micro-kernel: 16 zmm accumulators, 4 B loads and 4 broadcasts per k step (24 of the 32 zmm
/// registers live). Four rows keep the A packing shared with the narrower paths; 64 columns divide the usual
/// widths (powers of two, conv planes of 8×8 and up). A narrower edge strip computes only the 16-column vectors it
/// needs, so a 16-column edge costs a quarter of a full tile.
/// </summary>
internal readonly unsafe struct MicroKernelAvx512 : IMicroKernel
{
    public static int Mr => 4;
    public static int Nr => 64;

    public static void Run(int kc, float* a, float* b, float* c, int ldc, bool loadC, float* bias) =>
        Columns<Four>(kc, a, b, c, ldc, loadC, bias);

    public static void RunEdge(int kc, float* a, float* b, float* tile, int columns)
    {
        switch ((columns + 15) / 16)
        {
            case 1: Columns<One>(kc, a, b, tile, Nr, false, null); break;
            case 2: Columns<Two>(kc, a, b, tile, Nr, false, null); break;
            case 3: Columns<Three>(kc, a, b, tile, Nr, false, null); break;
            default: Columns<Four>(kc, a, b, tile, Nr, false, null); break;
        }
    }

    // The vector count is a type so that each width is compiled separately with its unused accumulators removed.
    private interface IVectorCount { static abstract int Count { get; } }
    private readonly struct One : IVectorCount { public static int Count => 1; }
    private readonly struct Two : IVectorCount { public static int Count => 2; }
    private readonly struct Three : IVectorCount { public static int Count => 3; }
    private readonly struct Four : IVectorCount { public static int Count => 4; }

    /// <summary>The first TWidth.Count 16-column vectors of the tile (B rows still advance by <see cref="Nr"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Columns<TWidth>(int kc, float* a, float* b, float* c, int ldc, bool loadC, float* bias)
        where TWidth : struct, IVectorCount
    {
        var w = TWidth.Count;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Avx512F.LoadVector512(b);
            var b1 = w > 1 ? Avx512F.LoadVector512(b + 16) : default;
            var b2 = w > 2 ? Avx512F.LoadVector512(b + 32) : default;
            var b3 = w > 3 ? Avx512F.LoadVector512(b + 48) : default;
            var a0 = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00);
            if (w > 1) c01 = Avx512F.FusedMultiplyAdd(a0, b1, c01);
            if (w > 2) c02 = Avx512F.FusedMultiplyAdd(a0, b2, c02);
            if (w > 3) c03 = Avx512F.FusedMultiplyAdd(a0, b3, c03);
            var a1 = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(a1, b0, c10);
            if (w > 1) c11 = Avx512F.FusedMultiplyAdd(a1, b1, c11);
            if (w > 2) c12 = Avx512F.FusedMultiplyAdd(a1, b2, c12);
            if (w > 3) c13 = Avx512F.FusedMultiplyAdd(a1, b3, c13);
            var a2 = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(a2, b0, c20);
            if (w > 1) c21 = Avx512F.FusedMultiplyAdd(a2, b1, c21);
            if (w > 2) c22 = Avx512F.FusedMultiplyAdd(a2, b2, c22);
            if (w > 3) c23 = Avx512F.FusedMultiplyAdd(a2, b3, c23);
            var a3 = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(a3, b0, c30);
            if (w > 1) c31 = Avx512F.FusedMultiplyAdd(a3, b1, c31);
            if (w > 2) c32 = Avx512F.FusedMultiplyAdd(a3, b2, c32);
            if (w > 3) c33 = Avx512F.FusedMultiplyAdd(a3, b3, c33);
            a += 4;
            b += 64;
        }

        StoreRow<TWidth>(c, loadC, bias, c00, c01, c02, c03);
        StoreRow<TWidth>(c + ldc, loadC, bias, c10, c11, c12, c13);
        StoreRow<TWidth>(c + 2 * ldc, loadC, bias, c20, c21, c22, c23);
        StoreRow<TWidth>(c + 3 * ldc, loadC, bias, c30, c31, c32, c33);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TWidth>(float* c, bool loadC, float* bias,
        Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
        where TWidth : struct, IVectorCount
    {
        var w = TWidth.Count;
        if (loadC)
        {
            v0 += Avx512F.LoadVector512(c);
            if (w > 1) v1 += Avx512F.LoadVector512(c + 16);
            if (w > 2) v2 += Avx512F.LoadVector512(c + 32);
            if (w > 3) v3 += Avx512F.LoadVector512(c + 48);
        }
        if (bias != null)
        {
            v0 += Avx512F.LoadVector512(bias);
            if (w > 1) v1 += Avx512F.LoadVector512(bias + 16);
            if (w > 2) v2 += Avx512F.LoadVector512(bias + 32);
            if (w > 3) v3 += Avx512F.LoadVector512(bias + 48);
        }
        Avx512F.Store(c, v0);
        if (w > 1) Avx512F.Store(c + 16, v1);
        if (w > 2) Avx512F.Store(c + 32, v2);
        if (w > 3) Avx512F.Store(c + 48, v3);
    }
}

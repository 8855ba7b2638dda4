using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels;

/// <summary>
/// 4×64 AVX-512 micro-kernel: 16 zmm accumulators, 4 B loads and 4 broadcasts per k step (24 of the 32 zmm
/// registers live). Four rows keep the A packing shared with the narrower paths; 64 columns divide the usual
/// widths (powers of two, conv planes of 8×8 and up) so edge strips are rare.
/// </summary>
internal readonly unsafe struct MicroKernelAvx512 : IMicroKernel
{
    public static int Mr => 4;
    public static int Nr => 64;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, int ldc, bool loadC, float* bias)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Avx512F.LoadVector512(b);
            var b1 = Avx512F.LoadVector512(b + 16);
            var b2 = Avx512F.LoadVector512(b + 32);
            var b3 = Avx512F.LoadVector512(b + 48);
            var a0 = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(a0, b1, c01);
            c02 = Avx512F.FusedMultiplyAdd(a0, b2, c02);
            c03 = Avx512F.FusedMultiplyAdd(a0, b3, c03);
            var a1 = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(a1, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(a1, b1, c11);
            c12 = Avx512F.FusedMultiplyAdd(a1, b2, c12);
            c13 = Avx512F.FusedMultiplyAdd(a1, b3, c13);
            var a2 = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(a2, b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(a2, b1, c21);
            c22 = Avx512F.FusedMultiplyAdd(a2, b2, c22);
            c23 = Avx512F.FusedMultiplyAdd(a2, b3, c23);
            var a3 = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(a3, b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(a3, b1, c31);
            c32 = Avx512F.FusedMultiplyAdd(a3, b2, c32);
            c33 = Avx512F.FusedMultiplyAdd(a3, b3, c33);
            a += 4;
            b += 64;
        }

        StoreRow(c, loadC, bias, c00, c01, c02, c03);
        StoreRow(c + ldc, loadC, bias, c10, c11, c12, c13);
        StoreRow(c + 2 * ldc, loadC, bias, c20, c21, c22, c23);
        StoreRow(c + 3 * ldc, loadC, bias, c30, c31, c32, c33);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, bool loadC, float* bias,
        Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
    {
        if (loadC)
        {
            v0 += Avx512F.LoadVector512(c);
            v1 += Avx512F.LoadVector512(c + 16);
            v2 += Avx512F.LoadVector512(c + 32);
            v3 += Avx512F.LoadVector512(c + 48);
        }
        if (bias != null)
        {
            v0 += Avx512F.LoadVector512(bias);
            v1 += Avx512F.LoadVector512(bias + 16);
            v2 += Avx512F.LoadVector512(bias + 32);
            v3 += Avx512F.LoadVector512(bias + 48);
        }
        Avx512F.Store(c, v0);
        Avx512F.Store(c + 16, v1);
        Avx512F.Store(c + 32, v2);
        Avx512F.Store(c + 48, v3);
    }
}

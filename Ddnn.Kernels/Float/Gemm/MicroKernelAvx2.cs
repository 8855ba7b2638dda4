using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels;

/// <summary>4×24 AVX2+FMA micro-kernel: 12 ymm accumulators, 3 B loads and 4 broadcasts per k step.</summary>
internal readonly unsafe struct MicroKernelAvx2 : IMicroKernel
{
    public static int Mr => 4;
    public static int Nr => 24;

    public static void RunEdge(int kc, float* a, float* b, float* tile, int columns) => Run(kc, a, b, tile, Nr, false, null);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, int ldc, bool loadC, float* bias)
    {
        Vector256<float> c00 = default, c01 = default, c02 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default;
        Vector256<float> c30 = default, c31 = default, c32 = default;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Avx.LoadVector256(b);
            var b1 = Avx.LoadVector256(b + 8);
            var b2 = Avx.LoadVector256(b + 16);
            var a0 = Avx.BroadcastScalarToVector256(a);
            c00 = Fma.MultiplyAdd(a0, b0, c00);
            c01 = Fma.MultiplyAdd(a0, b1, c01);
            c02 = Fma.MultiplyAdd(a0, b2, c02);
            var a1 = Avx.BroadcastScalarToVector256(a + 1);
            c10 = Fma.MultiplyAdd(a1, b0, c10);
            c11 = Fma.MultiplyAdd(a1, b1, c11);
            c12 = Fma.MultiplyAdd(a1, b2, c12);
            var a2 = Avx.BroadcastScalarToVector256(a + 2);
            c20 = Fma.MultiplyAdd(a2, b0, c20);
            c21 = Fma.MultiplyAdd(a2, b1, c21);
            c22 = Fma.MultiplyAdd(a2, b2, c22);
            var a3 = Avx.BroadcastScalarToVector256(a + 3);
            c30 = Fma.MultiplyAdd(a3, b0, c30);
            c31 = Fma.MultiplyAdd(a3, b1, c31);
            c32 = Fma.MultiplyAdd(a3, b2, c32);
            a += 4;
            b += 24;
        }

        StoreRow(c, loadC, bias, c00, c01, c02);
        StoreRow(c + ldc, loadC, bias, c10, c11, c12);
        StoreRow(c + 2 * ldc, loadC, bias, c20, c21, c22);
        StoreRow(c + 3 * ldc, loadC, bias, c30, c31, c32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, bool loadC, float* bias, Vector256<float> v0, Vector256<float> v1, Vector256<float> v2)
    {
        if (loadC)
        {
            v0 += Avx.LoadVector256(c);
            v1 += Avx.LoadVector256(c + 8);
            v2 += Avx.LoadVector256(c + 16);
        }
        if (bias != null)
        {
            v0 += Avx.LoadVector256(bias);
            v1 += Avx.LoadVector256(bias + 8);
            v2 += Avx.LoadVector256(bias + 16);
        }
        Avx.Store(c, v0);
        Avx.Store(c + 8, v1);
        Avx.Store(c + 16, v2);
    }
}

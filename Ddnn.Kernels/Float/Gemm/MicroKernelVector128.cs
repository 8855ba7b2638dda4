using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ddnn.Kernels;

/// <summary>
/// 4×8 portable 128-bit micro-kernel (SSE / AdvSimd): 8 accumulators, separate multiply and add so every
/// 128-bit target gives the same bits.
/// </summary>
internal readonly unsafe struct MicroKernelVector128 : IMicroKernel
{
    public static int Mr => 4;
    public static int Nr => 8;

    public static void RunEdge(int kc, float* a, float* b, float* tile, int columns) => Run(kc, a, b, tile, Nr, false, null);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, int ldc, bool loadC, float* bias)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector128<float> c20 = default, c21 = default, c30 = default, c31 = default;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            var a0 = Vector128.Create(a[0]);
            c00 += a0 * b0;
            c01 += a0 * b1;
            var a1 = Vector128.Create(a[1]);
            c10 += a1 * b0;
            c11 += a1 * b1;
            var a2 = Vector128.Create(a[2]);
            c20 += a2 * b0;
            c21 += a2 * b1;
            var a3 = Vector128.Create(a[3]);
            c30 += a3 * b0;
            c31 += a3 * b1;
            a += 4;
            b += 8;
        }

        StoreRow(c, loadC, bias, c00, c01);
        StoreRow(c + ldc, loadC, bias, c10, c11);
        StoreRow(c + 2 * ldc, loadC, bias, c20, c21);
        StoreRow(c + 3 * ldc, loadC, bias, c30, c31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, bool loadC, float* bias, Vector128<float> v0, Vector128<float> v1)
    {
        if (loadC)
        {
            v0 += Vector128.Load(c);
            v1 += Vector128.Load(c + 4);
        }
        if (bias != null)
        {
            v0 += Vector128.Load(bias);
            v1 += Vector128.Load(bias + 4);
        }
        v0.Store(c);
        v1.Store(c + 4);
    }
}

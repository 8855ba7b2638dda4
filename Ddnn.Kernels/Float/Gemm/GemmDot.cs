using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels;

/// <summary>
/// C = A·Bᵀ as dot products of contiguous rows, for small m×n with a long k (conv weight gradients, linear layers
/// with few outputs), where packing would cost more than it saves. 4×3 blocks of 512-bit or 256-bit FMA accumulators
/// (or 128-bit multiply+add), reduced horizontally, then the k tail in scalar; then + old C, then + bias.
/// </summary>
internal static unsafe class GemmDot
{
    /// <summary>
    /// Worth it when n is narrower than one packed micro-tile (most of the tile would be padding) and the B rows,
    /// re-read for every 4 rows of A, stay cache-resident.
    /// </summary>
    public static bool Suits(KernelPath path, bool transposeA, bool transposeB, int m, int n, int k) =>
        !transposeA && transposeB && k >= 32 && n < NarrowerThan(path) && (long)n * k <= 1 << 16;

    // Measured: on the 512-bit path the dot form beats packing up to the full 64-column tile.
    private static int NarrowerThan(KernelPath path) => path >= KernelPath.Avx512 ? MicroKernelAvx512.Nr : 24;

    public static void Multiply(KernelPath path, int m, int n, int k, float* a, int lda, float* b, int ldb,
        float* c, int ldc, bool accumulate, float* bias)
    {
        var i = 0;
        for (; i <= m - 4; i += 4)
        {
            var j = 0;
            for (; j <= n - 3; j += 3) Block4x3(path, k, a + (long)i * lda, lda, b + (long)j * ldb, ldb, c + (long)i * ldc + j, ldc, accumulate, bias == null ? null : bias + j);
            for (; j < n; j++)
                for (var r = 0; r < 4; r++) Single(path, k, a + (long)(i + r) * lda, b + (long)j * ldb, c + (long)(i + r) * ldc + j, accumulate, bias == null ? null : bias + j);
        }
        for (; i < m; i++)
            for (var j = 0; j < n; j++) Single(path, k, a + (long)i * lda, b + (long)j * ldb, c + (long)i * ldc + j, accumulate, bias == null ? null : bias + j);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block4x3(KernelPath path, int k, float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate, float* bias)
    {
        float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, b0 = b, b1 = b + ldb, b2 = b + 2 * ldb;
        var sums = stackalloc float[12];
        var p = 0;
        if (path >= KernelPath.Avx512)
        {
            Vector512<float> s00 = default, s01 = default, s02 = default, s10 = default, s11 = default, s12 = default;
            Vector512<float> s20 = default, s21 = default, s22 = default, s30 = default, s31 = default, s32 = default;
            for (; p <= k - 16; p += 16)
            {
                var v0 = Avx512F.LoadVector512(b0 + p);
                var v1 = Avx512F.LoadVector512(b1 + p);
                var v2 = Avx512F.LoadVector512(b2 + p);
                var u = Avx512F.LoadVector512(a0 + p);
                s00 = Avx512F.FusedMultiplyAdd(u, v0, s00); s01 = Avx512F.FusedMultiplyAdd(u, v1, s01); s02 = Avx512F.FusedMultiplyAdd(u, v2, s02);
                u = Avx512F.LoadVector512(a1 + p);
                s10 = Avx512F.FusedMultiplyAdd(u, v0, s10); s11 = Avx512F.FusedMultiplyAdd(u, v1, s11); s12 = Avx512F.FusedMultiplyAdd(u, v2, s12);
                u = Avx512F.LoadVector512(a2 + p);
                s20 = Avx512F.FusedMultiplyAdd(u, v0, s20); s21 = Avx512F.FusedMultiplyAdd(u, v1, s21); s22 = Avx512F.FusedMultiplyAdd(u, v2, s22);
                u = Avx512F.LoadVector512(a3 + p);
                s30 = Avx512F.FusedMultiplyAdd(u, v0, s30); s31 = Avx512F.FusedMultiplyAdd(u, v1, s31); s32 = Avx512F.FusedMultiplyAdd(u, v2, s32);
            }
            sums[0] = Vector512.Sum(s00); sums[1] = Vector512.Sum(s01); sums[2] = Vector512.Sum(s02);
            sums[3] = Vector512.Sum(s10); sums[4] = Vector512.Sum(s11); sums[5] = Vector512.Sum(s12);
            sums[6] = Vector512.Sum(s20); sums[7] = Vector512.Sum(s21); sums[8] = Vector512.Sum(s22);
            sums[9] = Vector512.Sum(s30); sums[10] = Vector512.Sum(s31); sums[11] = Vector512.Sum(s32);
        }
        else if (path >= KernelPath.Avx2)
        {
            Vector256<float> s00 = default, s01 = default, s02 = default, s10 = default, s11 = default, s12 = default;
            Vector256<float> s20 = default, s21 = default, s22 = default, s30 = default, s31 = default, s32 = default;
            for (; p <= k - 8; p += 8)
            {
                var v0 = Avx.LoadVector256(b0 + p);
                var v1 = Avx.LoadVector256(b1 + p);
                var v2 = Avx.LoadVector256(b2 + p);
                var u = Avx.LoadVector256(a0 + p);
                s00 = Fma.MultiplyAdd(u, v0, s00); s01 = Fma.MultiplyAdd(u, v1, s01); s02 = Fma.MultiplyAdd(u, v2, s02);
                u = Avx.LoadVector256(a1 + p);
                s10 = Fma.MultiplyAdd(u, v0, s10); s11 = Fma.MultiplyAdd(u, v1, s11); s12 = Fma.MultiplyAdd(u, v2, s12);
                u = Avx.LoadVector256(a2 + p);
                s20 = Fma.MultiplyAdd(u, v0, s20); s21 = Fma.MultiplyAdd(u, v1, s21); s22 = Fma.MultiplyAdd(u, v2, s22);
                u = Avx.LoadVector256(a3 + p);
                s30 = Fma.MultiplyAdd(u, v0, s30); s31 = Fma.MultiplyAdd(u, v1, s31); s32 = Fma.MultiplyAdd(u, v2, s32);
            }
            sums[0] = Vector256.Sum(s00); sums[1] = Vector256.Sum(s01); sums[2] = Vector256.Sum(s02);
            sums[3] = Vector256.Sum(s10); sums[4] = Vector256.Sum(s11); sums[5] = Vector256.Sum(s12);
            sums[6] = Vector256.Sum(s20); sums[7] = Vector256.Sum(s21); sums[8] = Vector256.Sum(s22);
            sums[9] = Vector256.Sum(s30); sums[10] = Vector256.Sum(s31); sums[11] = Vector256.Sum(s32);
        }
        else
        {
            Vector128<float> s00 = default, s01 = default, s02 = default, s10 = default, s11 = default, s12 = default;
            Vector128<float> s20 = default, s21 = default, s22 = default, s30 = default, s31 = default, s32 = default;
            for (; p <= k - 4; p += 4)
            {
                var v0 = Vector128.Load(b0 + p);
                var v1 = Vector128.Load(b1 + p);
                var v2 = Vector128.Load(b2 + p);
                var u = Vector128.Load(a0 + p);
                s00 += u * v0; s01 += u * v1; s02 += u * v2;
                u = Vector128.Load(a1 + p);
                s10 += u * v0; s11 += u * v1; s12 += u * v2;
                u = Vector128.Load(a2 + p);
                s20 += u * v0; s21 += u * v1; s22 += u * v2;
                u = Vector128.Load(a3 + p);
                s30 += u * v0; s31 += u * v1; s32 += u * v2;
            }
            sums[0] = Vector128.Sum(s00); sums[1] = Vector128.Sum(s01); sums[2] = Vector128.Sum(s02);
            sums[3] = Vector128.Sum(s10); sums[4] = Vector128.Sum(s11); sums[5] = Vector128.Sum(s12);
            sums[6] = Vector128.Sum(s20); sums[7] = Vector128.Sum(s21); sums[8] = Vector128.Sum(s22);
            sums[9] = Vector128.Sum(s30); sums[10] = Vector128.Sum(s31); sums[11] = Vector128.Sum(s32);
        }
        for (var r = 0; r < 4; r++)
        {
            var ar = a + (long)r * lda;
            var cr = c + (long)r * ldc;
            for (var j = 0; j < 3; j++)
            {
                var br = b + (long)j * ldb;
                var s = sums[r * 3 + j];
                for (var q = p; q < k; q++) s += ar[q] * br[q];
                Finish(cr + j, s, accumulate, bias == null ? null : bias + j);
            }
        }
    }

    private static void Single(KernelPath path, int k, float* a, float* b, float* c, bool accumulate, float* bias)
    {
        var p = 0;
        float s;
        if (path >= KernelPath.Avx512)
        {
            Vector512<float> s0 = default, s1 = default;
            for (; p <= k - 32; p += 32)
            {
                s0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(a + p), Avx512F.LoadVector512(b + p), s0);
                s1 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(a + p + 16), Avx512F.LoadVector512(b + p + 16), s1);
            }
            if (p <= k - 16)
            {
                s0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(a + p), Avx512F.LoadVector512(b + p), s0);
                p += 16;
            }
            s = Vector512.Sum(s0 + s1);
        }
        else if (path >= KernelPath.Avx2)
        {
            Vector256<float> s0 = default, s1 = default;
            for (; p <= k - 16; p += 16)
            {
                s0 = Fma.MultiplyAdd(Avx.LoadVector256(a + p), Avx.LoadVector256(b + p), s0);
                s1 = Fma.MultiplyAdd(Avx.LoadVector256(a + p + 8), Avx.LoadVector256(b + p + 8), s1);
            }
            s = Vector256.Sum(s0 + s1);
        }
        else
        {
            Vector128<float> s0 = default, s1 = default;
            for (; p <= k - 8; p += 8)
            {
                s0 += Vector128.Load(a + p) * Vector128.Load(b + p);
                s1 += Vector128.Load(a + p + 4) * Vector128.Load(b + p + 4);
            }
            s = Vector128.Sum(s0 + s1);
        }
        for (; p < k; p++) s += a[p] * b[p];
        Finish(c, s, accumulate, bias);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(float* c, float sum, bool accumulate, float* bias)
    {
        var v = accumulate ? sum + *c : sum;
        *c = bias != null ? v + *bias : v;
    }
}

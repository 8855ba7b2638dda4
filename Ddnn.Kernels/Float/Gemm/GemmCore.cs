namespace Ddnn.Kernels;

/// <summary>Pointer-level GEMM entry used by the public API and by other kernels (conv); picks the path and threads.</summary>
internal static unsafe class GemmCore
{
    /// <summary>Below this many multiply-adds a second thread costs more than it saves.</summary>
    internal const long ParallelThreshold = 1L << 21;

    /// <summary>
    /// C = op(A)·op(B) [+ C] [+ bias]. <paramref name="lda"/>/<paramref name="ldb"/> are the row strides of A and B
    /// as stored (so for a transposed A, lda ≥ m). Large products are split into at most
    /// <paramref name="maxThreads"/> contiguous row (or column) ranges; every element is computed the same way
    /// whatever the split, so results do not depend on the thread count.
    /// </summary>
    public static void Multiply(KernelPath path, bool transposeA, bool transposeB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate, float* bias, int maxThreads)
    {
        if (m == 0 || n == 0) return;
        // Decided once for the whole product, so every part of a split takes the same form as the unsplit product.
        var byDot = path != KernelPath.Scalar && GemmDot.Suits(path, transposeA, transposeB, m, n, k);
        var parts = PartCount(m, n, k, maxThreads);
        if (parts <= 1)
        {
            Single(path, byDot, transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, bias);
            return;
        }
        MultiplyInParts(path, byDot, transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, bias, parts);
    }

    // Apart from Multiply so that its closure is allocated only when the work is split (one thread allocates nothing).
    private static void MultiplyInParts(KernelPath path, bool byDot, bool transposeA, bool transposeB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate, float* bias, int parts)
    {
        var splitRows = m >= n;
        var unit = splitRows ? GemmPacked.SharedMr : TileWidth(path); // whole micro-tiles per part
        var total = splitRows ? m : n;
        var chunk = (total + parts - 1) / parts;
        chunk = (chunk + unit - 1) / unit * unit;
        parts = (total + chunk - 1) / chunk;
        nint pa = (nint)a, pb = (nint)b, pc = (nint)c, pbias = (nint)bias;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
        {
            var start = part * chunk;
            var count = Math.Min(chunk, total - start);
            float* a0 = (float*)pa, b0 = (float*)pb, c0 = (float*)pc, bias0 = (float*)pbias;
            if (splitRows)
            {
                var aPart = transposeA ? a0 + start : a0 + (long)start * lda;
                Single(path, byDot, transposeA, transposeB, count, n, k, aPart, lda, b0, ldb, c0 + (long)start * ldc, ldc,
                    accumulate, bias0);
            }
            else
            {
                var bPart = transposeB ? b0 + (long)start * ldb : b0 + start;
                Single(path, byDot, transposeA, transposeB, m, count, k, a0, lda, bPart, ldb, c0 + start, ldc,
                    accumulate, bias0 == null ? null : bias0 + start);
            }
        });
    }

    /// <summary>
    /// Single-thread C = op(A)·op(B) [+ C] on a SIMD path with A already packed by <see cref="GemmPacked.PackWholeA"/>
    /// (requires k ≤ <see cref="GemmPacked.KC"/>).
    /// </summary>
    public static void MultiplyPrepackedA(KernelPath path, bool transposeB, int m, int n, int k, float* packedA,
        float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        if (path >= KernelPath.Avx512)
            GemmPacked.Multiply<MicroKernelAvx512>(false, transposeB, m, n, k, null, 0, b, ldb, c, ldc, accumulate, null, packedA);
        else if (path >= KernelPath.Avx2)
            GemmPacked.Multiply<MicroKernelAvx2>(false, transposeB, m, n, k, null, 0, b, ldb, c, ldc, accumulate, null, packedA);
        else
            GemmPacked.Multiply<MicroKernelVector128>(false, transposeB, m, n, k, null, 0, b, ldb, c, ldc, accumulate, null, packedA);
    }

    /// <summary>
    /// Single-thread C (m × strips·<see cref="TileWidth"/>, overwritten) = A·B on a SIMD path, A packed by
    /// <see cref="GemmPacked.PackWholeA"/> and B already in the path's packed strip layout (k ≤ <see cref="GemmPacked.KC"/>).
    /// </summary>
    public static void MultiplyPacked(KernelPath path, int m, int strips, int k, float* packedA, float* packedB, float* c, int ldc)
    {
        if (path >= KernelPath.Avx512)
            GemmPacked.MultiplyPacked<MicroKernelAvx512>(m, strips, k, packedA, packedB, c, ldc);
        else if (path >= KernelPath.Avx2)
            GemmPacked.MultiplyPacked<MicroKernelAvx2>(m, strips, k, packedA, packedB, c, ldc);
        else
            GemmPacked.MultiplyPacked<MicroKernelVector128>(m, strips, k, packedA, packedB, c, ldc);
    }

    /// <summary>True when <see cref="MultiplyPrepackedA"/> applies to this path and depth.</summary>
    public static bool CanPrepackA(KernelPath path, int k) =>
        path != KernelPath.Scalar && k >= 1 && k <= GemmPacked.KC;

    private static int PartCount(int m, int n, int k, int maxThreads)
    {
        if (maxThreads <= 1 || (long)m * n * Math.Max(k, 1) < ParallelThreshold) return 1;
        return Math.Min(maxThreads, Math.Max(m, n) / 24 + 1);
    }

    /// <summary>Columns of one micro-tile on <paramref name="path"/>.</summary>
    internal static int TileWidth(KernelPath path) => path switch
    {
        KernelPath.Avx512 => MicroKernelAvx512.Nr,
        KernelPath.Avx2 => MicroKernelAvx2.Nr,
        _ => MicroKernelVector128.Nr,
    };

    private static void Single(KernelPath path, bool byDot, bool transposeA, bool transposeB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate, float* bias)
    {
        if (byDot)
        {
            GemmDot.Multiply(path, m, n, k, a, lda, b, ldb, c, ldc, accumulate, bias);
            return;
        }
        switch (path)
        {
            case KernelPath.Avx512:
                GemmPacked.Multiply<MicroKernelAvx512>(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, bias);
                break;
            case KernelPath.Avx2:
                GemmPacked.Multiply<MicroKernelAvx2>(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, bias);
                break;
            case KernelPath.Vector128:
                GemmPacked.Multiply<MicroKernelVector128>(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, bias);
                break;
            default:
                GemmScalar.Multiply(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, bias);
                break;
        }
    }
}

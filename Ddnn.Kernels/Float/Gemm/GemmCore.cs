namespace Ddnn.Kernels;

/// <summary>Pointer-level GEMM entry used by the public API and by other kernels (conv); picks the path and threads.</summary>
internal static unsafe class GemmCore
{
    /// <summary>
    /// C = op(A)·op(B) [+ C] [+ bias]. <paramref name="lda"/>/<paramref name="ldb"/> are the row strides of A and B
    /// as stored (so for a transposed A, lda ≥ m). Runs on at most <paramref name="maxThreads"/> threads.
    /// </summary>
    public static void Multiply(KernelPath path, bool transposeA, bool transposeB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate, float* bias, int maxThreads)
    {
        if (m == 0 || n == 0) return;
        GemmScalar.Multiply(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, bias);
    }
}

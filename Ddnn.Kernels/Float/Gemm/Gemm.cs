namespace Ddnn.Kernels;

/// <summary>Single-precision matrix multiply C = op(A)·op(B) [+ C] [+ bias], row-major.</summary>
public static unsafe class Gemm
{
    /// <summary>
    /// C (m×n) = op(A)·op(B), plus the old C when <paramref name="accumulate"/>, plus <paramref name="bias"/>[j]
    /// broadcast over rows when bias is non-empty. op(A) is m×k: A is stored m×k, or k×m when
    /// <paramref name="transposeA"/>. op(B) is k×n: B is stored k×n, or n×k when <paramref name="transposeB"/>.
    /// </summary>
    public static void Multiply(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        bool accumulate = false, ReadOnlySpan<float> bias = default)
    {
        Check.NonNegative(m, nameof(m));
        Check.NonNegative(n, nameof(n));
        Check.NonNegative(k, nameof(k));
        Check.Length(a.Length, Check.Product(m, k), nameof(a));
        Check.Length(b.Length, Check.Product(k, n), nameof(b));
        Check.Length(c.Length, Check.Product(m, n), nameof(c));
        Check.OptionalLength(bias.Length, n, nameof(bias));
        if (m == 0 || n == 0) return;

        fixed (float* pa = a, pb = b, pc = c, pbias = bias)
        {
            GemmCore.Multiply(KernelDispatch.Active, transposeA, transposeB, m, n, k,
                pa, transposeA ? m : k, pb, transposeB ? k : n, pc, n,
                accumulate, bias.IsEmpty ? null : pbias, KernelParallelism.MaxThreads);
        }
    }
}

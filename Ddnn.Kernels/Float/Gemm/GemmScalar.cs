namespace Ddnn.Kernels;

/// <summary>
/// The scalar GEMM, reference twin of the packed SIMD paths. Each C element is summed over k in order from 0,
/// then the old C (when accumulating) and the bias are added, the same order the packed micro-kernels use.
/// </summary>
internal static unsafe class GemmScalar
{
    [ThreadStatic] private static float[]? _rowSlot;

    public static void Multiply(bool transposeA, bool transposeB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate, float* bias)
    {
        var row = Scratch.Get(ref _rowSlot, n);
        for (var i = 0; i < m; i++)
        {
            new Span<float>(row, n).Clear();
            for (var p = 0; p < k; p++)
            {
                var aip = transposeA ? a[(long)p * lda + i] : a[(long)i * lda + p];
                if (transposeB)
                {
                    var bp = b + p;
                    for (var j = 0; j < n; j++) row[j] += aip * bp[(long)j * ldb];
                }
                else
                {
                    var bp = b + (long)p * ldb;
                    for (var j = 0; j < n; j++) row[j] += aip * bp[j];
                }
            }

            var ci = c + (long)i * ldc;
            for (var j = 0; j < n; j++)
            {
                var v = accumulate ? row[j] + ci[j] : row[j];
                ci[j] = bias != null ? v + bias[j] : v;
            }
        }
    }
}

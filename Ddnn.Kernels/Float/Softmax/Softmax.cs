namespace Ddnn.Kernels;

/// <summary>
/// Row-wise softmax family over a rows×cols matrix, max-subtracted for stability. Rows are short (class counts):
/// the Avx512 path handles a row in 16-column steps with a masked last step (<c>SoftmaxRows512</c>), every other path
/// runs the scalar twin.
/// </summary>
public static unsafe class Softmax
{
    /// <summary>y[i, :] = softmax(x[i, :]).</summary>
    public static void Forward(int rows, int cols, ReadOnlySpan<float> x, Span<float> y)
    {
        CheckMatrix(rows, cols, x.Length, nameof(x));
        Check.Length(y.Length, Check.Product(rows, cols), nameof(y));
        if (SoftmaxRows512.Supports(KernelDispatch.Active))
        {
            fixed (float* px = x, py = y)
                for (var i = 0; i < rows; i++)
                {
                    float* row = px + (long)i * cols, dst = py + (long)i * cols;
                    var total = SoftmaxRows512.ExpShifted(row, cols, SoftmaxRows512.Max(row, cols), dst);
                    SoftmaxRows512.Scale(dst, cols, (float)(1.0 / total));
                }
            return;
        }
        for (var i = 0; i < rows; i++)
        {
            var row = x.Slice(i * cols, cols);
            var dst = y.Slice(i * cols, cols);
            var max = RowMax(row);
            double sum = 0;
            for (var j = 0; j < cols; j++)
            {
                var e = MathF.Exp(row[j] - max);
                dst[j] = e;
                sum += e;
            }
            var inv = (float)(1.0 / sum);
            for (var j = 0; j < cols; j++) dst[j] *= inv;
        }
    }

    /// <summary>y[i, :] = log_softmax(x[i, :]) = x − max − log Σ exp(x − max).</summary>
    public static void LogForward(int rows, int cols, ReadOnlySpan<float> x, Span<float> y)
    {
        CheckMatrix(rows, cols, x.Length, nameof(x));
        Check.Length(y.Length, Check.Product(rows, cols), nameof(y));
        if (SoftmaxRows512.Supports(KernelDispatch.Active))
        {
            fixed (float* px = x, py = y)
                for (var i = 0; i < rows; i++)
                {
                    var row = px + (long)i * cols;
                    SoftmaxRows512.SubtractShift(row, cols, SoftmaxRows512.LogSumExp(row, cols), py + (long)i * cols);
                }
            return;
        }
        for (var i = 0; i < rows; i++)
        {
            var row = x.Slice(i * cols, cols);
            var shift = RowMax(row) + LogSumExpShifted(row, RowMax(row));
            var dst = y.Slice(i * cols, cols);
            for (var j = 0; j < cols; j++) dst[j] = (float)(row[j] - shift);
        }
    }

    /// <summary>
    /// eta[i] = −Σ p log p / log C with log p from log-softmax (so 0·log 0 = 0); eta ∈ [0, 1].
    /// With a single column the entropy is 0 and eta is defined as 0.
    /// </summary>
    public static void NormalizedEntropy(int rows, int cols, ReadOnlySpan<float> logits, Span<float> eta)
    {
        CheckMatrix(rows, cols, logits.Length, nameof(logits));
        Check.Length(eta.Length, rows, nameof(eta));
        var logC = Math.Log(cols);
        if (cols > 1 && SoftmaxRows512.Supports(KernelDispatch.Active))
        {
            fixed (float* px = logits)
                for (var i = 0; i < rows; i++)
                {
                    var row = px + (long)i * cols;
                    eta[i] = (float)(SoftmaxRows512.Entropy(row, cols, SoftmaxRows512.LogSumExp(row, cols)) / logC);
                }
            return;
        }
        for (var i = 0; i < rows; i++)
        {
            if (cols == 1)
            {
                eta[i] = 0;
                continue;
            }
            var row = logits.Slice(i * cols, cols);
            var max = RowMax(row);
            var shift = max + LogSumExpShifted(row, max);
            double entropy = 0;
            for (var j = 0; j < cols; j++)
            {
                var logP = row[j] - shift;
                entropy -= Math.Exp(logP) * logP;
            }
            eta[i] = (float)(entropy / logC);
        }
    }

    internal static float RowMax(ReadOnlySpan<float> row)
    {
        var max = row[0];
        for (var j = 1; j < row.Length; j++)
            if (row[j] > max) max = row[j];
        return max;
    }

    /// <summary>log Σ exp(row − max) in double.</summary>
    internal static double LogSumExpShifted(ReadOnlySpan<float> row, float max)
    {
        double sum = 0;
        for (var j = 0; j < row.Length; j++) sum += Math.Exp((double)row[j] - max);
        return Math.Log(sum);
    }

    internal static void CheckMatrix(int rows, int cols, int length, string parameter)
    {
        Check.NonNegative(rows, nameof(rows));
        Check.Positive(cols, nameof(cols));
        Check.Length(length, Check.Product(rows, cols), parameter);
    }
}

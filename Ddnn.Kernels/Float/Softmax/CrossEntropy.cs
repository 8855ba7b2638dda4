namespace Ddnn.Kernels;

/// <summary>
/// Softmax cross-entropy over a rows×cols logits matrix with integer labels, PyTorch weighted-mean semantics. The
/// Avx512 path computes each row's log-sum-exp and gradient with the <see cref="Softmax"/> family's 512-bit body.
/// </summary>
public static unsafe class CrossEntropy
{
    /// <summary>
    /// loss = Σ_i w_i·CE_i / Σ_i w_i over rows whose label ≠ ignoreLabel (rowWeights empty = all 1).
    /// When dlogits is non-empty it receives w_i·(softmax − onehot)/Σw, zero on ignored rows (d loss / d logits for
    /// an upstream gradient of 1; scale it by the real upstream gradient). If every row is ignored (or Σw = 0)
    /// the loss is 0 and dlogits is 0, where PyTorch would give NaN.
    /// </summary>
    /// <exception cref="ArgumentException">A label other than ignoreLabel lies outside [0, cols); the message names the row.</exception>
    public static float Forward(int rows, int cols, ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int ignoreLabel,
        ReadOnlySpan<float> rowWeights, Span<float> dlogits)
    {
        Softmax.CheckMatrix(rows, cols, logits.Length, nameof(logits));
        Check.Length(labels.Length, rows, nameof(labels));
        Check.OptionalLength(rowWeights.Length, rows, nameof(rowWeights));
        Check.OptionalLength(dlogits.Length, Check.Product(rows, cols), nameof(dlogits));

        var vector = SoftmaxRows512.Supports(KernelDispatch.Active);
        // Σw first (no exponentials), so that each row's log-sum-exp, taken once, serves its loss and its gradient.
        double weightSum = 0;
        for (var i = 0; i < rows; i++)
        {
            var label = labels[i];
            if (label == ignoreLabel) continue;
            if ((uint)label >= (uint)cols)
                throw new ArgumentException(
                    $"labels[{i}] = {label} is outside [0, {cols}) and is not the ignore label {ignoreLabel}.", nameof(labels));
            weightSum += rowWeights.IsEmpty ? 1.0 : rowWeights[i];
        }

        var gradient = !dlogits.IsEmpty && weightSum != 0;
        if (!dlogits.IsEmpty) dlogits.Clear();
        double lossSum = 0;
        for (var i = 0; i < rows; i++)
        {
            var label = labels[i];
            if (label == ignoreLabel) continue;
            var w = rowWeights.IsEmpty ? 1.0 : rowWeights[i];
            var row = logits.Slice(i * cols, cols);
            var logSum = LogSumExp(row, vector);
            lossSum += w * (logSum - row[label]);
            if (!gradient) continue;
            var factor = w / weightSum;
            var d = dlogits.Slice(i * cols, cols);
            if (vector)
            {
                fixed (float* pr = row, pd = d) SoftmaxRows512.CrossEntropyGradient(pr, cols, logSum, factor, label, pd);
                continue;
            }
            for (var j = 0; j < cols; j++)
                d[j] = (float)(factor * (Math.Exp(row[j] - logSum) - (j == label ? 1.0 : 0.0)));
        }
        return weightSum == 0 ? 0f : (float)(lossSum / weightSum);
    }

    private static double LogSumExp(ReadOnlySpan<float> row, bool vector)
    {
        if (vector)
            fixed (float* p = row) return SoftmaxRows512.LogSumExp(p, row.Length);
        var max = Softmax.RowMax(row);
        return max + Softmax.LogSumExpShifted(row, max);
    }
}

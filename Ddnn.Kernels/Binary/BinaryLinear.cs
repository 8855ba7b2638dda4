using System.Buffers;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// Binary linear exit (<c>BinaryLinearBN</c>): packed ±1 input rows × packed ±1 weight rows → exact int dot products,
/// then logits = acc · scale + offset per output feature, with bias and eval batch norm folded into scale/offset.
/// </summary>
/// <remarks>
/// Rows may be any packed layout as long as input and weights share it and unused bits are zero in both, e.g. a
/// packed feature map <c>(H, W, WordsFor(C))</c> (wordsPerRow = H·W·WordsFor(C), inFeatures = C·H·W) with weights
/// packed by <see cref="BitPacking.PackConvWeights"/>(w, outFeatures, C, H, W), which maps the NCHW-flattened
/// training weights onto that layout; or plain rows from <see cref="BitPacking.PackRows"/>.
/// </remarks>
public static unsafe class BinaryLinear
{
    /// <summary>
    /// logits <c>(rows, outFeatures)</c> = (inFeatures − 2·popcount(x_r XOR w_o)) · scale[o] + offset[o], with input
    /// <c>(rows, wordsPerRow)</c> and weights <c>(outFeatures, wordsPerRow)</c>. The int dot is exact; it is converted
    /// to float (exact below 2^24), multiplied by scale, then offset is added (two float32 roundings).
    /// </summary>
    public static void Forward(ReadOnlySpan<ulong> input, int rows, ReadOnlySpan<ulong> weights, int outFeatures,
        int wordsPerRow, int inFeatures, ReadOnlySpan<float> scale, ReadOnlySpan<float> offset, Span<float> logits)
    {
        BinaryArgs.Positive(rows, nameof(rows));
        BinaryArgs.Positive(outFeatures, nameof(outFeatures));
        BinaryArgs.Positive(wordsPerRow, nameof(wordsPerRow));
        BinaryArgs.Length(input, BinaryArgs.Product("input", rows, wordsPerRow), nameof(input), "(rows={0}, words={1})", rows, wordsPerRow);
        BinaryArgs.Length(weights, BinaryArgs.Product("weights", outFeatures, wordsPerRow), nameof(weights),
            "(outFeatures={0}, words={1})", outFeatures, wordsPerRow);
        BinaryArgs.Length(scale, outFeatures, nameof(scale), "(outFeatures={0})", outFeatures);
        BinaryArgs.Length(offset, outFeatures, nameof(offset), "(outFeatures={0})", outFeatures);
        BinaryArgs.Length(logits, BinaryArgs.Product("logits", rows, outFeatures), nameof(logits), "(rows={0}, outFeatures={1})", rows, outFeatures);

        var buffer = ArrayPool<int>.Shared.Rent(rows * outFeatures);
        try
        {
            var acc = buffer.AsSpan(0, rows * outFeatures);
            BinaryGemm.Multiply(input, rows, weights, outFeatures, wordsPerRow, inFeatures, acc);
            for (var r = 0; r < rows; r++)
            {
                var rowAcc = acc.Slice(r * outFeatures, outFeatures);
                var rowLogits = logits.Slice(r * outFeatures, outFeatures);
                for (var o = 0; o < outFeatures; o++)
                    rowLogits[o] = rowAcc[o] * scale[o] + offset[o];
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Folds linear bias and eval batch norm into scale = gamma / sqrt(variance + epsilon) and
    /// offset = (bias − mean) · scale + beta. Logits then match the float pipeline
    /// ((acc + bias − mean) / sqrt(variance + epsilon) · gamma + beta) to a few float32 ulps, not bit for bit:
    /// the folded form rounds in a different order.
    /// </summary>
    public static void FoldBatchNorm(ReadOnlySpan<float> bias, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, float epsilon, Span<float> scale, Span<float> offset)
    {
        var features = scale.Length;
        const string shape = "({0} features, the length of scale)";
        BinaryArgs.Length(bias, features, nameof(bias), shape, features);
        BinaryArgs.Length(gamma, features, nameof(gamma), shape, features);
        BinaryArgs.Length(beta, features, nameof(beta), shape, features);
        BinaryArgs.Length(mean, features, nameof(mean), shape, features);
        BinaryArgs.Length(variance, features, nameof(variance), shape, features);
        BinaryArgs.Length(offset, features, nameof(offset), shape, features);
        for (var o = 0; o < features; o++)
        {
            if (!float.IsFinite(bias[o]))
                throw new ArgumentException($"bias of feature {o} is {bias[o]}; it must be finite.", nameof(bias));
            BatchNormSign.Validate(o, gamma[o], beta[o], mean[o], variance[o], epsilon);
            var s = gamma[o] / MathF.Sqrt(variance[o] + epsilon);
            scale[o] = s;
            offset[o] = (bias[o] - mean[o]) * s + beta[o];
        }
    }
}


namespace Ddnn.Kernels.Binary;

/// <summary>
/// Binary linear exit (<c>BinaryLinearBN</c>): packed ±1 input rows × packed ±1 weight rows → exact int dot products,
/// then logits = acc · scale + offset per output feature (bias and eval batch norm are folded into scale/offset at export).
/// </summary>
/// <remarks>
/// Rows may be any packed layout as long as input and weights share it and unused bits are zero in both, e.g. a
/// packed feature map <c>(H, W, WordsFor(C))</c> (wordsPerRow = H·W·WordsFor(C), inFeatures = C·H·W) with weights
/// packed by <see cref="BitPacking.PackConvWeights"/>(w, outFeatures, C, H, W), which maps the NCHW-flattened
/// training weights onto that layout; or plain rows from <see cref="BitPacking.PackRows"/>.
/// </remarks>
public static unsafe class BinaryLinear
{
    [ThreadStatic] private static int[]? _accumulatorSlot;

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

        var acc = Scratch.Span(ref _accumulatorSlot, rows * outFeatures);
        BinaryGemm.Multiply(input, rows, weights, outFeatures, wordsPerRow, inFeatures, acc);
        for (var r = 0; r < rows; r++)
        {
            var rowAcc = acc.Slice(r * outFeatures, outFeatures);
            var rowLogits = logits.Slice(r * outFeatures, outFeatures);
            for (var o = 0; o < outFeatures; o++)
                rowLogits[o] = rowAcc[o] * scale[o] + offset[o];
        }
    }
}

namespace Ddnn.Kernels.Binary;

/// <summary>
/// A per-channel test on a float pre-activation x (conv output including bias) that gives its sign bit:
/// +1 ⇔ x ≥ Threshold, or x ≤ Threshold when <see cref="Flip"/>. A NaN threshold never fires; −∞ with no flip fires
/// for every non-NaN x; NaN inputs never fire. The export step folds eval batch norm and sign into it (Ddnn.Core's
/// <c>EvalBatchNorm</c>).
/// </summary>
public readonly record struct FloatSignThreshold(float Threshold, bool Flip) : ISignTest<float>
{
    /// <summary>True when <paramref name="x"/> (conv output including bias) maps to +1.</summary>
    public bool Fires(float x) => Flip ? x <= Threshold : x >= Threshold;

    /// <summary>Smallest firing value; NaN (never fires) when the threshold is NaN.</summary>
    float ISignTest<float>.Lower => Flip ? (float.IsNaN(Threshold) ? float.NaN : float.NegativeInfinity) : Threshold;

    /// <summary>Largest firing value; with no flip every non-NaN value up to +∞ fires.</summary>
    float ISignTest<float>.Upper => Flip ? Threshold : float.PositiveInfinity;

    /// <summary>
    /// Thresholds float pre-activations <c>(batch, channels, height, width)</c> (conv output including bias) into
    /// NHWC-packed sign bits <c>(batch, height, width, WordsFor(channels))</c> with one threshold per channel.
    /// </summary>
    public static void Apply(ReadOnlySpan<float> values, int batch, int channels, int height, int width,
        ReadOnlySpan<FloatSignThreshold> thresholds, Span<ulong> packed) =>
        ThresholdPacking.Apply(values, batch, channels, height, width, thresholds, packed, nameof(values));
}

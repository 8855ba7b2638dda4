namespace Ddnn.Kernels.Binary;

/// <summary>
/// Eval batch norm + sign folded into one float comparison for the first (float-input) layer:
/// +1 ⇔ x ≥ Threshold, or x ≤ Threshold when <see cref="Flip"/> (gamma &lt; 0), where x is the conv output with bias.
/// A NaN threshold never fires; −∞ with no flip fires for every non-NaN x (gamma = 0, beta ≥ 0).
/// </summary>
/// <remarks>
/// Exact for every float32 x against <see cref="BatchNormSign.IsNonNegative"/>: the threshold is found by binary
/// search over all floats in order, on the same float32 expression (monotone in x, see <see cref="SignThreshold"/>).
/// NaN inputs map to −1 on both sides. The only documented difference: with gamma = 0 and x so large that
/// (x − mean) / sqrt(var + eps) overflows to ±∞ (or x infinite), the float expression gives 0·∞ = NaN (−1) while the
/// fold keeps the constant sign(beta).
/// </remarks>
public readonly record struct FloatSignThreshold(float Threshold, bool Flip) : ISignTest<float>
{
    /// <summary>True when <paramref name="x"/> (conv output including bias) maps to +1.</summary>
    public bool Fires(float x) => Flip ? x <= Threshold : x >= Threshold;

    /// <summary>Smallest firing value; NaN (never fires) when the threshold is NaN.</summary>
    float ISignTest<float>.Lower => Flip ? (float.IsNaN(Threshold) ? float.NaN : float.NegativeInfinity) : Threshold;

    /// <summary>Largest firing value; with no flip every non-NaN value up to +∞ fires.</summary>
    float ISignTest<float>.Upper => Flip ? Threshold : float.PositiveInfinity;

    /// <summary>Folds eval batch norm of one channel into a threshold on the float pre-activation x.</summary>
    public static FloatSignThreshold Fold(float gamma, float beta, float mean, float variance,
        float epsilon = BatchNormSign.DefaultEpsilon) => Fold(0, gamma, beta, mean, variance, epsilon);

    /// <summary>Folds every channel; all spans must have the length of <paramref name="thresholds"/>.</summary>
    public static void FoldAll(ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> variance, float epsilon, Span<FloatSignThreshold> thresholds)
    {
        var channels = thresholds.Length;
        const string shape = "({0} channels, the length of thresholds)";
        BinaryArgs.Length(gamma, channels, nameof(gamma), shape, channels);
        BinaryArgs.Length(beta, channels, nameof(beta), shape, channels);
        BinaryArgs.Length(mean, channels, nameof(mean), shape, channels);
        BinaryArgs.Length(variance, channels, nameof(variance), shape, channels);
        for (var c = 0; c < channels; c++)
            thresholds[c] = Fold(c, gamma[c], beta[c], mean[c], variance[c], epsilon);
    }

    /// <summary>
    /// Thresholds float pre-activations <c>(batch, channels, height, width)</c> (conv output including bias) into
    /// NHWC-packed sign bits <c>(batch, height, width, WordsFor(channels))</c> with one threshold per channel.
    /// </summary>
    public static void Apply(ReadOnlySpan<float> values, int batch, int channels, int height, int width,
        ReadOnlySpan<FloatSignThreshold> thresholds, Span<ulong> packed) =>
        ThresholdPacking.Apply(values, batch, channels, height, width, thresholds, packed, nameof(values));

    private static FloatSignThreshold Fold(int channel, float gamma, float beta, float mean, float variance, float epsilon)
    {
        BatchNormSign.Validate(channel, gamma, beta, mean, variance, epsilon);
        bool Positive(int key) => BatchNormSign.IsNonNegative(FromKey(key), gamma, beta, mean, variance, epsilon);

        if (gamma == 0f)
            return new FloatSignThreshold(Positive(0) ? float.NegativeInfinity : float.NaN, false);

        bool increasing = gamma > 0f;
        int lowKey = ToKey(float.NegativeInfinity), highKey = ToKey(float.PositiveInfinity);
        bool atLow = Positive(lowKey), atHigh = Positive(highKey);
        if (atLow && atHigh) return new FloatSignThreshold(increasing ? float.NegativeInfinity : float.PositiveInfinity, !increasing);
        if (!atLow && !atHigh) return new FloatSignThreshold(float.NaN, !increasing);

        // Invariant: Positive(low) != Positive(high); narrow to adjacent floats.
        long low = lowKey, high = highKey;
        while (high - low > 1)
        {
            var mid = (int)(low + ((high - low) >> 1));
            if (Positive(mid) == increasing) high = mid;
            else low = mid;
        }
        return increasing
            ? new FloatSignThreshold(FromKey((int)high), false)
            : new FloatSignThreshold(FromKey((int)low), true);
    }

    /// <summary>Maps a non-NaN float to an int that orders like the float (−0 just below +0).</summary>
    private static int ToKey(float x)
    {
        var bits = BitConverter.SingleToInt32Bits(x);
        return bits >= 0 ? bits : -(bits & int.MaxValue) - 1;
    }

    private static float FromKey(int key) =>
        BitConverter.Int32BitsToSingle(key >= 0 ? key : int.MinValue | (-(key + 1)));
}

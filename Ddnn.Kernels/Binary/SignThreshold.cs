namespace Ddnn.Kernels.Binary;

/// <summary>
/// Conv bias + eval batch norm + sign folded into one integer test per output channel (Larq style):
/// sign(BN(acc + bias)) = +1 ⇔ acc ≥ Threshold (gamma &gt; 0), acc ≤ Threshold (gamma &lt; 0), or a constant (gamma = 0).
/// </summary>
/// <remarks>
/// The reference is the float32 expression of <see cref="BatchNormSign"/> applied to x = (float)acc + bias
/// (the exact integer sum of the ±1 products, then the bias added once — how a float conv on ±1 values followed
/// by "+ bias" computes it while |acc| ≤ 2^24). Every float32 step is monotone in x (round-to-nearest preserves
/// order; division by the positive sqrt and multiplication by gamma keep or reverse it), so the set of integers
/// acc with BN ≥ 0 is a half-line. <see cref="Fold"/> finds its end point by binary search on that very float32
/// expression instead of the real-number formula τ = mean − bias − beta·sqrt(var + eps)/gamma, so it agrees
/// with float evaluation for every int accumulator, including values where rounding decides the exact boundary
/// (where the closed-form threshold would differ by one). It can differ from a float pipeline that evaluates BN
/// differently (e.g. multiplies by a precomputed 1/sqrt, or uses FMA) exactly at such boundaries.
/// With gamma = 0 the result is the constant sign(beta) evaluated at acc = 0 (the float expression is ±0 + beta for
/// every finite intermediate).
/// </remarks>
public readonly record struct SignThreshold(int Threshold, SignThresholdMode Mode) : ISignTest<int>
{
    /// <summary>Smallest accumulator that maps to +1 (inclusive); with <see cref="Upper"/>, +1 ⇔ Lower ≤ acc ≤ Upper.</summary>
    public int Lower => Mode switch
    {
        SignThresholdMode.AtLeast => Threshold,
        SignThresholdMode.AtMost or SignThresholdMode.AlwaysPlus => int.MinValue,
        _ => int.MaxValue,
    };

    /// <summary>Largest accumulator that maps to +1 (inclusive); below <see cref="Lower"/> when nothing fires.</summary>
    public int Upper => Mode switch
    {
        SignThresholdMode.AtMost => Threshold,
        SignThresholdMode.AtLeast or SignThresholdMode.AlwaysPlus => int.MaxValue,
        _ => int.MinValue,
    };

    /// <summary>True when the accumulator maps to +1.</summary>
    public bool Fires(int accumulator) => Mode switch
    {
        SignThresholdMode.AtLeast => accumulator >= Threshold,
        SignThresholdMode.AtMost => accumulator <= Threshold,
        SignThresholdMode.AlwaysPlus => true,
        _ => false,
    };

    /// <summary>Folds conv bias and eval batch norm of one channel into a threshold on the integer accumulator.</summary>
    public static SignThreshold Fold(float bias, float gamma, float beta, float mean, float variance,
        float epsilon = BatchNormSign.DefaultEpsilon) => Fold(0, bias, gamma, beta, mean, variance, epsilon);

    /// <summary>Folds every channel; all spans must have the length of <paramref name="thresholds"/>.</summary>
    public static void FoldAll(ReadOnlySpan<float> bias, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, float epsilon, Span<SignThreshold> thresholds)
    {
        var channels = thresholds.Length;
        const string shape = "({0} channels, the length of thresholds)";
        BinaryArgs.Length(bias, channels, nameof(bias), shape, channels);
        BinaryArgs.Length(gamma, channels, nameof(gamma), shape, channels);
        BinaryArgs.Length(beta, channels, nameof(beta), shape, channels);
        BinaryArgs.Length(mean, channels, nameof(mean), shape, channels);
        BinaryArgs.Length(variance, channels, nameof(variance), shape, channels);
        for (var c = 0; c < channels; c++)
            thresholds[c] = Fold(c, bias[c], gamma[c], beta[c], mean[c], variance[c], epsilon);
    }

    /// <summary>
    /// Thresholds int accumulators <c>(batch, channels, height, width)</c> into NHWC-packed sign bits
    /// <c>(batch, height, width, WordsFor(channels))</c> with one threshold per channel.
    /// </summary>
    public static void Apply(ReadOnlySpan<int> accumulators, int batch, int channels, int height, int width,
        ReadOnlySpan<SignThreshold> thresholds, Span<ulong> packed) =>
        ThresholdPacking.Apply(accumulators, batch, channels, height, width, thresholds, packed, nameof(accumulators));

    private static SignThreshold Fold(int channel, float bias, float gamma, float beta, float mean, float variance, float epsilon)
    {
        if (!float.IsFinite(bias))
            throw new ArgumentException($"bias of channel {channel} is {bias}; it must be finite.", nameof(bias));
        BatchNormSign.Validate(channel, gamma, beta, mean, variance, epsilon);

        bool Positive(long acc) => BatchNormSign.IsNonNegative((float)acc + bias, gamma, beta, mean, variance, epsilon);

        if (gamma == 0f)
            return new SignThreshold(0, Positive(0) ? SignThresholdMode.AlwaysPlus : SignThresholdMode.AlwaysMinus);

        bool increasing = gamma > 0f;
        bool atMin = Positive(int.MinValue), atMax = Positive(int.MaxValue);
        if (atMin && atMax) return new SignThreshold(0, SignThresholdMode.AlwaysPlus);
        if (!atMin && !atMax) return new SignThreshold(0, SignThresholdMode.AlwaysMinus);

        // Invariant: Positive(low) != Positive(high); narrow to adjacent integers.
        long low = int.MinValue, high = int.MaxValue;
        while (high - low > 1)
        {
            var mid = low + ((high - low) >> 1);
            if (Positive(mid) == increasing) high = mid;
            else low = mid;
        }
        return increasing
            ? new SignThreshold((int)high, SignThresholdMode.AtLeast)
            : new SignThreshold((int)low, SignThresholdMode.AtMost);
    }
}

namespace Ddnn.Kernels.Binary;

/// <summary>
/// A per-channel test on an integer accumulator that gives its sign bit: +1 ⇔ acc ≥ Threshold (<see cref="SignThresholdMode.AtLeast"/>),
/// acc ≤ Threshold (<see cref="SignThresholdMode.AtMost"/>), or a constant. The kernels take thresholds only; the export
/// step folds a layer's bias, eval batch norm and sign into them (Ddnn.Core's <c>EvalBatchNorm</c>).
/// </summary>
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

    /// <summary>
    /// Thresholds int accumulators <c>(batch, channels, height, width)</c> into NHWC-packed sign bits
    /// <c>(batch, height, width, WordsFor(channels))</c> with one threshold per channel.
    /// </summary>
    public static void Apply(ReadOnlySpan<int> accumulators, int batch, int channels, int height, int width,
        ReadOnlySpan<SignThreshold> thresholds, Span<ulong> packed) =>
        ThresholdPacking.Apply(accumulators, batch, channels, height, width, thresholds, packed, nameof(accumulators));
}

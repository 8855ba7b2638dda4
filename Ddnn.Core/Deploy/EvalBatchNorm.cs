using Ddnn.Core.Layers;
using Ddnn.Kernels.Binary;

namespace Ddnn.Core.Deploy;

/// <summary>
/// One channel of eval-mode batch norm exactly as the training graph computes it: y = x·Scale + Shift in float32 with
/// Scale = (float)(gamma / sqrt((double)var + eps)) and Shift = (float)(beta − mean·scale) (scale in double), and the
/// thresholds that fold it (with a conv bias and the sign) into one comparison.
/// </summary>
/// <remarks>
/// This is the only BN + sign fold: the kernels take thresholds only. Folding the graph's own float expression is what
/// makes the packed bits equal the graph's bits. Both steps
/// (rounded multiply, rounded add) are monotone in x, so the set of firing inputs is a half-line and a binary search
/// on the very float expression finds its end point.
/// </remarks>
public readonly record struct EvalBatchNorm(float Scale, float Shift)
{
    /// <summary>The eval-mode affine of channel <paramref name="channel"/> of <paramref name="bn"/>.</summary>
    public static EvalBatchNorm From(BatchNormBase bn, int channel)
    {
        ArgumentNullException.ThrowIfNull(bn);
        var scale = bn.Weight.Data[channel] / Math.Sqrt((double)bn.RunningVar.Data[channel] + bn.Eps);
        return new EvalBatchNorm((float)scale, (float)(bn.Bias.Data[channel] - bn.RunningMean.Data[channel] * scale));
    }

    /// <summary>Every channel of <paramref name="bn"/>.</summary>
    public static EvalBatchNorm[] All(BatchNormBase bn)
    {
        var all = new EvalBatchNorm[bn.Channels];
        for (var c = 0; c < all.Length; c++) all[c] = From(bn, c);
        return all;
    }

    /// <summary>The normalized value, computed like the graph (no fused multiply-add).</summary>
    public float Apply(float x) => x * Scale + Shift;

    /// <summary>
    /// Folds conv bias + this BN + sign into a test on integer accumulators in [−<paramref name="range"/>, range]:
    /// the graph computes x = (float)acc + bias and then sign(Apply(x)) with sign(0) = +1.
    /// </summary>
    public SignThreshold FoldInteger(float bias, int range)
    {
        var self = this;
        bool Fires(long acc) => self.Apply((float)acc + bias) >= 0f;
        long low = -(long)range - 1, high = (long)range + 1;
        bool atLow = Fires(low), atHigh = Fires(high);
        if (atLow && atHigh) return new SignThreshold(0, SignThresholdMode.AlwaysPlus);
        if (!atLow && !atHigh) return new SignThreshold(0, SignThresholdMode.AlwaysMinus);
        var increasing = atHigh;
        while (high - low > 1)
        {
            var mid = low + ((high - low) >> 1);
            if (Fires(mid) == increasing) high = mid;
            else low = mid;
        }
        return increasing ? new SignThreshold((int)high, SignThresholdMode.AtLeast) : new SignThreshold((int)low, SignThresholdMode.AtMost);
    }

    /// <summary>
    /// Folds this BN + sign into a test on the float pre-activation x (conv output including its bias). With
    /// <see cref="Scale"/> = 0 (gamma = 0) the test is the constant sign(Shift), which the graph also gives for every
    /// finite x (it gives −1 for infinite x, where 0·∞ is NaN).
    /// </summary>
    public FloatSignThreshold FoldFloat()
    {
        // The search's end points are ±∞, where 0·∞ = NaN would hide a constant sign.
        if (Scale == 0f) return Apply(0f) >= 0f ? new FloatSignThreshold(float.NegativeInfinity, false) : new FloatSignThreshold(float.NaN, false);
        var self = this;
        bool Fires(int key) => self.Apply(FromKey(key)) >= 0f;
        int lowKey = ToKey(float.NegativeInfinity), highKey = ToKey(float.PositiveInfinity);
        bool atLow = Fires(lowKey), atHigh = Fires(highKey);
        if (atLow && atHigh) return new FloatSignThreshold(float.NegativeInfinity, false);
        if (!atLow && !atHigh) return new FloatSignThreshold(float.NaN, false);
        var increasing = atHigh;
        long low = lowKey, high = highKey;
        while (high - low > 1)
        {
            var mid = (int)(low + ((high - low) >> 1));
            if (Fires(mid) == increasing) high = mid;
            else low = mid;
        }
        return increasing ? new FloatSignThreshold(FromKey((int)high), false) : new FloatSignThreshold(FromKey((int)low), true);
    }

    /// <summary>Maps a non-NaN float to an int that orders like the float (−0 just below +0).</summary>
    private static int ToKey(float x)
    {
        var bits = BitConverter.SingleToInt32Bits(x);
        return bits >= 0 ? bits : -(bits & int.MaxValue) - 1;
    }

    private static float FromKey(int key) => BitConverter.Int32BitsToSingle(key >= 0 ? key : int.MinValue | -(key + 1));
}

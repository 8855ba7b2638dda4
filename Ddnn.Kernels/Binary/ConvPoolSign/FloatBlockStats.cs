namespace Ddnn.Kernels.Binary;

/// <summary>
/// What a float-input block run did besides its bits: how many (image, channel group) units tried the split-sum
/// shortcut, how many of those it could not vouch for and recomputed in the exact summation order (a conv value within
/// the shortcut's error margin of its threshold, or an input not finite or above 1e30), and for how many images
/// pooling wrote the tight packing itself (the device map) instead of repacking the output. Runs add up with +.
/// </summary>
/// <param name="SplitSumGroupsTried">Units that tried the split-sum shortcut.</param>
/// <param name="SplitSumGroupsRecomputed">Of those, units recomputed in the exact order.</param>
/// <param name="TightMapsFromPooling">Images whose tight packing pooling wrote directly.</param>
public readonly record struct FloatBlockStats(long SplitSumGroupsTried, long SplitSumGroupsRecomputed, long TightMapsFromPooling)
{
    /// <summary>The share of the tried units recomputed in the exact order; NaN when none tried the shortcut.</summary>
    public double RecomputedFraction =>
        SplitSumGroupsTried == 0 ? double.NaN : SplitSumGroupsRecomputed / (double)SplitSumGroupsTried;

    /// <summary>The counts of two runs (or totals) added.</summary>
    public static FloatBlockStats operator +(FloatBlockStats a, FloatBlockStats b) =>
        new(a.SplitSumGroupsTried + b.SplitSumGroupsTried, a.SplitSumGroupsRecomputed + b.SplitSumGroupsRecomputed,
            a.TightMapsFromPooling + b.TightMapsFromPooling);
}

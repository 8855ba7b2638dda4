namespace Ddnn.Kernels.Binary;

/// <summary>How a folded <see cref="SignThreshold"/> turns an integer accumulator into a sign bit.</summary>
public enum SignThresholdMode
{
    /// <summary>+1 when acc ≥ Threshold (gamma &gt; 0).</summary>
    AtLeast = 0,

    /// <summary>+1 when acc ≤ Threshold (gamma &lt; 0, the "flip" case).</summary>
    AtMost = 1,

    /// <summary>Always +1 (gamma = 0 with beta ≥ 0, or a threshold beyond the int range).</summary>
    AlwaysPlus = 2,

    /// <summary>Always −1 (gamma = 0 with beta &lt; 0, or a threshold beyond the int range).</summary>
    AlwaysMinus = 3,
}

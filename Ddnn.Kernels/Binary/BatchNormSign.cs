namespace Ddnn.Kernels.Binary;

/// <summary>
/// The float32 evaluation that the folded thresholds reproduce exactly:
/// y = (x − mean) / sqrt(variance + epsilon) · gamma + beta, then sign(y) with y ≥ 0 → +1, evaluated left to right
/// in float32 (no fused multiply-add). Eval-mode batch norm of the eBNN blocks; epsilon is 2e-5 in DDNN.
/// </summary>
public static class BatchNormSign
{
    /// <summary>Batch norm epsilon used by DDNN.</summary>
    public const float DefaultEpsilon = 2e-5f;

    /// <summary>True when BN(x) ≥ 0, i.e. sign(BN(x)) = +1, evaluated exactly as documented on <see cref="BatchNormSign"/>.</summary>
    public static bool IsNonNegative(float x, float gamma, float beta, float mean, float variance, float epsilon)
    {
        var y = (x - mean) / MathF.Sqrt(variance + epsilon) * gamma + beta;
        return y >= 0f;
    }

    /// <summary>Rejects non-finite parameters and a non-positive variance + epsilon, naming the channel.</summary>
    internal static void Validate(int channel, float gamma, float beta, float mean, float variance, float epsilon)
    {
        if (!float.IsFinite(gamma)) throw Bad(nameof(gamma), channel, gamma, "must be finite");
        if (!float.IsFinite(beta)) throw Bad(nameof(beta), channel, beta, "must be finite");
        if (!float.IsFinite(mean)) throw Bad(nameof(mean), channel, mean, "must be finite");
        if (!float.IsFinite(variance) || variance < 0f) throw Bad(nameof(variance), channel, variance, "must be finite and ≥ 0");
        if (!float.IsFinite(epsilon) || epsilon < 0f) throw Bad(nameof(epsilon), channel, epsilon, "must be finite and ≥ 0");
        if (!(variance + epsilon > 0f))
            throw new ArgumentException($"variance + epsilon is {variance + epsilon} for channel {channel}; it must be > 0.", nameof(variance));
    }

    private static ArgumentException Bad(string name, int channel, float value, string rule) =>
        new($"{name} of channel {channel} is {value}; it {rule}.", name);
}

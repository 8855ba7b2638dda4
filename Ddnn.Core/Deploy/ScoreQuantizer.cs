namespace Ddnn.Core.Deploy;

/// <summary>
/// uint8 class scores for one device exit: class j's logit is mapped linearly onto 0..255 over the range
/// [<see cref="Lower"/>[j], <see cref="Upper"/>[j]] that the exit can produce at all. The range is a property of the
/// model, fixed at export and known to both ends, so a message carries one byte per class and nothing else.
/// </summary>
/// <remarks>
/// A binary exit's logit is an affine function of an integer accumulator in [−n, n] (n input features, steps of 2),
/// so its extremes are the two end points and no logit ever falls outside. The reconstruction error is at most half
/// a quantization step, (Upper − Lower) / 510, which is about one flipped input bit's worth of the accumulator.
/// </remarks>
public sealed class ScoreQuantizer
{
    private const int Levels = 255;
    private readonly float[] _lower, _upper, _step;

    /// <summary>A quantizer over explicit per-class ranges (copied: the quantizer is immutable).</summary>
    public ScoreQuantizer(float[] lower, float[] upper)
    {
        ArgumentNullException.ThrowIfNull(lower);
        ArgumentNullException.ThrowIfNull(upper);
        if (lower.Length != upper.Length)
            throw new ArgumentException($"lower has {lower.Length} classes but upper has {upper.Length}.", nameof(upper));
        if (lower.Length < 2) throw new ArgumentException($"a score range needs at least 2 classes, got {lower.Length}.", nameof(lower));
        _step = new float[lower.Length];
        for (var j = 0; j < lower.Length; j++)
        {
            if (!float.IsFinite(lower[j]) || !float.IsFinite(upper[j]) || lower[j] > upper[j])
                throw new ArgumentException($"class {j} has an invalid score range [{lower[j]}, {upper[j]}].", nameof(lower));
            _step[j] = (upper[j] - lower[j]) / Levels;
        }
        _lower = [.. lower];
        _upper = [.. upper];
    }

    /// <summary>The ranges a device exit can produce: its logits at accumulators −n and +n, whichever is smaller first.</summary>
    public static ScoreQuantizer For(PackedExit exit)
    {
        ArgumentNullException.ThrowIfNull(exit);
        var lower = new float[exit.Classes];
        var upper = new float[exit.Classes];
        for (var j = 0; j < exit.Classes; j++)
        {
            var a = exit.Logit(j, -exit.Features);
            var b = exit.Logit(j, exit.Features);
            (lower[j], upper[j]) = a <= b ? (a, b) : (b, a);
        }
        return new ScoreQuantizer(lower, upper);
    }

    /// <summary>Smallest logit of each class.</summary>
    public ReadOnlySpan<float> Lower => _lower;

    /// <summary>Largest logit of each class.</summary>
    public ReadOnlySpan<float> Upper => _upper;

    /// <summary>Number of classes, i.e. bytes per uint8 score message body.</summary>
    public int Classes => _lower.Length;

    /// <summary>Largest difference between a logit in range and its decoded value, over all classes.</summary>
    public float MaxError
    {
        get
        {
            var max = 0f;
            foreach (var s in _step) max = Math.Max(max, s / 2);
            return max;
        }
    }

    /// <summary>One byte per class; values outside the range (only possible for logits not from this exit) clamp to its ends.</summary>
    public void Encode(ReadOnlySpan<float> logits, Span<byte> codes)
    {
        CheckLengths(logits.Length, codes.Length);
        for (var j = 0; j < logits.Length; j++)
        {
            var z = logits[j];
            if (float.IsNaN(z)) throw new ArgumentException($"logit {j} is NaN and cannot be quantized.", nameof(logits));
            codes[j] = _step[j] > 0 ? (byte)Math.Clamp(MathF.Round((z - _lower[j]) / _step[j]), 0f, Levels) : (byte)0;
        }
    }

    /// <summary>The logits the codes stand for.</summary>
    public void Decode(ReadOnlySpan<byte> codes, Span<float> logits)
    {
        CheckLengths(logits.Length, codes.Length);
        for (var j = 0; j < codes.Length; j++) logits[j] = _lower[j] + codes[j] * _step[j];
    }

    private void CheckLengths(int logits, int codes)
    {
        if (logits != Classes) throw new ArgumentException($"expected {Classes} logits, got {logits}.", nameof(logits));
        if (codes != Classes) throw new ArgumentException($"expected {Classes} codes, got {codes}.", nameof(codes));
    }
}

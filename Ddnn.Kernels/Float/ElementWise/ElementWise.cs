namespace Ddnn.Kernels;

/// <summary>
/// Element-wise float kernels over equal-length spans. The destination may be the same span as an input
/// (in place); partially overlapping spans are not supported.
/// </summary>
public static class ElementWise
{
    /// <summary>dst = x + y.</summary>
    public static void Add(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst) =>
        ElementWiseLoop.Binary(new AddOperator(), x, y, dst, nameof(x), nameof(y), nameof(dst));

    /// <summary>dst = x − y.</summary>
    public static void Subtract(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst) =>
        ElementWiseLoop.Binary(new SubtractOperator(), x, y, dst, nameof(x), nameof(y), nameof(dst));

    /// <summary>dst = x · y.</summary>
    public static void Multiply(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst) =>
        ElementWiseLoop.Binary(new MultiplyOperator(), x, y, dst, nameof(x), nameof(y), nameof(dst));

    /// <summary>dst = max(x, y) (y where x &lt; y, else x).</summary>
    public static void Max(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst) =>
        ElementWiseLoop.Binary(new MaxOperator(), x, y, dst, nameof(x), nameof(y), nameof(dst));

    /// <summary>dst = x + alpha·y (multiply then add, not fused).</summary>
    public static void AddScaled(ReadOnlySpan<float> x, float alpha, ReadOnlySpan<float> y, Span<float> dst) =>
        ElementWiseLoop.Binary(new AddScaledOperator(alpha), x, y, dst, nameof(x), nameof(y), nameof(dst));

    /// <summary>dst = alpha·x.</summary>
    public static void Scale(ReadOnlySpan<float> x, float alpha, Span<float> dst) =>
        ElementWiseLoop.Unary(new ScaleOperator(alpha), x, dst);

    /// <summary>dst = x + value.</summary>
    public static void AddScalar(ReadOnlySpan<float> x, float value, Span<float> dst) =>
        ElementWiseLoop.Unary(new AddScalarOperator(value), x, dst);

    /// <summary>dst = x·scale + shift.</summary>
    public static void Affine(ReadOnlySpan<float> x, float scale, float shift, Span<float> dst) =>
        ElementWiseLoop.Unary(new AffineOperator(scale, shift), x, dst);

    /// <summary>dst = max(x, 0) (0 where x &lt; 0; NaN passes through).</summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> dst) =>
        ElementWiseLoop.Unary(new ReluOperator(), x, dst);

    /// <summary>dx = dy where x &gt; 0, else 0.</summary>
    public static void ReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx) =>
        ElementWiseLoop.Binary(new ReluBackwardOperator(), x, dy, dx, nameof(x), nameof(dy), nameof(dx));

    /// <summary>dst = clamp(x, −1, 1).</summary>
    public static void HardTanh(ReadOnlySpan<float> x, Span<float> dst) =>
        ElementWiseLoop.Unary(new ClipOperator(-1f, 1f), x, dst);

    /// <summary>dx = dy where −1 &lt; x &lt; 1 (exclusive, as PyTorch's hardtanh_backward), else 0.</summary>
    public static void HardTanhBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx) =>
        ElementWiseLoop.Binary(new InsideOpenBackwardOperator(-1f, 1f), x, dy, dx, nameof(x), nameof(dy), nameof(dx));

    /// <summary>dst = +1 where x ≥ 0 (including −0.0), else −1.</summary>
    public static void Sign(ReadOnlySpan<float> x, Span<float> dst) =>
        ElementWiseLoop.Unary(new SignOperator(), x, dst);

    /// <summary>Straight-through sign gradient: dx = dy where |x| ≤ 1 (inclusive), else 0.</summary>
    public static void SignSteBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx) =>
        ElementWiseLoop.Binary(new SignSteBackwardOperator(), x, dy, dx, nameof(x), nameof(dy), nameof(dx));

    /// <summary>dst = clamp(x, lo, hi).</summary>
    /// <exception cref="ArgumentException">lo &gt; hi or either is NaN.</exception>
    public static void Clip(ReadOnlySpan<float> x, float lo, float hi, Span<float> dst)
    {
        if (!(lo <= hi))
            throw new ArgumentException($"clip bounds must satisfy lo <= hi, got lo={lo}, hi={hi}.", nameof(lo));
        ElementWiseLoop.Unary(new ClipOperator(lo, hi), x, dst);
    }

    /// <summary>Sets every element of dst to value.</summary>
    public static void Fill(Span<float> dst, float value) => dst.Fill(value);
}

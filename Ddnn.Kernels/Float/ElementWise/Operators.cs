using System.Runtime.Intrinsics;

namespace Ddnn.Kernels;

// The operators avoid fused multiply-add and use only compare/select and IEEE-exact arithmetic, so the scalar
// and vector forms agree bit for bit.

internal readonly struct AddOperator : IBinaryOperator
{
    public float Invoke(float x, float y) => x + y;
    public Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x + y;
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x + y;
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x + y;
}

internal readonly struct SubtractOperator : IBinaryOperator
{
    public float Invoke(float x, float y) => x - y;
    public Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x - y;
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x - y;
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x - y;
}

internal readonly struct MultiplyOperator : IBinaryOperator
{
    public float Invoke(float x, float y) => x * y;
    public Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x * y;
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x * y;
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x * y;
}

/// <summary>max(x, y); y when x &lt; y, else x.</summary>
internal readonly struct MaxOperator : IBinaryOperator
{
    public float Invoke(float x, float y) => x < y ? y : x;
    public Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => Vector128.ConditionalSelect(Vector128.LessThan(x, y), y, x);
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Vector256.ConditionalSelect(Vector256.LessThan(x, y), y, x);
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Vector512.ConditionalSelect(Vector512.LessThan(x, y), y, x);
}

/// <summary>x + alpha·y (multiply then add, not fused).</summary>
internal readonly struct AddScaledOperator(float alpha) : IBinaryOperator
{
    public float Invoke(float x, float y) => x + alpha * y;
    public Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x + Vector128.Create(alpha) * y;
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x + Vector256.Create(alpha) * y;
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x + Vector512.Create(alpha) * y;
}

internal readonly struct ScaleOperator(float alpha) : IUnaryOperator
{
    public float Invoke(float x) => alpha * x;
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.Create(alpha) * x;
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Create(alpha) * x;
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.Create(alpha) * x;
}

internal readonly struct AddScalarOperator(float value) : IUnaryOperator
{
    public float Invoke(float x) => x + value;
    public Vector128<float> Invoke(Vector128<float> x) => x + Vector128.Create(value);
    public Vector256<float> Invoke(Vector256<float> x) => x + Vector256.Create(value);
    public Vector512<float> Invoke(Vector512<float> x) => x + Vector512.Create(value);
}

/// <summary>x·scale + shift (multiply then add), the batch-norm affine map.</summary>
internal readonly struct AffineOperator(float scale, float shift) : IUnaryOperator
{
    public float Invoke(float x) => x * scale + shift;
    public Vector128<float> Invoke(Vector128<float> x) => x * Vector128.Create(scale) + Vector128.Create(shift);
    public Vector256<float> Invoke(Vector256<float> x) => x * Vector256.Create(scale) + Vector256.Create(shift);
    public Vector512<float> Invoke(Vector512<float> x) => x * Vector512.Create(scale) + Vector512.Create(shift);
}

/// <summary>0 where x &lt; 0, else x (NaN passes through).</summary>
internal readonly struct ReluOperator : IUnaryOperator
{
    public float Invoke(float x) => x < 0 ? 0 : x;
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), Vector128<float>.Zero, x);
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), Vector256<float>.Zero, x);
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), Vector512<float>.Zero, x);
}

/// <summary>dy where x &gt; 0, else 0.</summary>
internal readonly struct ReluBackwardOperator : IBinaryOperator
{
    public float Invoke(float x, float dy) => x > 0 ? dy : 0;
    public Vector128<float> Invoke(Vector128<float> x, Vector128<float> dy) => Vector128.GreaterThan(x, Vector128<float>.Zero) & dy;
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) => Vector256.GreaterThan(x, Vector256<float>.Zero) & dy;
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) => Vector512.GreaterThan(x, Vector512<float>.Zero) & dy;
}

/// <summary>Clamp to [lo, hi]: lo where x &lt; lo, hi where x &gt; hi, else x (NaN passes through).</summary>
internal readonly struct ClipOperator(float lo, float hi) : IUnaryOperator
{
    public float Invoke(float x) => x < lo ? lo : x > hi ? hi : x;

    public Vector128<float> Invoke(Vector128<float> x)
    {
        var l = Vector128.Create(lo);
        var h = Vector128.Create(hi);
        var upper = Vector128.ConditionalSelect(Vector128.GreaterThan(x, h), h, x);
        return Vector128.ConditionalSelect(Vector128.LessThan(x, l), l, upper);
    }

    public Vector256<float> Invoke(Vector256<float> x)
    {
        var l = Vector256.Create(lo);
        var h = Vector256.Create(hi);
        var upper = Vector256.ConditionalSelect(Vector256.GreaterThan(x, h), h, x);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, l), l, upper);
    }

    public Vector512<float> Invoke(Vector512<float> x)
    {
        var l = Vector512.Create(lo);
        var h = Vector512.Create(hi);
        var upper = Vector512.ConditionalSelect(Vector512.GreaterThan(x, h), h, x);
        return Vector512.ConditionalSelect(Vector512.LessThan(x, l), l, upper);
    }
}

/// <summary>dy where lo &lt; x &lt; hi (exclusive, PyTorch hardtanh_backward), else 0.</summary>
internal readonly struct InsideOpenBackwardOperator(float lo, float hi) : IBinaryOperator
{
    public float Invoke(float x, float dy) => x > lo && x < hi ? dy : 0;

    public Vector128<float> Invoke(Vector128<float> x, Vector128<float> dy) =>
        Vector128.GreaterThan(x, Vector128.Create(lo)) & Vector128.LessThan(x, Vector128.Create(hi)) & dy;

    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) =>
        Vector256.GreaterThan(x, Vector256.Create(lo)) & Vector256.LessThan(x, Vector256.Create(hi)) & dy;

    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) =>
        Vector512.GreaterThan(x, Vector512.Create(lo)) & Vector512.LessThan(x, Vector512.Create(hi)) & dy;
}

/// <summary>+1 where x ≥ 0 (so −0.0 gives +1), else −1.</summary>
internal readonly struct SignOperator : IUnaryOperator
{
    public float Invoke(float x) => x >= 0 ? 1f : -1f;

    public Vector128<float> Invoke(Vector128<float> x) =>
        Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(x, Vector128<float>.Zero), Vector128<float>.One, -Vector128<float>.One);

    public Vector256<float> Invoke(Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), Vector256<float>.One, -Vector256<float>.One);

    public Vector512<float> Invoke(Vector512<float> x) =>
        Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), Vector512<float>.One, -Vector512<float>.One);
}

/// <summary>Straight-through estimator of sign: dy where |x| ≤ 1 (inclusive), else 0.</summary>
internal readonly struct SignSteBackwardOperator : IBinaryOperator
{
    public float Invoke(float x, float dy) => MathF.Abs(x) <= 1f ? dy : 0;
    public Vector128<float> Invoke(Vector128<float> x, Vector128<float> dy) => Vector128.LessThanOrEqual(Vector128.Abs(x), Vector128<float>.One) & dy;
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) => Vector256.LessThanOrEqual(Vector256.Abs(x), Vector256<float>.One) & dy;
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) => Vector512.LessThanOrEqual(Vector512.Abs(x), Vector512<float>.One) & dy;
}

/// <summary>k·g + a·(x − mean) + b (no fused multiply-add), the batch-norm input gradient.</summary>
internal readonly struct BatchNormGradientOperator(float k, float a, float mean, float b) : IBinaryOperator
{
    public float Invoke(float g, float x) => k * g + a * (x - mean) + b;

    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x) =>
        Vector128.Create(k) * g + Vector128.Create(a) * (x - Vector128.Create(mean)) + Vector128.Create(b);

    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x) =>
        Vector256.Create(k) * g + Vector256.Create(a) * (x - Vector256.Create(mean)) + Vector256.Create(b);

    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x) =>
        Vector512.Create(k) * g + Vector512.Create(a) * (x - Vector512.Create(mean)) + Vector512.Create(b);
}

using System.Runtime.Intrinsics;

namespace Ddnn.Kernels;

/// <summary>In-place optimizer updates over parameter/gradient/state spans (PyTorch formulas, no weight decay).</summary>
public static unsafe class OptimizerKernels
{
    /// <summary>
    /// One Adam step t (t ≥ 1): m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g²,
    /// p −= (lr/(1−β1^t))·m / (sqrt(v)/sqrt(1−β2^t) + eps) — eps after the bias-corrected square root.
    /// </summary>
    public static void AdamStep(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v,
        float lr, float beta1, float beta2, float eps, int t)
    {
        Check.SameLength(g.Length, p.Length, nameof(g), nameof(p));
        Check.SameLength(m.Length, p.Length, nameof(m), nameof(p));
        Check.SameLength(v.Length, p.Length, nameof(v), nameof(p));
        Check.Positive(t, nameof(t));
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must be in [0, 1).");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must be in [0, 1).");

        var step = new AdamConstants(
            beta1, 1 - beta1, beta2, 1 - beta2,
            (float)(lr / (1 - Math.Pow(beta1, t))),
            (float)(1 / Math.Sqrt(1 - Math.Pow(beta2, t))),
            eps);
        var path = KernelDispatch.Active;
        fixed (float* pp = p, pg = g, pm = m, pv = v)
        {
            long i = 0, n = p.Length;
            if (path >= KernelPath.Avx512)
                for (; i <= n - 16; i += 16)
                {
                    var gi = Vector512.Load(pg + i);
                    var mi = Vector512.Create(step.Beta1) * Vector512.Load(pm + i) + Vector512.Create(step.OneMinusBeta1) * gi;
                    var vi = Vector512.Create(step.Beta2) * Vector512.Load(pv + i) + Vector512.Create(step.OneMinusBeta2) * (gi * gi);
                    mi.Store(pm + i);
                    vi.Store(pv + i);
                    var denom = Vector512.Sqrt(vi) * Vector512.Create(step.InvSqrtBias2) + Vector512.Create(step.Eps);
                    (Vector512.Load(pp + i) - Vector512.Create(step.StepSize) * mi / denom).Store(pp + i);
                }
            if (path >= KernelPath.Avx2)
                for (; i <= n - 8; i += 8)
                {
                    var gi = Vector256.Load(pg + i);
                    var mi = Vector256.Create(step.Beta1) * Vector256.Load(pm + i) + Vector256.Create(step.OneMinusBeta1) * gi;
                    var vi = Vector256.Create(step.Beta2) * Vector256.Load(pv + i) + Vector256.Create(step.OneMinusBeta2) * (gi * gi);
                    mi.Store(pm + i);
                    vi.Store(pv + i);
                    var denom = Vector256.Sqrt(vi) * Vector256.Create(step.InvSqrtBias2) + Vector256.Create(step.Eps);
                    (Vector256.Load(pp + i) - Vector256.Create(step.StepSize) * mi / denom).Store(pp + i);
                }
            if (path != KernelPath.Scalar)
                for (; i <= n - 4; i += 4)
                {
                    var gi = Vector128.Load(pg + i);
                    var mi = Vector128.Create(step.Beta1) * Vector128.Load(pm + i) + Vector128.Create(step.OneMinusBeta1) * gi;
                    var vi = Vector128.Create(step.Beta2) * Vector128.Load(pv + i) + Vector128.Create(step.OneMinusBeta2) * (gi * gi);
                    mi.Store(pm + i);
                    vi.Store(pv + i);
                    var denom = Vector128.Sqrt(vi) * Vector128.Create(step.InvSqrtBias2) + Vector128.Create(step.Eps);
                    (Vector128.Load(pp + i) - Vector128.Create(step.StepSize) * mi / denom).Store(pp + i);
                }
            for (; i < n; i++)
            {
                var gi = pg[i];
                var mi = step.Beta1 * pm[i] + step.OneMinusBeta1 * gi;
                var vi = step.Beta2 * pv[i] + step.OneMinusBeta2 * (gi * gi);
                pm[i] = mi;
                pv[i] = vi;
                pp[i] -= step.StepSize * mi / (MathF.Sqrt(vi) * step.InvSqrtBias2 + step.Eps);
            }
        }
    }

    /// <summary>
    /// SGD with momentum (PyTorch, dampening 0): buf = g on the first step, else buf = momentum·buf + g; then p −= lr·buf.
    /// </summary>
    public static void SgdMomentumStep(Span<float> p, ReadOnlySpan<float> g, Span<float> momentumBuffer,
        float lr, float momentum, bool firstStep)
    {
        Check.SameLength(g.Length, p.Length, nameof(g), nameof(p));
        Check.SameLength(momentumBuffer.Length, p.Length, nameof(momentumBuffer), nameof(p));
        var path = KernelDispatch.Active;
        fixed (float* pp = p, pg = g, pb = momentumBuffer)
        {
            var n = p.Length;
            if (firstStep)
                new ReadOnlySpan<float>(pg, n).CopyTo(new Span<float>(pb, n));
            else
                ElementWiseLoop.Run(path, new AddScaledOperator(momentum), pg, pb, pb, n); // buf = g + momentum·buf
            ElementWiseLoop.Run(path, new AddScaledOperator(-lr), pp, pb, pp, n);
        }
    }

    private readonly record struct AdamConstants(float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2,
        float StepSize, float InvSqrtBias2, float Eps);
}

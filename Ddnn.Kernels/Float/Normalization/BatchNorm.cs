namespace Ddnn.Kernels;

/// <summary>
/// Batch normalisation over x laid out (N, C, spatial), spatial = H·W for 2-d or 1 for 1-d, PyTorch semantics:
/// biased variance for normalising, unbiased variance for the running estimate, momentum = weight of the new value.
/// Per-channel sums are accumulated in double.
/// </summary>
public static unsafe class BatchNorm
{
    /// <summary>
    /// Normalises with batch statistics, updates runningMean/runningVar in place and stores the batch mean and
    /// 1/sqrt(var_b + eps) per channel in saveMean/saveInvStd for <see cref="Backward"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two values per channel (the unbiased variance is undefined).</exception>
    public static void ForwardTraining(int n, int c, int spatial, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, float eps, float momentum, Span<float> runningMean, Span<float> runningVar,
        Span<float> y, Span<float> saveMean, Span<float> saveInvStd)
    {
        var total = CheckLayout(n, c, spatial, x.Length, nameof(x));
        CheckChannels(c, gamma.Length, nameof(gamma), beta.Length, nameof(beta));
        CheckChannels(c, runningMean.Length, nameof(runningMean), runningVar.Length, nameof(runningVar));
        CheckChannels(c, saveMean.Length, nameof(saveMean), saveInvStd.Length, nameof(saveInvStd));
        Check.Length(y.Length, total, nameof(y));
        CheckEps(eps);
        var count = (long)n * spatial;
        if (count < 2)
            throw new ArgumentException(
                $"batch norm training needs more than one value per channel, got n={n} x spatial={spatial}.", nameof(x));

        var path = KernelDispatch.Active;
        fixed (float* px = x, py = y)
        {
            for (var ch = 0; ch < c; ch++)
            {
                double sum = 0;
                for (var i = 0; i < n; i++) sum += Reduce.SumDouble(path, Plane(px, i, ch, c, spatial), spatial);
                var mean = sum / count;
                double squares = 0;
                for (var i = 0; i < n; i++) squares += Reduce.SquaredDeviationDouble(path, Plane(px, i, ch, c, spatial), spatial, mean);
                var biased = squares / count;
                var invStd = 1.0 / Math.Sqrt(biased + eps);

                saveMean[ch] = (float)mean;
                saveInvStd[ch] = (float)invStd;
                runningMean[ch] = (float)((1.0 - momentum) * runningMean[ch] + momentum * mean);
                runningVar[ch] = (float)((1.0 - momentum) * runningVar[ch] + momentum * (biased * count / (count - 1)));

                var scale = gamma[ch] * invStd;
                ApplyAffine(path, px, py, n, ch, c, spatial, (float)scale, (float)(beta[ch] - mean * scale));
            }
        }
    }

    /// <summary>y = (x − runningMean)/sqrt(runningVar + eps)·gamma + beta; running statistics are not changed.</summary>
    public static void ForwardInference(int n, int c, int spatial, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, float eps, Span<float> y)
    {
        var total = CheckLayout(n, c, spatial, x.Length, nameof(x));
        CheckChannels(c, gamma.Length, nameof(gamma), beta.Length, nameof(beta));
        CheckChannels(c, runningMean.Length, nameof(runningMean), runningVar.Length, nameof(runningVar));
        Check.Length(y.Length, total, nameof(y));
        CheckEps(eps);
        var path = KernelDispatch.Active;
        fixed (float* px = x, py = y)
            for (var ch = 0; ch < c; ch++)
            {
                var scale = gamma[ch] / Math.Sqrt((double)runningVar[ch] + eps);
                ApplyAffine(path, px, py, n, ch, c, spatial, (float)scale, (float)(beta[ch] - runningMean[ch] * scale));
            }
    }

    /// <summary>
    /// Training-mode adjoint: dx = gamma·invStd·(g − mean(g) − x̂·mean(g·x̂)), dgamma = Σ g·x̂, dbeta = Σ g
    /// with x̂ = (x − saveMean)·saveInvStd. All three outputs are overwritten.
    /// </summary>
    public static void Backward(int n, int c, int spatial, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> saveMean, ReadOnlySpan<float> saveInvStd,
        Span<float> dx, Span<float> dgamma, Span<float> dbeta)
    {
        var total = CheckLayout(n, c, spatial, x.Length, nameof(x));
        Check.Length(dy.Length, total, nameof(dy));
        Check.Length(dx.Length, total, nameof(dx));
        Check.Length(gamma.Length, c, nameof(gamma));
        CheckChannels(c, saveMean.Length, nameof(saveMean), saveInvStd.Length, nameof(saveInvStd));
        CheckChannels(c, dgamma.Length, nameof(dgamma), dbeta.Length, nameof(dbeta));
        var count = (double)n * spatial;
        var path = KernelDispatch.Active;
        fixed (float* px = x, pg = dy, pdx = dx)
        {
            for (var ch = 0; ch < c; ch++)
            {
                double mean = saveMean[ch], invStd = saveInvStd[ch];
                double sumG = 0, sumGX = 0;
                for (var i = 0; i < n; i++)
                {
                    var xs = Plane(px, i, ch, c, spatial);
                    var gs = Plane(pg, i, ch, c, spatial);
                    sumG += Reduce.SumDouble(path, gs, spatial);
                    sumGX += Reduce.DotDouble(path, gs, xs, spatial);
                }
                // Σ g·x̂ = invStd·(Σ g·x − mean·Σ g)
                var sumGXhat = invStd * (sumGX - mean * sumG);
                dgamma[ch] = (float)sumGXhat;
                dbeta[ch] = (float)sumG;

                // dx = k·g + a·(x − mean) + b: k = gamma·invStd, a = −k·invStd·mean(g·x̂), b = −k·mean(g).
                var k = gamma[ch] * invStd;
                var op = new BatchNormGradientOperator((float)k, (float)(-k * invStd * sumGXhat / count),
                    (float)mean, (float)(-k * sumG / count));
                for (var i = 0; i < n; i++)
                    ElementWiseLoop.Run(path, op, Plane(pg, i, ch, c, spatial), Plane(px, i, ch, c, spatial),
                        Plane(pdx, i, ch, c, spatial), spatial);
            }
        }
    }

    /// <summary>Eval-mode adjoint: dx = g·gamma/sqrt(runningVar + eps); dgamma = Σ g·x̂ and dbeta = Σ g with running statistics.</summary>
    public static void BackwardInference(int n, int c, int spatial, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, float eps,
        Span<float> dx, Span<float> dgamma, Span<float> dbeta)
    {
        var total = CheckLayout(n, c, spatial, x.Length, nameof(x));
        Check.Length(dy.Length, total, nameof(dy));
        Check.Length(dx.Length, total, nameof(dx));
        Check.Length(gamma.Length, c, nameof(gamma));
        CheckChannels(c, runningMean.Length, nameof(runningMean), runningVar.Length, nameof(runningVar));
        CheckChannels(c, dgamma.Length, nameof(dgamma), dbeta.Length, nameof(dbeta));
        CheckEps(eps);
        var path = KernelDispatch.Active;
        fixed (float* px = x, pg = dy, pdx = dx)
            for (var ch = 0; ch < c; ch++)
            {
                double mean = runningMean[ch], invStd = 1.0 / Math.Sqrt((double)runningVar[ch] + eps);
                double sumG = 0, sumGX = 0;
                for (var i = 0; i < n; i++)
                {
                    var gs = Plane(pg, i, ch, c, spatial);
                    sumG += Reduce.SumDouble(path, gs, spatial);
                    sumGX += Reduce.DotDouble(path, gs, Plane(px, i, ch, c, spatial), spatial);
                    ElementWiseLoop.Run(path, new ScaleOperator((float)(gamma[ch] * invStd)), gs, Plane(pdx, i, ch, c, spatial), spatial);
                }
                dgamma[ch] = (float)(invStd * (sumGX - mean * sumG));
                dbeta[ch] = (float)sumG;
            }
    }

    private static float* Plane(float* p, int i, int ch, int c, int spatial) => p + ((long)i * c + ch) * spatial;

    private static void ApplyAffine(KernelPath path, float* x, float* y, int n, int ch, int c, int spatial, float scale, float shift)
    {
        var op = new AffineOperator(scale, shift);
        for (var i = 0; i < n; i++) ElementWiseLoop.Run(path, op, Plane(x, i, ch, c, spatial), Plane(y, i, ch, c, spatial), spatial);
    }

    private static long CheckLayout(int n, int c, int spatial, int length, string parameter)
    {
        Check.Positive(n, nameof(n));
        Check.Positive(c, nameof(c));
        Check.Positive(spatial, nameof(spatial));
        var total = (long)n * c * spatial;
        Check.Length(length, total, parameter);
        return total;
    }

    private static void CheckChannels(int c, int lengthA, string nameA, int lengthB, string nameB)
    {
        Check.Length(lengthA, c, nameA);
        Check.Length(lengthB, c, nameB);
    }

    private static void CheckEps(float eps)
    {
        if (!(eps >= 0))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be a non-negative number.");
    }
}

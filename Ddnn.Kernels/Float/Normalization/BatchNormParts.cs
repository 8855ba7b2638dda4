namespace Ddnn.Kernels;

/// <summary>
/// Batch normalisation of one part of a batch whose statistics span several parts (the trainer's batch halves on
/// separate threads): each part computes per-channel partial sums, the parts add them up in a fixed order, and each
/// part then normalises, or back-propagates, its own values with the combined statistics. The formulas are
/// <see cref="BatchNorm"/>'s (two-pass variance, sums in double), so one part alone reproduces it. Layout (N, C,
/// spatial) as there.
/// </summary>
public static unsafe class BatchNormParts
{
    /// <summary>sums[ch] = Σ x over this part's values of channel ch (overwritten).</summary>
    public static void Sums(int n, int c, int spatial, ReadOnlySpan<float> x, Span<double> sums)
    {
        CheckLayout(n, c, spatial, x.Length, nameof(x));
        Check.Length(sums.Length, c, nameof(sums));
        var path = KernelDispatch.Active;
        fixed (float* px = x)
            for (var ch = 0; ch < c; ch++)
            {
                double sum = 0;
                for (var i = 0; i < n; i++) sum += Reduce.SumDouble(path, Plane(px, i, ch, c, spatial), spatial);
                sums[ch] = sum;
            }
    }

    /// <summary>squares[ch] = Σ (x − mean[ch])² over this part's values of channel ch (overwritten).</summary>
    public static void SquaredDeviations(int n, int c, int spatial, ReadOnlySpan<float> x, ReadOnlySpan<double> mean, Span<double> squares)
    {
        CheckLayout(n, c, spatial, x.Length, nameof(x));
        Check.Length(mean.Length, c, nameof(mean));
        Check.Length(squares.Length, c, nameof(squares));
        var path = KernelDispatch.Active;
        fixed (float* px = x)
            for (var ch = 0; ch < c; ch++)
            {
                double total = 0;
                for (var i = 0; i < n; i++) total += Reduce.SquaredDeviationDouble(path, Plane(px, i, ch, c, spatial), spatial, mean[ch]);
                squares[ch] = total;
            }
    }

    /// <summary>y = x·scale[ch] + shift[ch] per channel (overwritten).</summary>
    public static void Normalize(int n, int c, int spatial, ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Span<float> y)
    {
        var total = CheckLayout(n, c, spatial, x.Length, nameof(x));
        Check.Length(scale.Length, c, nameof(scale));
        Check.Length(shift.Length, c, nameof(shift));
        Check.Length(y.Length, total, nameof(y));
        var path = KernelDispatch.Active;
        fixed (float* px = x, py = y)
            for (var ch = 0; ch < c; ch++)
            {
                var op = new AffineOperator(scale[ch], shift[ch]);
                for (var i = 0; i < n; i++) ElementWiseLoop.Run(path, op, Plane(px, i, ch, c, spatial), Plane(py, i, ch, c, spatial), spatial);
            }
    }

    /// <summary>sumG[ch] = Σ dy and sumGX[ch] = Σ dy·x over this part's values of channel ch (overwritten).</summary>
    public static void GradientSums(int n, int c, int spatial, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<double> sumG, Span<double> sumGX)
    {
        var total = CheckLayout(n, c, spatial, x.Length, nameof(x));
        Check.Length(dy.Length, total, nameof(dy));
        Check.Length(sumG.Length, c, nameof(sumG));
        Check.Length(sumGX.Length, c, nameof(sumGX));
        var path = KernelDispatch.Active;
        fixed (float* px = x, pg = dy)
            for (var ch = 0; ch < c; ch++)
            {
                double g = 0, gx = 0;
                for (var i = 0; i < n; i++)
                {
                    var gs = Plane(pg, i, ch, c, spatial);
                    g += Reduce.SumDouble(path, gs, spatial);
                    gx += Reduce.DotDouble(path, gs, Plane(px, i, ch, c, spatial), spatial);
                }
                sumG[ch] = g;
                sumGX[ch] = gx;
            }
    }

    /// <summary>
    /// dx = k[ch]·dy + a[ch]·(x − mean[ch]) + b[ch] per channel (overwritten): <see cref="BatchNorm.Backward"/>'s input
    /// gradient with coefficients from the whole batch's sums.
    /// </summary>
    public static void InputGradient(int n, int c, int spatial, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> k, ReadOnlySpan<float> a, ReadOnlySpan<float> mean, ReadOnlySpan<float> b, Span<float> dx)
    {
        var total = CheckLayout(n, c, spatial, x.Length, nameof(x));
        Check.Length(dy.Length, total, nameof(dy));
        Check.Length(dx.Length, total, nameof(dx));
        Check.Length(k.Length, c, nameof(k));
        Check.Length(a.Length, c, nameof(a));
        Check.Length(mean.Length, c, nameof(mean));
        Check.Length(b.Length, c, nameof(b));
        var path = KernelDispatch.Active;
        fixed (float* px = x, pg = dy, pdx = dx)
            for (var ch = 0; ch < c; ch++)
            {
                var op = new BatchNormGradientOperator(k[ch], a[ch], mean[ch], b[ch]);
                for (var i = 0; i < n; i++)
                    ElementWiseLoop.Run(path, op, Plane(pg, i, ch, c, spatial), Plane(px, i, ch, c, spatial), Plane(pdx, i, ch, c, spatial), spatial);
            }
    }

    private static float* Plane(float* p, int i, int ch, int c, int spatial) => p + ((long)i * c + ch) * spatial;

    private static long CheckLayout(int n, int c, int spatial, int length, string parameter)
    {
        Check.Positive(n, nameof(n));
        Check.Positive(c, nameof(c));
        Check.Positive(spatial, nameof(spatial));
        var total = (long)n * c * spatial;
        Check.Length(length, total, parameter);
        return total;
    }
}

using Ddnn.Core;
using Ddnn.Core.Randomness;

namespace Ddnn.Core.Tests;

/// <summary>Compares autograd gradients with central finite differences of L = Σ y·r for a random r.</summary>
internal static class GradCheck
{
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, ulong seed, float eps = 1e-2f, double rtol = 2e-2, double atol = 2e-2)
    {
        foreach (var t in inputs) t.ZeroGrad();
        var y = f(inputs);
        var rng = new SeededRandom(seed);
        var r = new float[y.Length];
        for (var i = 0; i < r.Length; i++) r[i] = (float)(rng.NextDouble() * 2 - 1);
        Autograd.Backward(y, r);
        for (var k = 0; k < inputs.Length; k++)
        {
            var input = inputs[k];
            if (!input.RequiresGrad) continue;
            var analytic = input.HasGrad ? input.Grad.ToArray() : new float[input.Length];
            for (var i = 0; i < input.Length; i++)
            {
                var saved = input.Data[i];
                input.Data[i] = saved + eps;
                var plus = Objective(f, inputs, r);
                input.Data[i] = saved - eps;
                var minus = Objective(f, inputs, r);
                input.Data[i] = saved;
                var numeric = (plus - minus) / (2.0 * eps);
                var err = Math.Abs(numeric - analytic[i]);
                Assert.True(err <= atol + rtol * Math.Abs(numeric),
                    $"input #{k} {input.ShapeText} element {i}: analytic {analytic[i]:R}, numeric {numeric:R}");
            }
        }
    }

    private static double Objective(Func<Tensor[], Tensor> f, Tensor[] inputs, float[] r)
    {
        using var _ = Autograd.NoGrad();
        var y = f(inputs);
        double sum = 0;
        for (var i = 0; i < r.Length; i++) sum += (double)y.Data[i] * r[i];
        return sum;
    }

    /// <summary>Random values in [-scale, scale] as a gradient-recording leaf.</summary>
    public static Tensor Random(SeededRandom rng, float scale, params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        for (var i = 0; i < t.Length; i++) t.Data[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        t.RequiresGrad = true;
        return t;
    }

    /// <summary>Distinct values (a shuffled grid with spacing <paramref name="spacing"/>), so max has no ties or kinks.</summary>
    public static Tensor Distinct(SeededRandom rng, float spacing, params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        var order = new int[t.Length];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        rng.Shuffle(order.AsSpan());
        for (var i = 0; i < t.Length; i++) t.Data[i] = (order[i] - t.Length / 2) * spacing;
        t.RequiresGrad = true;
        return t;
    }

    /// <summary>Values with |x| in [lo, hi] and random sign, keeping away from a kink at 0 (and at ±1 when hi &lt; 1).</summary>
    public static Tensor AwayFromKinks(SeededRandom rng, float lo, float hi, params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        for (var i = 0; i < t.Length; i++)
        {
            var mag = lo + (float)rng.NextDouble() * (hi - lo);
            t.Data[i] = rng.NextDouble() < 0.5 ? -mag : mag;
        }
        t.RequiresGrad = true;
        return t;
    }
}

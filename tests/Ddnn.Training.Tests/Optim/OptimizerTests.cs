using Ddnn.Core;
using Ddnn.Core.Randomness;
using Ddnn.Training.Optim;
using FsCheck.Xunit;

namespace Ddnn.Training.Tests.Optim;

/// <summary>Adam and SGD against hand-computed double-precision references; latent-weight clipping.</summary>
public class OptimizerTests
{
    private static Parameter Param(float[] values, bool latent = false)
    {
        var p = new Parameter(values.Length) { IsBinaryLatent = latent };
        values.CopyTo(p.Span);
        return p;
    }

    private static void SetGrad(Parameter p, float[] g)
    {
        p.ZeroGrad();
        Autograd.Backward(Ops.Mul(p, Tensor.FromValues(g, g.Length)), Enumerable.Repeat(1f, g.Length).ToArray());
    }

    [Property(MaxTest = 20)]
    public void AdamMatchesTheReferenceFormulaOverSeveralSteps(int seed)
    {
        var rng = new SeededRandom((ulong)(uint)seed);
        var n = 1 + rng.NextInt(9);
        double lr = 1e-2, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        var p = new double[n];
        for (var i = 0; i < n; i++) p[i] = rng.NextDouble() * 2 - 1;
        var param = Param(p.Select(v => (float)v).ToArray());
        for (var i = 0; i < n; i++) p[i] = param.Data[i];
        var adam = new Adam([param], (float)lr, (float)b1, (float)b2, (float)eps, clipLatentWeights: false);
        var m = new double[n];
        var v = new double[n];
        for (var t = 1; t <= 5; t++)
        {
            var g = new float[n];
            for (var i = 0; i < n; i++) g[i] = (float)(rng.NextDouble() * 4 - 2);
            SetGrad(param, g);
            adam.Step();
            for (var i = 0; i < n; i++)
            {
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                var denom = Math.Sqrt(v[i]) / Math.Sqrt(1 - Math.Pow(b2, t)) + eps;
                p[i] -= lr / (1 - Math.Pow(b1, t)) * m[i] / denom;
                Assert.True(Math.Abs(param.Data[i] - p[i]) <= 1e-5, $"step {t}, p[{i}] = {param.Data[i]:R}, reference {p[i]:R}");
            }
        }
    }

    [Fact]
    public void AdamFirstStepIsAboutLrTimesSignOfGradient()
    {
        var param = Param([0.5f, 0.5f, 0.5f]);
        var adam = new Adam([param], clipLatentWeights: false);
        SetGrad(param, [3f, -1e-3f, 0f]);
        adam.Step();
        Assert.Equal(0.5f - 1e-3f, param.Data[0], 6);
        Assert.Equal(0.5f + 1e-3f, param.Data[1], 6);
        Assert.Equal(0.5f, param.Data[2]);
    }

    [Fact]
    public void ParametersWithoutGradientAreSkipped()
    {
        var a = Param([1f]);
        var b = Param([1f]);
        var adam = new Adam([a, b], clipLatentWeights: false);
        SetGrad(a, [1f]);
        adam.Step();
        Assert.NotEqual(1f, a.Data[0]);
        Assert.Equal(1f, b.Data[0]);
    }

    [Fact]
    public void SgdMomentumMatchesPyTorchSemantics()
    {
        var param = Param([1f, -2f]);
        var sgd = new Sgd([param], 0.1f, momentum: 0.9f, clipLatentWeights: false);
        double[] p = [1, -2], buf = [0, 0];
        float[][] grads = [[1f, 2f], [0.5f, -1f], [-3f, 0.25f]];
        for (var t = 0; t < grads.Length; t++)
        {
            SetGrad(param, grads[t]);
            sgd.Step();
            for (var i = 0; i < 2; i++)
            {
                buf[i] = t == 0 ? grads[t][i] : 0.9 * buf[i] + grads[t][i];
                p[i] -= 0.1 * buf[i];
                Assert.Equal(p[i], param.Data[i], 1e-5);
            }
        }
    }

    [Fact]
    public void SgdNesterovAndWeightDecay()
    {
        var param = Param([1f]);
        var sgd = new Sgd([param], 0.1f, momentum: 0.5f, weightDecay: 0.1f, nesterov: true, clipLatentWeights: false);
        double p = 1, buf = 0;
        foreach (var (g, t) in new[] { (2f, 0), (-1f, 1) })
        {
            SetGrad(param, [g]);
            sgd.Step();
            var d = g + 0.1 * p;
            buf = t == 0 ? d : 0.5 * buf + d;
            p -= 0.1 * (d + 0.5 * buf);
            Assert.Equal(p, param.Data[0], 1e-5);
        }
    }

    [Fact]
    public void ClippingTouchesOnlyLatentBinaryWeights()
    {
        var latent = Param([1.5f, -3f, 0.25f], latent: true);
        var bias = Param([1.5f, -3f]);
        var adam = new Adam([latent, bias], learningRate: 0f);
        SetGrad(latent, [1f, 1f, 1f]);
        SetGrad(bias, [1f, 1f]);
        adam.Step();
        Assert.Equal([1f, -1f, 0.25f], latent.ToArray());
        Assert.Equal([1.5f, -3f], bias.ToArray());
        LatentWeightClipper.Clip([Param([-7f], latent: true)]);
    }

    [Fact]
    public void InvalidSettingsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam([Param([1f])], beta1: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([Param([1f])], -1f));
        var p = Param([1f]);
        Assert.Throws<ArgumentException>(() => new Adam([p, p]));
    }
    [Fact]
    public void A_step_in_parts_on_several_threads_gives_the_same_bits_as_one_step()
    {
        var rng = new SeededRandom(7);
        float[][] values = [.. Enumerable.Range(0, 7).Select(k => Enumerable.Range(0, 3 + 5 * k).Select(_ => (float)(rng.NextDouble() * 3 - 1.5)).ToArray())];
        float[][] grads = [.. values.Select(v => v.Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray())];
        (Parameter[] Ps, Adam Adam) Make()
        {
            var ps = values.Select((v, k) => Param(v, latent: k % 2 == 0)).ToArray();
            return (ps, new Adam(ps, 0.3f));
        }
        var (whole, wholeAdam) = Make();
        var (parts, partAdam) = Make();
        for (var step = 0; step < 3; step++)
        {
            // Parameter 3 has no gradient: skipped by both, but still clipped.
            for (var k = 0; k < values.Length; k++)
                if (k != 3) { SetGrad(whole[k], grads[k]); SetGrad(parts[k], grads[k]); }
            wholeAdam.Step();
            var threads = Enumerable.Range(0, 3).Select(part => new Thread(() => partAdam.StepPart(part, 3))).ToArray();
            foreach (var t in threads) t.Start();
            foreach (var t in threads) t.Join();
        }
        Assert.Equal(wholeAdam.StepCount, partAdam.StepCount);
        for (var k = 0; k < values.Length; k++)
        {
            Assert.Equal(whole[k].Data, parts[k].Data);
            Assert.Equal(wholeAdam.FirstMoment(k).ToArray(), partAdam.FirstMoment(k).ToArray());
            Assert.Equal(wholeAdam.SecondMoment(k).ToArray(), partAdam.SecondMoment(k).ToArray());
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => partAdam.StepPart(3, 3));
    }
}

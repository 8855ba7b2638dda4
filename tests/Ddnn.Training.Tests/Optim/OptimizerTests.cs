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
}

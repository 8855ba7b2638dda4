using Ddnn.Core;
using Ddnn.Core.Randomness;
using FsCheck.Xunit;

namespace Ddnn.Core.Tests.Operations;

/// <summary>Non-differentiable rules (STEs), masked device aggregation and BN eval, checked against their definitions.</summary>
public class SemanticsProperties
{
    private static float[] SpecialValues(SeededRandom rng, int n)
    {
        float[] specials = [0f, -0f, 1f, -1f, 1f + 1f / 1024, -1f - 1f / 1024, 1f - 1f / 1024, 1e-6f, -1e-6f, 3f, -2.5f, float.Epsilon];
        var v = new float[n];
        for (var i = 0; i < n; i++) v[i] = rng.NextInt(2) == 0 ? specials[rng.NextInt(specials.Length)] : (float)(rng.NextDouble() * 6 - 3);
        return v;
    }

    [Property(MaxTest = 30)]
    public void SignSteFollowsItsDefinition(int seed)
    {
        var rng = new SeededRandom((ulong)(uint)seed);
        var n = 1 + rng.NextInt(40);
        var x = TestTensors.Leaf(SpecialValues(rng, n), n);
        var g = new float[n];
        for (var i = 0; i < n; i++) g[i] = (float)(rng.NextDouble() * 2 - 1);
        var y = Ops.Sign(x);
        Autograd.Backward(y, g);
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(x.Data[i] >= 0 ? 1f : -1f, y.Data[i]);
            Assert.Equal(Math.Abs(x.Data[i]) <= 1f ? g[i] : 0f, x.Grad[i]);
        }
    }

    [Property(MaxTest = 30)]
    public void BinarizeWeightsIsSignWithIdentityGradient(int seed)
    {
        var rng = new SeededRandom((ulong)(uint)seed);
        var n = 1 + rng.NextInt(40);
        var w = TestTensors.Leaf(SpecialValues(rng, n), n);
        var g = new float[n];
        for (var i = 0; i < n; i++) g[i] = (float)(rng.NextDouble() * 2 - 1);
        var y = Ops.BinarizeWeights(w);
        Autograd.Backward(y, g);
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(w.Data[i] >= 0 ? 1f : -1f, y.Data[i]);
            Assert.Equal(g[i], w.Grad[i]);
        }
    }

    [Fact]
    public void ReluAndHardTanhGradientsAtTheKinksFollowPyTorch()
    {
        var x = TestTensors.Leaf([-1f, 0f, 0.5f, 1f, 2f], 5);
        Autograd.Backward(Ops.Sum(Ops.Relu(x)));
        Assert.Equal([0f, 0f, 1f, 1f, 1f], x.Grad.ToArray());
        x.ZeroGrad();
        var y = Ops.HardTanh(x);
        Assert.Equal([-1f, 0f, 0.5f, 1f, 1f], y.ToArray());
        Autograd.Backward(Ops.Sum(y));
        Assert.Equal([0f, 1f, 1f, 0f, 0f], x.Grad.ToArray());
    }

    [Fact]
    public void SignOfNegativeZeroIsPlusOne()
    {
        var y = Ops.Sign(Tensor.FromValues([-0f, 0f], 2));
        Assert.Equal([1f, 1f], y.ToArray());
    }

    [Property(MaxTest = 20)]
    public void MaskedAggregatorsUseOnlyPresentDevices(int seed)
    {
        var rng = new SeededRandom((ulong)(uint)seed);
        int n = 1 + rng.NextInt(4), d = 2 + rng.NextInt(4), f = 1 + rng.NextInt(5);
        var parts = new Tensor[d];
        for (var i = 0; i < d; i++) parts[i] = GradCheck.Random(rng, 3f, n, f);
        var mask = new DeviceMask(n, d);
        for (var b = 0; b < n; b++)
            for (var i = 0; i < d; i++) mask.Set(b, i, rng.NextInt(3) != 0);
        mask.SetDevice(0, rng.NextInt(2) == 0);
        var stacked = Ops.Stack(parts);
        var argmax = new int[n * f];
        var max = Ops.MaxOverDevices(stacked, mask, argmax);
        var mean = Ops.MeanOverDevices(stacked, mask);
        var cat = Ops.MaskedConcat(parts, mask);
        for (var b = 0; b < n; b++)
        {
            var count = mask.CountPresent(b);
            for (var j = 0; j < f; j++)
            {
                float best = float.NegativeInfinity, sum = 0;
                var winner = -1;
                for (var i = 0; i < d; i++)
                {
                    if (!mask.IsPresent(b, i)) continue;
                    var v = parts[i].Data[b * f + j];
                    sum += v;
                    if (v > best) { best = v; winner = i; }
                }
                Assert.Equal(count == 0 ? 0f : best, max.Data[b * f + j]);
                Assert.Equal(winner, argmax[b * f + j]);
                Assert.Equal(count == 0 ? 0f : sum / count, mean.Data[b * f + j], 5);
            }
            for (var i = 0; i < d; i++)
                for (var j = 0; j < f; j++)
                    Assert.Equal(mask.IsPresent(b, i) ? parts[i].Data[b * f + j] : 0f, cat.Data[b * d * f + i * f + j]);
        }
        // Absent devices receive zero gradient from every aggregator.
        var upstream = new float[cat.Length];
        Array.Fill(upstream, 1f);
        Autograd.Backward(cat, upstream);
        for (var b = 0; b < n; b++)
            for (var i = 0; i < d; i++)
                for (var j = 0; j < f; j++)
                    Assert.Equal(mask.IsPresent(b, i) ? 1f : 0f, parts[i].Grad[b * f + j]);
    }

    [Fact]
    public void MaxGradientGoesToFirstPresentDeviceOnTies()
    {
        var a = TestTensors.Leaf([2f, 5f], 1, 2);
        var b = TestTensors.Leaf([2f, 5f], 1, 2);
        var c = TestTensors.Leaf([2f, 5f], 1, 2);
        var mask = new DeviceMask(1, 3);
        mask.Set(0, 0, false);
        var y = Ops.MaxOverDevices(Ops.Stack([a, b, c]), mask);
        Autograd.Backward(y, [1f, 1f]);
        Assert.False(a.HasGrad && (a.Grad[0] != 0 || a.Grad[1] != 0));
        Assert.Equal([1f, 1f], b.Grad.ToArray());
        Assert.Equal([0f, 0f], c.Grad.ToArray());
    }

    [Property(MaxTest = 20)]
    public void BatchNormEvalEqualsTheFormulaWithRunningStats(int seed)
    {
        var rng = new SeededRandom((ulong)(uint)seed);
        int n = 1 + rng.NextInt(4), c = 1 + rng.NextInt(4), hw = 1 + rng.NextInt(4);
        var x = GradCheck.Random(rng, 3f, n, c, hw, 1);
        var gamma = GradCheck.Random(rng, 2f, c);
        var beta = GradCheck.Random(rng, 1f, c);
        var mean = GradCheck.Random(rng, 1f, c);
        var var_ = Tensor.Zeros(c);
        for (var i = 0; i < c; i++) var_.Data[i] = 0.1f + (float)rng.NextDouble() * 2;
        mean.RequiresGrad = false;
        var before = (mean.ToArray(), var_.ToArray());
        var y = Ops.BatchNorm(x, gamma, beta, mean, var_, training: false);
        for (var b = 0; b < n; b++)
            for (var ch = 0; ch < c; ch++)
                for (var s = 0; s < hw; s++)
                {
                    var i = (b * c + ch) * hw + s;
                    var expected = (x.Data[i] - mean.Data[ch]) / Math.Sqrt(var_.Data[ch] + 2e-5) * gamma.Data[ch] + beta.Data[ch];
                    Assert.True(Math.Abs(y.Data[i] - expected) <= 1e-5 * (1 + Math.Abs(expected)), $"y[{i}] = {y.Data[i]}, expected {expected}");
                }
        Assert.Equal(before.Item1, mean.ToArray());
        Assert.Equal(before.Item2, var_.ToArray());
    }
}

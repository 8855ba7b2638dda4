using Ddnn.Core.Deploy;
using Ddnn.Core.Layers;
using Ddnn.Kernels.Binary;
using FsCheck;
using FsCheck.Xunit;

namespace Ddnn.Core.Tests.Deploy;

/// <summary>
/// The export's one BN + sign fold against its own expression: the graph's eval-mode batch norm (a one-channel
/// <see cref="BatchNorm1d"/> in eval mode) followed by sign with sign(0) = +1. The folded test must give the graph's
/// sign for every input checked.
/// </summary>
public class EvalBatchNormTests
{
    [Fact]
    public void ApplyIsTheGraphsEvalBatchNormBitForBit()
    {
        var random = new Random(40);
        for (var trial = 0; trial < 200; trial++)
        {
            var p = RandomParameters(random, trial, trial % 3 == 0 ? 1000f : 30f);
            var x = new float[64];
            for (var i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1) * (i % 4 == 0 ? 1e6f : 300f);
            x[0] = 0f;
            x[1] = -0f;
            var graph = GraphOutputs(p, x);
            var norm = p.Fold();
            for (var i = 0; i < x.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(graph[i]) == BitConverter.SingleToInt32Bits(norm.Apply(x[i])),
                    $"trial {trial}, {p}, x {x[i]:R}: graph {graph[i]:R}, Apply {norm.Apply(x[i]):R}");
        }
    }

    [Fact]
    public void IntegerFoldEqualsTheGraphsSignForEveryAccumulator()
    {
        var random = new Random(31);
        for (var trial = 0; trial < 400; trial++)
        {
            var scale = trial % 3 == 0 ? 1000f : 30f;
            var p = RandomParameters(random, trial, scale);
            if (trial % 5 == 1) p = p with { Gamma = -p.Gamma * 1e-3f }; // tiny magnitudes, steep rounding
            if (trial % 11 == 2) p = p with { Beta = 0f };
            var bias = (float)(random.NextDouble() * 2 - 1);
            var limit = (int)scale * 3;
            var t = p.Fold().FoldInteger(bias, limit);
            var accumulators = Enumerable.Range(-limit, 2 * limit + 1).ToArray();
            var signs = GraphSigns(p, accumulators.Select(acc => (float)acc + bias).ToArray());
            for (var i = 0; i < accumulators.Length; i++)
                Assert.True(signs[i] == t.Fires(accumulators[i]), $"trial {trial}, {p}, bias {bias}, {t}, acc {accumulators[i]}: graph says {signs[i]}");
            if (t.Mode is SignThresholdMode.AtLeast or SignThresholdMode.AtMost)
                Assert.InRange(t.Threshold, -limit - 1, limit + 1);
        }
    }

    [Fact]
    public void GammaSignsPickTheMode()
    {
        Assert.Equal(SignThresholdMode.AtLeast, new Parameters(2f, 0.1f, 3f, 4f).Fold().FoldInteger(0.5f, 100).Mode);
        Assert.Equal(SignThresholdMode.AtMost, new Parameters(-2f, 0.1f, 3f, 4f).Fold().FoldInteger(0.5f, 100).Mode);
        Assert.Equal(SignThresholdMode.AlwaysPlus, new Parameters(0f, 0f, 3f, 4f).Fold().FoldInteger(0.5f, 100).Mode);
        Assert.Equal(SignThresholdMode.AlwaysPlus, new Parameters(0f, 0.2f, 3f, 4f).Fold().FoldInteger(0.5f, 100).Mode);
        Assert.Equal(SignThresholdMode.AlwaysMinus, new Parameters(0f, -0.2f, 3f, 4f).Fold().FoldInteger(0.5f, 100).Mode);
        // y = (acc + 0.5)·1 − 2.9 ≥ 0 ⇔ acc ≥ 2.4 ⇔ acc ≥ 3; negated, acc ≤ 2.6 ⇔ acc ≤ 2
        Assert.Equal(new SignThreshold(3, SignThresholdMode.AtLeast), new EvalBatchNorm(1f, -2.9f).FoldInteger(0.5f, 100));
        Assert.Equal(new SignThreshold(2, SignThresholdMode.AtMost), new EvalBatchNorm(-1f, 3.1f).FoldInteger(0.5f, 100));
        Assert.Equal(new FloatSignThreshold(float.NegativeInfinity, false), new Parameters(0f, 0.2f, 3f, 4f).Fold().FoldFloat());
        Assert.True(float.IsNaN(new Parameters(0f, -0.2f, 3f, 4f).Fold().FoldFloat().Threshold));
        Assert.False(new Parameters(2f, 0.1f, 3f, 4f).Fold().FoldFloat().Flip);
        Assert.True(new Parameters(-2f, 0.1f, 3f, 4f).Fold().FoldFloat().Flip);
    }

    [Fact]
    public void ValuesExactlyOnTheThresholdFire()
    {
        // y = 0 exactly at acc = 3 (sign(0) = +1): both sides include it.
        Assert.Equal(new SignThreshold(3, SignThresholdMode.AtLeast), new EvalBatchNorm(1f, -3f).FoldInteger(0f, 100));
        Assert.Equal(new SignThreshold(3, SignThresholdMode.AtMost), new EvalBatchNorm(-1f, 3f).FoldInteger(0f, 100));
        Assert.Equal(new FloatSignThreshold(3f, false), new EvalBatchNorm(1f, -3f).FoldFloat());
        Assert.Equal(new FloatSignThreshold(3f, true), new EvalBatchNorm(-1f, 3f).FoldFloat());
        // A tie after rounding: x·0.1 + (−0.3) rounds to exactly 0 or not; the fold follows the rounding, not the real line.
        var norm = new EvalBatchNorm(0.1f, -0.3f);
        var t = norm.FoldFloat();
        Assert.True(norm.Apply(t.Threshold) >= 0f);
        Assert.False(norm.Apply(MathF.BitDecrement(t.Threshold)) >= 0f);
    }

    [Fact]
    public void FloatFoldEqualsTheGraphsSign()
    {
        var random = new Random(32);
        for (var trial = 0; trial < 300; trial++)
        {
            var p = RandomParameters(random, trial, trial % 2 == 0 ? 5f : 200f);
            var t = p.Fold().FoldFloat();
            var probes = new List<float> { 0f, -0f, float.NaN, float.MaxValue, -float.MaxValue, 1e30f, -1e30f, t.Threshold };
            for (var i = 0; i < 200; i++) probes.Add((float)(random.NextDouble() * 2 - 1) * 400f);
            var near = t.Threshold;
            if (float.IsFinite(near))
            {
                for (var i = 0; i < 4; i++) near = MathF.BitDecrement(near);
                for (var i = 0; i < 9; i++, near = MathF.BitIncrement(near)) probes.Add(near);
            }
            AssertFloatFoldMatchesGraph(p, t, probes.ToArray(), $"trial {trial}");
        }
    }

    [Fact]
    public void LargeMagnitudesFoldExactly()
    {
        var random = new Random(33);
        for (var trial = 0; trial < 50; trial++)
        {
            var p = new Parameters((float)(random.NextDouble() * 4 - 2), (float)(random.NextDouble() * 20 - 10),
                (float)(random.NextDouble() * 2 - 1) * 1e6f, (float)(random.NextDouble() * 1e10 + 1));
            const int range = 1 << 23;
            var t = p.Fold().FoldInteger(0.25f, range);
            var accumulators = new List<int> { -range, range, 0 };
            for (var i = 0; i < 500; i++) accumulators.Add(random.Next(-range, range + 1));
            if (t.Mode is SignThresholdMode.AtLeast or SignThresholdMode.AtMost)
                for (var d = -50; d <= 50; d++) accumulators.Add(Math.Clamp(t.Threshold + d, -range, range));
            var signs = GraphSigns(p, accumulators.Select(acc => (float)acc + 0.25f).ToArray());
            for (var i = 0; i < accumulators.Count; i++)
                Assert.True(signs[i] == t.Fires(accumulators[i]), $"trial {trial}, {p}, {t}, acc {accumulators[i]}");
            var f = p.Fold().FoldFloat();
            AssertFloatFoldMatchesGraph(p, f, accumulators.Select(acc => acc * 1000f).ToArray(), $"float trial {trial}");
        }
    }

    [Fact]
    public void NonFiniteParametersGiveTheGraphsSign()
    {
        // The graph does not validate them; the fold must still reproduce its (constant −1) sign.
        foreach (var p in new[]
                 {
                     new Parameters(float.NaN, 0f, 0f, 1f), new Parameters(1f, float.NaN, 0f, 1f),
                     new Parameters(1f, 0f, float.NaN, 1f), new Parameters(1f, 0f, 0f, float.NaN),
                     new Parameters(1f, 0f, 0f, -1f),
                 })
        {
            var norm = p.Fold();
            var accumulators = Enumerable.Range(-50, 101).ToArray();
            var signs = GraphSigns(p, accumulators.Select(acc => (float)acc).ToArray());
            var t = norm.FoldInteger(0f, 100);
            for (var i = 0; i < accumulators.Length; i++) Assert.Equal(signs[i], t.Fires(accumulators[i]));
            AssertFloatFoldMatchesGraph(p, norm.FoldFloat(), [0f, 1f, -1f, 1e20f, -1e20f], p.ToString());
        }
    }

    [Property(MaxTest = 200)]
    public void RandomParametersAndAccumulatorsFoldToTheGraphsSign(NormalFloat gamma, NormalFloat beta, NormalFloat mean,
        PositiveInt variance, NormalFloat bias, int[] accumulators)
    {
        var p = new Parameters((float)gamma.Get, (float)beta.Get, (float)mean.Get, variance.Get / 7f);
        var b = (float)bias.Get;
        const int range = 1 << 20;
        var t = p.Fold().FoldInteger(b, range);
        var accs = (accumulators ?? []).Select(a => a % (range + 1)).Append(0).ToArray();
        var signs = GraphSigns(p, accs.Select(acc => (float)acc + b).ToArray());
        for (var i = 0; i < accs.Length; i++) Assert.Equal(signs[i], t.Fires(accs[i]));
        var f = p.Fold().FoldFloat();
        AssertFloatFoldMatchesGraph(p, f, accs.Select(acc => (float)acc + b).Append(f.Threshold).ToArray(), p.ToString());
    }

    private static void AssertFloatFoldMatchesGraph(Parameters p, FloatSignThreshold t, float[] probes, string what)
    {
        var signs = GraphSigns(p, probes);
        for (var i = 0; i < probes.Length; i++)
            if (p.Fold().Scale != 0f || float.IsFinite(probes[i])) // documented: gamma = 0 keeps sign(beta) where 0·∞ is NaN
                Assert.True(signs[i] == t.Fires(probes[i]), $"{what}, {p}, {t}, x {probes[i]:R}: graph says {signs[i]}");
    }

    /// <summary>One channel's BN parameters as the graph holds them.</summary>
    private sealed record Parameters(float Gamma, float Beta, float Mean, float Variance, float Eps = BatchNormBase.DefaultEps)
    {
        public BatchNorm1d Graph()
        {
            var bn = new BatchNorm1d(1, Eps);
            bn.Weight.Data[0] = Gamma;
            bn.Bias.Data[0] = Beta;
            bn.RunningMean.Data[0] = Mean;
            bn.RunningVar.Data[0] = Variance;
            bn.Eval();
            return bn;
        }

        public EvalBatchNorm Fold() => EvalBatchNorm.From(Graph(), 0);
    }

    /// <summary>The graph's eval-mode BN of every x (a batch of one-feature rows).</summary>
    private static float[] GraphOutputs(Parameters p, float[] x)
    {
        using (Autograd.NoGrad())
            return p.Graph().Forward(new Tensor((float[])x.Clone(), x.Length, 1)).Data.ToArray();
    }

    /// <summary>sign(BN(x)) = +1 (y ≥ 0) of the graph's eval-mode BN for every x.</summary>
    private static bool[] GraphSigns(Parameters p, float[] x) => GraphOutputs(p, x).Select(y => y >= 0f).ToArray();

    /// <summary>A mix like the deleted kernel-fold tests: gamma 0 (c = 0), negative (1, 3) or positive, eps varied.</summary>
    private static Parameters RandomParameters(Random random, int trial, float meanScale)
    {
        var gamma = (trial % 7) switch
        {
            0 => 0f,
            1 or 3 => -(float)(random.NextDouble() * 2 + 0.01),
            _ => (float)(random.NextDouble() * 2 + 0.01),
        };
        var eps = (trial % 4) switch { 0 => BatchNormBase.DefaultEps, 1 => 1e-5f, 2 => 1e-3f, _ => 0.1f };
        return new Parameters(gamma, (float)(random.NextDouble() * 2 - 1), (float)(random.NextDouble() * 2 - 1) * meanScale,
            (float)(random.NextDouble() * meanScale + 0.001), eps);
    }
}

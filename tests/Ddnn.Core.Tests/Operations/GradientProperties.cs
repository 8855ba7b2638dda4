using Ddnn.Core;
using Ddnn.Core.Randomness;
using FsCheck.Xunit;

namespace Ddnn.Core.Tests.Operations;

/// <summary>Every differentiable op's gradient against central finite differences over random small shapes.</summary>
public class GradientProperties
{
    private static SeededRandom Rng(int seed) => new((ulong)(uint)seed);

    private static int Size(SeededRandom rng, int lo, int hi) => lo + rng.NextInt(hi - lo + 1);

    [Property(MaxTest = 15)]
    public void Elementwise(int seed)
    {
        var rng = Rng(seed);
        int[] shape = [Size(rng, 1, 3), Size(rng, 1, 4)];
        var a = GradCheck.Random(rng, 1f, shape);
        var b = GradCheck.Random(rng, 1f, shape);
        GradCheck.Check(t => Ops.Add(t[0], t[1]), [a, b], (ulong)seed);
        GradCheck.Check(t => Ops.Sub(t[0], t[1]), [a, b], (ulong)seed);
        GradCheck.Check(t => Ops.Mul(t[0], t[1]), [a, b], (ulong)seed);
        GradCheck.Check(t => Ops.MulScalar(Ops.AddScalar(t[0], 0.5f), -1.5f), [a], (ulong)seed);
        // x used twice: gradients must accumulate.
        GradCheck.Check(t => Ops.Mul(t[0], Ops.Add(t[0], t[1])), [a, b], (ulong)seed);
    }

    [Property(MaxTest = 15)]
    public void ReluAndHardTanh(int seed)
    {
        var rng = Rng(seed);
        var x = GradCheck.AwayFromKinks(rng, 0.1f, 0.9f, Size(rng, 1, 3), Size(rng, 2, 5));
        GradCheck.Check(t => Ops.Relu(t[0]), [x], (ulong)seed);
        var y = GradCheck.AwayFromKinks(rng, 0.1f, 0.9f, x.Shape);
        for (var i = 0; i < y.Length; i += 2) y.Data[i] *= 2.5f; // some beyond ±1, none near ±1
        for (var i = 0; i < y.Length; i++) if (Math.Abs(Math.Abs(y.Data[i]) - 1) < 0.1f) y.Data[i] *= 1.3f;
        GradCheck.Check(t => Ops.HardTanh(t[0]), [y], (ulong)seed);
    }

    [Property(MaxTest = 15)]
    public void MatMulAndLinear(int seed)
    {
        var rng = Rng(seed);
        int n = Size(rng, 1, 4), k = Size(rng, 1, 5), m = Size(rng, 1, 4);
        var a = GradCheck.Random(rng, 1f, n, k);
        var b = GradCheck.Random(rng, 1f, k, m);
        GradCheck.Check(t => Ops.MatMul(t[0], t[1]), [a, b], (ulong)seed);
        var w = GradCheck.Random(rng, 1f, m, k);
        var bias = GradCheck.Random(rng, 1f, m);
        GradCheck.Check(t => Ops.Linear(t[0], t[1], t[2]), [a, w, bias], (ulong)seed);
        GradCheck.Check(t => Ops.Linear(t[0], t[1], null), [a, w], (ulong)seed);
    }

    [Property(MaxTest = 10)]
    public void Conv2d(int seed)
    {
        var rng = Rng(seed);
        int n = Size(rng, 1, 2), cin = Size(rng, 1, 3), cout = Size(rng, 1, 3), h = Size(rng, 3, 6), w = Size(rng, 3, 6);
        int stride = Size(rng, 1, 2), pad = rng.NextInt(2), k = Math.Min(3, Math.Min(h, w));
        var x = GradCheck.Random(rng, 1f, n, cin, h, w);
        var wt = GradCheck.Random(rng, 1f, cout, cin, k, k);
        var b = GradCheck.Random(rng, 1f, cout);
        GradCheck.Check(t => Ops.Conv2d(t[0], t[1], t[2], stride, pad), [x, wt, b], (ulong)seed);
    }

    [Property(MaxTest = 10)]
    public void Pools(int seed)
    {
        var rng = Rng(seed);
        int n = Size(rng, 1, 2), c = Size(rng, 1, 3), h = Size(rng, 3, 7), w = Size(rng, 3, 7), stride = Size(rng, 1, 2);
        var x = GradCheck.Distinct(rng, 0.05f, n, c, h, w);
        GradCheck.Check(t => Ops.MaxPool2d(t[0], 3, stride, 1), [x], (ulong)seed);
        GradCheck.Check(t => Ops.AvgPool2d(t[0], 3, stride, 1), [x], (ulong)seed);
        GradCheck.Check(t => Ops.AvgPool2d(t[0], 2, 2, 0), [x], (ulong)seed);
    }

    [Property(MaxTest = 10)]
    public void BatchNormTrainAndEval(int seed)
    {
        var rng = Rng(seed);
        int n = Size(rng, 3, 5), c = Size(rng, 1, 3);
        var spatial = rng.NextInt(2) == 0;
        var x = spatial ? GradCheck.Random(rng, 2f, n, c, 2, 3) : GradCheck.Random(rng, 2f, n, c);
        var gamma = GradCheck.Random(rng, 1.5f, c);
        var beta = GradCheck.Random(rng, 1f, c);
        var mean = Tensor.Zeros(c);
        var var_ = Tensor.Zeros(c);
        var_.Span.Fill(1f);
        GradCheck.Check(t => Ops.BatchNorm(t[0], t[1], t[2], mean, var_, training: true), [x, gamma, beta], (ulong)seed, eps: 1e-2f, rtol: 3e-2, atol: 3e-2);
        for (var i = 0; i < c; i++) { mean.Data[i] = (float)rng.NextDouble() - 0.5f; var_.Data[i] = 0.5f + (float)rng.NextDouble(); }
        GradCheck.Check(t => Ops.BatchNorm(t[0], t[1], t[2], mean, var_, training: false), [x, gamma, beta], (ulong)seed);
    }

    [Property(MaxTest = 10)]
    public void ShapeOpsAndDeviceAggregators(int seed)
    {
        var rng = Rng(seed);
        int n = Size(rng, 1, 3), d = Size(rng, 2, 4), f = Size(rng, 1, 4);
        // Values distinct across all devices, so the max has no ties and no kink within the probe step.
        var all = GradCheck.Distinct(rng, 0.05f, d, n, f);
        var parts = new Tensor[d];
        for (var i = 0; i < d; i++) parts[i] = TestTensors.Leaf(all.Data.AsSpan(i * n * f, n * f).ToArray(), n, f);
        var mask = new DeviceMask(n, d);
        for (var b = 0; b < n; b++)
            for (var i = 0; i < d; i++) mask.Set(b, i, rng.NextInt(3) != 0);
        GradCheck.Check(t => Ops.MaxOverDevices(Ops.Stack(t), mask), parts, (ulong)seed);
        GradCheck.Check(t => Ops.MeanOverDevices(Ops.Stack(t), mask), parts, (ulong)seed);
        GradCheck.Check(t => Ops.MaskedConcat(t, mask), parts, (ulong)seed);
        GradCheck.Check(t => Ops.Concat(t), parts, (ulong)seed);
        GradCheck.Check(t => Ops.Reshape(t[0], f, n), [parts[0]], (ulong)seed);
        var multiView = GradCheck.Random(rng, 1f, n, d, f, 2);
        var pick = rng.NextInt(d);
        GradCheck.Check(t => Ops.Add(Ops.Select(t[0], pick), Ops.Select(t[0], 0)), [multiView], (ulong)seed);
        GradCheck.Check(t => Ops.Sum(t[0]), [parts[1]], (ulong)seed);
        GradCheck.Check(t => Ops.Mean(t[0]), [parts[1]], (ulong)seed);
    }

    [Property(MaxTest = 10)]
    public void CrossEntropyAndSoftmax(int seed)
    {
        var rng = Rng(seed);
        int n = Size(rng, 2, 5), c = Size(rng, 2, 5);
        var logits = GradCheck.Random(rng, 2f, n, c);
        var labels = new int[n];
        var weights = new float[n];
        for (var i = 0; i < n; i++) { labels[i] = rng.NextInt(c + 1) - 1; weights[i] = 0.25f + (float)rng.NextDouble(); }
        labels[0] = rng.NextInt(c);
        GradCheck.Check(t => Ops.CrossEntropy(t[0], labels, -1), [logits], (ulong)seed);
        GradCheck.Check(t => Ops.CrossEntropy(t[0], labels, -1, weights), [logits], (ulong)seed);
        GradCheck.Check(t => Ops.Softmax(t[0]), [logits], (ulong)seed);
    }
}

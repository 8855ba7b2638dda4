using Ddnn.Kernels;
using Ddnn.TestSupport;

namespace Ddnn.Kernels.Tests.Float;

public class NormalizationAndLossTests
{
    public static TheoryData<KernelPath> Paths() => TestData.NonScalarPaths();

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void BatchNormPathsMatchTheScalarTwin(KernelPath path)
    {
        foreach (var (n, c, spatial) in new[] { (4, 3, 25), (8, 10, 1), (3, 2, 13), (2, 5, 64), (5, 1, 7), (2, 3, 15), (3, 2, 16), (2, 2, 17), (2, 2, 31), (2, 2, 33), (2, 2, 47) })
        {
            var x = TestData.Uniform(n * c * spatial, n + c + spatial, 3f);
            var gamma = TestData.Uniform(c, 1);
            var beta = TestData.Uniform(c, 2);
            var dy = TestData.Uniform(x.Length, 3);
            float[][] Run(KernelPath p) => TestData.On<float[][]>(p, 1, () =>
            {
                float[] rm = new float[c], rv = Enumerable.Repeat(1f, c).ToArray(), y = new float[x.Length];
                float[] sm = new float[c], si = new float[c], dx = new float[x.Length], dg = new float[c], db = new float[c];
                BatchNorm.ForwardTraining(n, c, spatial, x, gamma, beta, 1e-5f, 0.1f, rm, rv, y, sm, si);
                BatchNorm.Backward(n, c, spatial, x, dy, gamma, sm, si, dx, dg, db);
                var ye = new float[x.Length];
                BatchNorm.ForwardInference(n, c, spatial, x, gamma, beta, rm, rv, 1e-5f, ye);
                return [rm, rv, y, sm, si, dx, dg, db, ye];
            });
            var expected = Run(KernelPath.Scalar);
            var actual = Run(path);
            for (var i = 0; i < expected.Length; i++)
                Approx.Close(expected[i], actual[i], 1e-5f, 1e-5f, $"output {i} of ({n},{c},{spatial}) on {path}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void SoftmaxFamilyPathsMatchTheScalarTwin(KernelPath path)
    {
        const int rows = 3;
        foreach (var cols in new[] { 1, 2, 10, 15, 16, 17, 31, 32, 33, 47 })
        {
            var logits = TestData.Uniform(rows * cols, cols, 6f);
            logits[0] = 40f; // one dominant logit: probabilities near 0 and 1
            if (cols > 2) logits[cols + 1] = -1e30f; // exp underflows to 0
            int[] labels = [cols - 1, 0, cols > 1 ? -100 : 0];
            float[] weights = [1.5f, 0.5f, 2f];
            float[][] Run(KernelPath p) => TestData.On<float[][]>(p, 1, () =>
            {
                float[] soft = new float[logits.Length], logSoft = new float[logits.Length], eta = new float[rows];
                var d = new float[logits.Length];
                Softmax.Forward(rows, cols, logits, soft);
                Softmax.LogForward(rows, cols, logits, logSoft);
                Softmax.NormalizedEntropy(rows, cols, logits, eta);
                var loss = CrossEntropy.Forward(rows, cols, logits, labels, -100, weights, d);
                return [soft, logSoft, eta, d, [loss]];
            });
            var expected = Run(KernelPath.Scalar);
            var actual = Run(path);
            string[] names = ["softmax", "log-softmax", "normalized entropy", "dlogits", "loss"];
            for (var i = 0; i < expected.Length; i++)
                Approx.Close(expected[i], actual[i], 1e-6f, 1e-6f, $"{names[i]} of {rows}x{cols} on {path}");
        }
    }

    [Fact]
    public void BatchNormBackwardMatchesFiniteDifferences()
    {
        const int n = 3, c = 2, spatial = 4;
        var x = TestData.Uniform(n * c * spatial, 5, 2f);
        float[] gamma = [1.25f, -0.75f], beta = [0.1f, -0.2f];
        var dy = TestData.Uniform(x.Length, 6);
        double Loss(float[] xx, float[] gg)
        {
            var y = new float[xx.Length];
            BatchNorm.ForwardTraining(n, c, spatial, xx, gg, beta, 1e-5f, 0.1f, new float[c], new float[c], y, new float[c], new float[c]);
            return y.Select((v, i) => (double)v * dy[i]).Sum();
        }
        float[] sm = new float[c], si = new float[c], dx = new float[x.Length], dg = new float[c], db = new float[c];
        BatchNorm.ForwardTraining(n, c, spatial, x, gamma, beta, 1e-5f, 0.1f, new float[c], new float[c], new float[x.Length], sm, si);
        BatchNorm.Backward(n, c, spatial, x, dy, gamma, sm, si, dx, dg, db);
        const float h = 1e-2f;
        foreach (var i in new[] { 0, 5, x.Length - 1 })
        {
            var xp = (float[])x.Clone(); xp[i] += h;
            var xm = (float[])x.Clone(); xm[i] -= h;
            Assert.Equal((Loss(xp, gamma) - Loss(xm, gamma)) / (2 * h), dx[i], 2e-3);
        }
        var gp = (float[])gamma.Clone(); gp[1] += h;
        var gm = (float[])gamma.Clone(); gm[1] -= h;
        Assert.Equal((Loss(x, gp) - Loss(x, gm)) / (2 * h), dg[1], 2e-3);
        Assert.Equal(dy.Where((_, i) => i / spatial % c == 0).Sum(v => (double)v), db[0], 1e-5);
    }

    [Fact]
    public void BatchNormRejectsSingleValueChannelsAndBadSpans()
    {
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => BatchNorm.ForwardTraining(1, 2, 1, new float[2], new float[2], new float[2],
            1e-5f, 0.1f, new float[2], new float[2], new float[2], new float[2], new float[2])).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentException>(() => BatchNorm.ForwardInference(2, 2, 1, new float[4], new float[3], new float[2],
            new float[2], new float[2], 1e-5f, new float[4])).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => BatchNorm.Backward(2, 2, 1, new float[4], new float[4], new float[2],
            new float[2], new float[2], new float[3], new float[2], new float[2])).ParamName);
    }

    [Fact]
    public void CrossEntropyHandlesWeightsAllIgnoredAndBadLabels()
    {
        const int rows = 3, cols = 4;
        var logits = TestData.Uniform(rows * cols, 1, 3f);
        int[] labels = [1, 3, 0];
        float[] weights = [2f, 0.5f, 1f];
        var d = new float[rows * cols];
        var loss = CrossEntropy.Forward(rows, cols, logits, labels, -100, weights, d);
        double expected = 0, wsum = 0;
        for (var i = 0; i < rows; i++)
        {
            var row = logits.Skip(i * cols).Take(cols).Select(v => (double)v).ToArray();
            var lse = Math.Log(row.Sum(Math.Exp));
            expected += weights[i] * (lse - row[labels[i]]);
            wsum += weights[i];
            for (var j = 0; j < cols; j++)
                Assert.Equal(weights[i] * (Math.Exp(row[j] - lse) - (j == labels[i] ? 1 : 0)) / 3.5, d[i * cols + j], 1e-6);
        }
        Assert.Equal(expected / wsum, loss, 1e-5);

        d.AsSpan().Fill(7f);
        Assert.Equal(0f, CrossEntropy.Forward(rows, cols, logits, [-1, -1, -1], -1, default, d));
        Assert.All(d, v => Assert.Equal(0f, v));

        var e = Assert.Throws<ArgumentException>(() => CrossEntropy.Forward(rows, cols, logits, [1, 4, 0], -1, default, default));
        Assert.Equal("labels", e.ParamName);
        Assert.Contains("labels[1]", e.Message);
        Assert.Equal("dlogits", Assert.Throws<ArgumentException>(() =>
            CrossEntropy.Forward(rows, cols, logits, labels, -1, default, new float[5])).ParamName);
    }

    [Fact]
    public void NormalizedEntropyIsZeroForOneHotAndOneForUniform()
    {
        float[] logits = [0, 0, 0, 0, 1000, 0, 0, 0];
        var eta = new float[2];
        Softmax.NormalizedEntropy(2, 4, logits, eta);
        Assert.Equal(1f, eta[0], 6);
        Assert.Equal(0f, eta[1], 6);
        Softmax.NormalizedEntropy(2, 1, [3f, -2f], eta);
        Assert.Equal(new float[2], eta);
    }
}

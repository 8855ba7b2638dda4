using Ddnn.Kernels;
using Ddnn.TestSupport;

namespace Ddnn.Kernels.Tests.Float;

public class BatchNormPartsTests
{
    public static TheoryData<KernelPath> Paths() => TestData.AllPaths();

    /// <summary>
    /// The batch cut into parts (sizes 1, 4 and the rest) whose partial sums are added: forward and backward match
    /// <see cref="BatchNorm"/> over the whole batch, on every path and for 1-d (spatial 1) and 2-d layouts with tails.
    /// </summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void Parts_with_added_sums_match_the_whole_batch(KernelPath path)
    {
        foreach (var (n, c, spatial) in new[] { (9, 3, 1), (11, 5, 13), (7, 2, 64) })
        {
            var x = TestData.Uniform(n * c * spatial, n + c + spatial, 2f);
            var dy = TestData.Uniform(n * c * spatial, 7 * n + spatial, 1f);
            var gamma = TestData.Uniform(c, 3, 1.5f);
            var beta = TestData.Uniform(c, 4, 0.5f);
            const float eps = 2e-5f;

            var y = new float[x.Length];
            var dx = new float[x.Length];
            var mean = new float[c];
            var invStd = new float[c];
            var runningMean = new float[c];
            var runningVar = new float[c];
            Array.Fill(runningVar, 1f);
            TestData.On(path, 1, () =>
            {
                BatchNorm.ForwardTraining(n, c, spatial, x, gamma, beta, eps, 0.1f, runningMean, runningVar, y, mean, invStd);
                BatchNorm.Backward(n, c, spatial, x, dy, gamma, mean, invStd, dx, new float[c], new float[c]);
                return 0;
            });

            int[] cuts = [0, 1, 5, n];
            var count = (double)n * spatial;
            var sums = new double[c];
            var partY = new float[x.Length];
            var partDx = new float[x.Length];
            TestData.On(path, 1, () =>
            {
                var part = new double[c];
                for (var p = 0; p < cuts.Length - 1; p++)
                {
                    BatchNormParts.Sums(cuts[p + 1] - cuts[p], c, spatial, Slice(x, cuts[p], cuts[p + 1], c, spatial), part);
                    for (var ch = 0; ch < c; ch++) sums[ch] += part[ch];
                }
                var means = sums.Select(s => s / count).ToArray();
                var squares = new double[c];
                for (var p = 0; p < cuts.Length - 1; p++)
                {
                    BatchNormParts.SquaredDeviations(cuts[p + 1] - cuts[p], c, spatial, Slice(x, cuts[p], cuts[p + 1], c, spatial), means, part);
                    for (var ch = 0; ch < c; ch++) squares[ch] += part[ch];
                }
                var inv = squares.Select(s => 1.0 / Math.Sqrt(s / count + eps)).ToArray();
                var scale = new float[c];
                var shift = new float[c];
                for (var ch = 0; ch < c; ch++)
                {
                    scale[ch] = (float)(gamma[ch] * inv[ch]);
                    shift[ch] = (float)(beta[ch] - means[ch] * gamma[ch] * inv[ch]);
                }
                var sumG = new double[c];
                var sumGX = new double[c];
                var partG = new double[c];
                for (var p = 0; p < cuts.Length - 1; p++)
                {
                    int lo = cuts[p], hi = cuts[p + 1];
                    BatchNormParts.Normalize(hi - lo, c, spatial, Slice(x, lo, hi, c, spatial), scale, shift, Slice(partY, lo, hi, c, spatial));
                    BatchNormParts.GradientSums(hi - lo, c, spatial, Slice(x, lo, hi, c, spatial), Slice(dy, lo, hi, c, spatial), partG, part);
                    for (var ch = 0; ch < c; ch++) { sumG[ch] += partG[ch]; sumGX[ch] += part[ch]; }
                }
                float[] k = new float[c], a = new float[c], m = new float[c], b = new float[c];
                for (var ch = 0; ch < c; ch++)
                {
                    double mu = (float)means[ch], s = (float)inv[ch];
                    var gxhat = s * (sumGX[ch] - mu * sumG[ch]);
                    k[ch] = (float)(gamma[ch] * s);
                    a[ch] = (float)(-gamma[ch] * s * s * gxhat / count);
                    m[ch] = (float)mu;
                    b[ch] = (float)(-gamma[ch] * s * sumG[ch] / count);
                }
                for (var p = 0; p < cuts.Length - 1; p++)
                {
                    int lo = cuts[p], hi = cuts[p + 1];
                    BatchNormParts.InputGradient(hi - lo, c, spatial, Slice(x, lo, hi, c, spatial), Slice(dy, lo, hi, c, spatial), k, a, m, b,
                        Slice(partDx, lo, hi, c, spatial));
                }
                return 0;
            });
            Approx.Close(y, partY, 1e-5f, 1e-5f, $"forward n={n} c={c} spatial={spatial} on {path}");
            Approx.Close(dx, partDx, 1e-4f, 1e-5f, $"input gradient n={n} c={c} spatial={spatial} on {path}");
        }
    }

    [Fact]
    public void Wrong_lengths_name_the_argument()
    {
        var e = Assert.Throws<ArgumentException>(() => BatchNormParts.Sums(2, 3, 4, new float[24], new double[2]));
        Assert.Contains("sums", e.Message);
        e = Assert.Throws<ArgumentException>(() => BatchNormParts.InputGradient(2, 3, 4, new float[24], new float[23], new float[3],
            new float[3], new float[3], new float[3], new float[24]));
        Assert.Contains("dy", e.Message);
    }

    private static Span<float> Slice(float[] values, int from, int to, int c, int spatial) =>
        values.AsSpan(from * c * spatial, (to - from) * c * spatial);
}

using Ddnn.Kernels;
using Ddnn.TestSupport;

namespace Ddnn.Kernels.Tests.Float;

public class OptimizerKernelTests
{
    public static TheoryData<KernelPath> Paths() => TestData.AllPaths();

    // Tails of the 4-, 8- and 16-lane loops.
    private static readonly int[] Lengths = [1, 3, 7, 15, 16, 17, 19, 31, 33, 37, 64, 65];

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void AdamFollowsThePyTorchFormulaOverSeveralSteps(KernelPath path)
    {
        using var _ = KernelPaths.Enter(path);
        foreach (var n in Lengths) AdamFollowsThePyTorchFormula(n);
    }

    private static void AdamFollowsThePyTorchFormula(int n)
    {
        const float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
        var p = TestData.Uniform(n, 1);
        var m = new float[n];
        var v = new float[n];
        var pd = p.Select(x => (double)x).ToArray();
        var md = new double[n];
        var vd = new double[n];
        for (var t = 1; t <= 3; t++)
        {
            var g = TestData.Uniform(n, 10 + t);
            if (t == 1) g[0] = 0; // zero gradient: update 0
            OptimizerKernels.AdamStep(p, g, m, v, lr, b1, b2, eps, t);
            for (var i = 0; i < n; i++)
            {
                md[i] = b1 * md[i] + (1 - b1) * g[i];
                vd[i] = b2 * vd[i] + (1 - b2) * g[i] * g[i];
                pd[i] -= lr / (1 - Math.Pow(b1, t)) * md[i] / (Math.Sqrt(vd[i]) / Math.Sqrt(1 - Math.Pow(b2, t)) + eps);
            }
        }
        Approx.EqualScaled(pd, p, 0, absolute: 2e-7, what: $"p (n={n})");
        Approx.EqualScaled(md, m, 1e-6, what: $"m (n={n})");
        Approx.EqualScaled(vd, v, 1e-6, what: $"v (n={n})");
    }

    [Fact]
    public void AdamFirstStepMovesEachParameterByAboutLr()
    {
        float[] p = [0.5f, -0.5f, 0.25f];
        float[] g = [3f, -0.01f, 0f];
        OptimizerKernels.AdamStep(p, g, new float[3], new float[3], 1e-3f, 0.9f, 0.999f, 1e-8f, 1);
        Assert.Equal(0.499f, p[0], 6);
        Assert.Equal(-0.499f, p[1], 6);
        Assert.Equal(0.25f, p[2]);
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void SgdMomentumUsesThePyTorchBuffer(KernelPath path)
    {
        using var _ = KernelPaths.Enter(path);
        foreach (var n in Lengths)
        {
            var p = TestData.Uniform(n, 2);
            var p0 = (float[])p.Clone();
            var buf = new float[n];
            var g1 = TestData.Uniform(n, 3);
            var g2 = TestData.Uniform(n, 4);
            OptimizerKernels.SgdMomentumStep(p, g1, buf, 0.1f, 0.9f, firstStep: true);
            Approx.Exact(g1, buf, $"buf after the first step (n={n})");
            OptimizerKernels.SgdMomentumStep(p, g2, buf, 0.1f, 0.9f, firstStep: false);
            for (var i = 0; i < p.Length; i++)
            {
                var b = 0.9f * g1[i] + g2[i];
                Assert.Equal(b, buf[i], 6);
                Assert.Equal(p0[i] - 0.1f * g1[i] - 0.1f * b, p[i], 5);
            }
        }
    }

    [Fact]
    public void RejectsMismatchedStateNamingTheParameter()
    {
        Assert.Equal("v", Assert.Throws<ArgumentException>(() =>
            OptimizerKernels.AdamStep(new float[3], new float[3], new float[3], new float[2], 1e-3f, 0.9f, 0.999f, 1e-8f, 1)).ParamName);
        Assert.Equal("t", Assert.Throws<ArgumentOutOfRangeException>(() =>
            OptimizerKernels.AdamStep(new float[3], new float[3], new float[3], new float[3], 1e-3f, 0.9f, 0.999f, 1e-8f, 0)).ParamName);
        Assert.Equal("momentumBuffer", Assert.Throws<ArgumentException>(() =>
            OptimizerKernels.SgdMomentumStep(new float[3], new float[3], new float[4], 0.1f, 0.9f, false)).ParamName);
    }
}

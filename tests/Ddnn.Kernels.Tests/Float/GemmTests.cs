using Ddnn.Kernels;
using Ddnn.TestSupport;
using MathNet.Numerics.LinearAlgebra;

namespace Ddnn.Kernels.Tests.Float;

public class GemmTests
{
    private static readonly int[] Sizes = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 33, 40];
    private static readonly int[] Depths = [0, 1, 3, 8, 17, 40];

    public static TheoryData<KernelPath> Paths() => KernelPaths.EveryVector();

    public static TheoryData<KernelPath> AllPaths() => KernelPaths.Every();

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void EveryPathMatchesTheScalarTwinOverTailShapes(KernelPath path)
    {
        KernelPaths.SkipUnsupported(path);
        var seed = 0;
        foreach (var m in Sizes)
        foreach (var n in Sizes)
        foreach (var k in Depths)
        {
            var (ta, tb) = ((seed & 1) == 1, (seed & 2) == 2);
            var accumulate = seed % 3 == 0;
            var withBias = seed % 5 < 2;
            Compare(path, ta, tb, m, n, k, accumulate, withBias, seed++);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void EveryTransposeVariantMatchesOverLongDepthAndBlockEdges(KernelPath path)
    {
        KernelPaths.SkipUnsupported(path);
        var seed = 1000;
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        foreach (var (m, n, k) in new[] { (130, 50, 300), (37, 3075, 9), (5, 29, 513), (129, 25, 257), (130, 10, 300), (3, 7, 1000) })
        {
            Compare(path, ta, tb, m, n, k, accumulate: false, withBias: true, seed++);
            Compare(path, ta, tb, m, n, k, accumulate: true, withBias: false, seed++);
        }
    }

    /// <summary>
    /// Edges of the widest tile (64 columns on the 512-bit path, 24 on AVX2, 8 on Vector128; strips of 4 rows) and
    /// of the depth block: one short of, exactly at and one past them, in every transpose, with and without C and bias.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void TileAndDepthBlockEdgesMatchTheScalarTwin(KernelPath path)
    {
        KernelPaths.SkipUnsupported(path);
        var seed = 5000;
        foreach (var (m, n, k) in new[] { (4, 64, 256), (5, 63, 255), (3, 65, 257), (7, 127, 33), (9, 129, 512), (131, 47, 513), (6, 192, 100) })
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            Compare(path, ta, tb, m, n, k, accumulate: seed % 2 == 0, withBias: seed % 3 != 0, seed);
            seed++;
        }
    }

    /// <summary>
    /// The dot-product form (B transposed, n below one packed tile, long k): every n up to the 512-bit tile width and
    /// depths that leave every tail of the 32-, 16- and 8-wide steps.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void NarrowTransposedProductsMatchTheScalarTwin(KernelPath path)
    {
        KernelPaths.SkipUnsupported(path);
        var seed = 7000;
        foreach (var n in new[] { 1, 2, 3, 4, 5, 23, 24, 25, 40, 47, 63 })
        foreach (var (m, k) in new[] { (4, 32), (5, 47), (9, 63), (3, 1039) })
        {
            Compare(path, false, true, m, n, k, accumulate: seed % 2 == 0, withBias: seed % 3 != 0, seed);
            seed++;
        }
    }

    [SkippableTheory]
    [MemberData(nameof(AllPaths))]
    public void MatchesMathNetAsIndependentOracle(KernelPath path)
    {
        KernelPaths.SkipUnsupported(path);
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            const int m = 19, n = 27, k = 35;
            var a = TestData.Uniform(m * k, 1);
            var b = TestData.Uniform(k * n, 2);
            var bias = TestData.Uniform(n, 3);
            var c0 = TestData.Uniform(m * n, 4);
            var c = (float[])c0.Clone();
            TestData.On(path, 1, () =>
            {
                Gemm.Multiply(ta, tb, m, n, k, a, b, c, accumulate: true, bias: bias);
                return 0;
            });

            var ma = Matrix<double>.Build.Dense(ta ? k : m, ta ? m : k, (i, j) => a[i * (ta ? m : k) + j]);
            var mb = Matrix<double>.Build.Dense(tb ? n : k, tb ? k : n, (i, j) => b[i * (tb ? k : n) + j]);
            var product = (ta ? ma.Transpose() : ma) * (tb ? mb.Transpose() : mb);
            var expected = new double[m * n];
            for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
                expected[i * n + j] = product[i, j] + c0[i * n + j] + bias[j];
            Approx.EqualScaled(expected, c, 1e-6, absolute: 1e-5, what: $"C ta={ta} tb={tb}");
        }
    }

    /// <summary>
    /// A split computes every element exactly as the whole product does, so 1 and 2 threads give the same bits.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(AllPaths))]
    public void ThreadCountsGiveReproducibleAndIdenticalResults(KernelPath path)
    {
        KernelPaths.SkipUnsupported(path);
        ThreadCountsAgree(path, 260, 200, 96, transposeB: true); // row split
        ThreadCountsAgree(path, 30, 2500, 40, transposeB: true); // column split
        ThreadCountsAgree(path, 10, 70, 3000, transposeB: true); // column split whose narrow last part alone would take the dot form
        ThreadCountsAgree(path, 133, 131, 300, transposeB: false); // row split with tile and depth-block edges
    }

    private static void ThreadCountsAgree(KernelPath path, int m, int n, int k, bool transposeB)
    {
        var a = TestData.Uniform(m * k, 5);
        var b = TestData.Uniform(n * k, 6);
        var bias = TestData.Uniform(n, 7);
        float[] Run(int threads) => TestData.On(path, threads, () =>
        {
            var c = new float[m * n];
            Gemm.Multiply(false, transposeB, m, n, k, a, b, c, bias: bias);
            return c;
        });
        var one = Run(1);
        var two = Run(2);
        Approx.Exact(one, Run(1), "1 thread, rerun");
        Approx.Exact(two, Run(2), "2 threads, rerun");
        Approx.Exact(one, two, $"{m}x{n}x{k}: 1 vs 2 threads");
    }

    /// <summary>Dyadic inputs make every sum exact in any order, so every path must give the scalar twin's bits.</summary>
    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void DyadicInputsGiveExactResultsOnEveryPath(KernelPath path)
    {
        KernelPaths.SkipUnsupported(path);
        foreach (var (m, n, k) in new[] { (13, 29, 21), (6, 70, 40), (5, 130, 19) })
        {
            var a = TestData.Dyadic(m * k, 8);
            var b = TestData.Dyadic(k * n, 9);
            float[] Run(KernelPath p) => TestData.On(p, 1, () =>
            {
                var r = new float[m * n];
                Gemm.Multiply(false, false, m, n, k, a, b, r);
                return r;
            });
            Approx.Exact(Run(KernelPath.Scalar), Run(path), $"C {m}x{n}x{k} on {path}");
        }
    }

    [Fact]
    public void RejectsMismatchedSpansNamingTheParameter()
    {
        var ok = new float[6];
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 3, 2, new float[5], ok, ok)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 3, 2, new float[4], new float[7], ok)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 3, 2, new float[4], ok, new float[5])).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 3, 2, new float[4], ok, ok, bias: new float[2])).ParamName);
        Assert.Equal("m", Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(false, false, -1, 3, 2, new float[4], ok, ok)).ParamName);
        var message = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 3, 2, new float[5], ok, ok)).Message;
        Assert.Contains("expected 4", message);
    }

    [Fact]
    public void EmptyDepthGivesBiasOrOldC()
    {
        var c = new float[] { 1, 2, 3, 4 };
        Gemm.Multiply(false, false, 2, 2, 0, [], [], c, accumulate: true, bias: [10, 20]);
        Assert.Equal(new float[] { 11, 22, 13, 24 }, c);
        Gemm.Multiply(false, false, 2, 2, 0, [], [], c);
        Assert.Equal(new float[4], c);
    }

    private static void Compare(KernelPath path, bool ta, bool tb, int m, int n, int k, bool accumulate, bool withBias, int seed)
    {
        var a = TestData.Uniform(m * k, seed * 4 + 1);
        var b = TestData.Uniform(k * n, seed * 4 + 2);
        var c0 = TestData.Uniform(m * n, seed * 4 + 3);
        var bias = withBias ? TestData.Uniform(n, seed * 4 + 4) : [];
        float[] Run(KernelPath p) => TestData.On(p, 1, () =>
        {
            var c = (float[])c0.Clone();
            Gemm.Multiply(ta, tb, m, n, k, a, b, c, accumulate, bias);
            return c;
        });
        var expected = Run(KernelPath.Scalar);
        var actual = Run(path);
        Approx.Close(expected, actual, 1e-5f, 2e-6f * (k + 4),
            $"C {m}x{n}x{k} ta={ta} tb={tb} acc={accumulate} bias={withBias} on {path}");
    }
}

using Ddnn.Kernels;
using Ddnn.TestSupport;

namespace Ddnn.Kernels.Tests.Float;

public class ElementWiseTests
{
    private delegate void Unary(float[] x, float[] dst);

    private delegate void Binary(float[] x, float[] y, float[] dst);

    private static readonly (string Name, Unary Op)[] UnaryOps =
    [
        ("Scale", (x, d) => ElementWise.Scale(x, -1.75f, d)),
        ("AddScalar", (x, d) => ElementWise.AddScalar(x, 0.3f, d)),
        ("Affine", (x, d) => ElementWise.Affine(x, 1.3f, -0.2f, d)),
        ("Relu", (x, d) => ElementWise.Relu(x, d)),
        ("HardTanh", (x, d) => ElementWise.HardTanh(x, d)),
        ("Sign", (x, d) => ElementWise.Sign(x, d)),
        ("Clip", (x, d) => ElementWise.Clip(x, -0.5f, 0.75f, d)),
    ];

    private static readonly (string Name, Binary Op)[] BinaryOps =
    [
        ("Add", (x, y, d) => ElementWise.Add(x, y, d)),
        ("Subtract", (x, y, d) => ElementWise.Subtract(x, y, d)),
        ("Multiply", (x, y, d) => ElementWise.Multiply(x, y, d)),
        ("Max", (x, y, d) => ElementWise.Max(x, y, d)),
        ("AddScaled", (x, y, d) => ElementWise.AddScaled(x, -0.625f, y, d)),
        ("ReluBackward", (x, y, d) => ElementWise.ReluBackward(x, y, d)),
        ("HardTanhBackward", (x, y, d) => ElementWise.HardTanhBackward(x, y, d)),
        ("SignSteBackward", (x, y, d) => ElementWise.SignSteBackward(x, y, d)),
    ];

    public static TheoryData<KernelPath> Paths() => TestData.NonScalarPaths();

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void EveryOperatorMatchesTheScalarTwinBitwiseOverEveryTail(KernelPath path)
    {
        foreach (var length in Lengths())
        {
            var x = WithSpecialValues(TestData.Uniform(length, length, 2f));
            var y = TestData.Uniform(length, length + 1000, 2f);
            foreach (var (name, op) in UnaryOps)
            {
                var expected = new float[length];
                var actual = new float[length];
                TestData.On(KernelPath.Scalar, 1, () => { op(x, expected); return 0; });
                TestData.On(path, 1, () => { op(x, actual); return 0; });
                Approx.Exact(expected, actual, $"{name} n={length} on {path}");
            }
            foreach (var (name, op) in BinaryOps)
            {
                var expected = new float[length];
                var actual = new float[length];
                TestData.On(KernelPath.Scalar, 1, () => { op(x, y, expected); return 0; });
                TestData.On(path, 1, () => { op(x, y, actual); return 0; });
                Approx.Exact(expected, actual, $"{name} n={length} on {path}");
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(AllPaths))]
    public void ScalarSemanticsHoldOnEveryPath(KernelPath path)
    {
        using var _ = KernelPaths.Enter(path);
        float[] x = [0f, -0f, 1f, -1f, 1.0000001f, -2f, 0.5f, -0.25f, 3f];
        var d = new float[x.Length];
        ElementWise.Sign(x, d);
        Assert.Equal(new float[] { 1, 1, 1, -1, 1, -1, 1, -1, 1 }, d);
        ElementWise.SignSteBackward(x, Ones(x.Length), d);
        Assert.Equal(new float[] { 1, 1, 1, 1, 0, 0, 1, 1, 0 }, d);
        ElementWise.HardTanhBackward(x, Ones(x.Length), d);
        Assert.Equal(new float[] { 1, 1, 0, 0, 0, 0, 1, 1, 0 }, d);
        ElementWise.Relu(x, d);
        Assert.Equal(new float[] { 0, -0f, 1, 0, 1.0000001f, 0, 0.5f, 0, 3 }, d);
        ElementWise.ReluBackward(x, Ones(x.Length), d);
        Assert.Equal(new float[] { 0, 0, 1, 0, 1, 0, 1, 0, 1 }, d);
        ElementWise.HardTanh(x, d);
        Assert.Equal(new float[] { 0, -0f, 1, -1, 1, -1, 0.5f, -0.25f, 1 }, d);
        ElementWise.AddScaled(x, 2f, x, d);
        Assert.Equal(x.Select(v => v + 2 * v).ToArray(), d);
    }

    public static TheoryData<KernelPath> AllPaths() => TestData.AllPaths();

    [Fact]
    public void InPlaceUseGivesTheSameResult()
    {
        var x = TestData.Uniform(37, 3);
        var expected = new float[37];
        ElementWise.Scale(x, 3f, expected);
        ElementWise.Scale(x, 3f, x);
        Approx.Exact(expected, x);
    }

    [Fact]
    public void RejectsMismatchedLengthsNamingTheParameter()
    {
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => ElementWise.Add(new float[3], new float[2], new float[3])).ParamName);
        Assert.Equal("dst", Assert.Throws<ArgumentException>(() => ElementWise.Add(new float[3], new float[3], new float[4])).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => ElementWise.ReluBackward(new float[3], new float[3], new float[4])).ParamName);
        Assert.Equal("dst", Assert.Throws<ArgumentException>(() => ElementWise.Relu(new float[3], new float[2])).ParamName);
        Assert.Equal("lo", Assert.Throws<ArgumentException>(() => ElementWise.Clip(new float[3], 1f, 0f, new float[3])).ParamName);
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void ReductionsMatchTheScalarTwin(KernelPath path)
    {
        foreach (var length in Lengths())
        {
            var x = TestData.Uniform(length, length + 7);
            var y = TestData.Uniform(length, length + 8);
            var (s0, d0, m0) = TestData.On(KernelPath.Scalar, 1, () => (Reduce.Sum(x), Reduce.Dot(x, y), length > 0 ? Reduce.Max(x) : 0));
            var (s1, d1, m1) = TestData.On(path, 1, () => (Reduce.Sum(x), Reduce.Dot(x, y), length > 0 ? Reduce.Max(x) : 0));
            Assert.True(Math.Abs(s0 - s1) <= 1e-6f * (1 + length), $"Sum n={length}: {s0} vs {s1}");
            Assert.True(Math.Abs(d0 - d1) <= 1e-6f * (1 + length), $"Dot n={length}: {d0} vs {d1}");
            Assert.Equal(m0, m1);
            Assert.Equal(x.Select(v => (double)v).Sum(), s0, 1e-5);
            if (length > 0) Assert.Equal(x.Max(), m0);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(AllPaths))]
    public void RowAndColumnSumsMatchDirectSums(KernelPath path)
    {
        using var _ = KernelPaths.Enter(path);
        const int rows = 7, cols = 13;
        var x = TestData.Uniform(rows * cols, 11);
        var colSums = new float[cols];
        var rowSums = new float[rows];
        Reduce.SumColumns(rows, cols, x, colSums);
        Reduce.SumRows(rows, cols, x, rowSums);
        for (var j = 0; j < cols; j++)
            Assert.Equal(Enumerable.Range(0, rows).Sum(i => (double)x[i * cols + j]), colSums[j], 1e-5);
        for (var i = 0; i < rows; i++)
            Assert.Equal(Enumerable.Range(0, cols).Sum(j => (double)x[i * cols + j]), rowSums[i], 1e-5);
        Reduce.SumColumns(rows, cols, x, colSums, accumulate: true);
        Assert.Equal(2 * Enumerable.Range(0, rows).Sum(i => (double)x[i * cols]), colSums[0], 1e-5);
        Assert.Equal("dst", Assert.Throws<ArgumentException>(() => Reduce.SumColumns(rows, cols, x, new float[rows])).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => Reduce.Max([])).ParamName);
    }

    // Every tail of the 4-, 8- and 16-lane loops and of the 64-element unrolled Avx512 loop.
    private static IEnumerable<int> Lengths() => Enumerable.Range(0, 50).Concat([63, 64, 65, 79, 80, 81, 127, 128, 129, 131]);

    private static float[] Ones(int n) => Enumerable.Repeat(1f, n).ToArray();

    /// <summary>Plants values at the operators' decision boundaries (0, −0, ±1, clip bounds).</summary>
    private static float[] WithSpecialValues(float[] x)
    {
        float[] specials = [0f, -0f, 1f, -1f, -0.5f, 0.75f, 2f, -2f];
        for (var i = 0; i < x.Length; i += 3) x[i] = specials[i / 3 % specials.Length];
        return x;
    }
}

using Ddnn.Kernels;
using Ddnn.TestSupport;

namespace Ddnn.Kernels.Tests.Float;

public class PoolingTests
{
    public static TheoryData<KernelPath> Paths() => TestData.AllPaths();

    private static IEnumerable<Pool2dShape> Shapes()
    {
        foreach (var (h, w) in new[] { (8, 8), (16, 16), (7, 7), (5, 13), (1, 1), (3, 30), (19, 4), (4, 17), (3, 33), (2, 34), (5, 64), (3, 66) })
        foreach (var (k, st, p) in new[] { (3, 2, 1), (3, 1, 1), (2, 2, 0), (3, 3, 0), (1, 1, 0), (4, 1, 2), (5, 2, 2), (3, 2, 0) })
            if (Math.Min(h, w) + 2 * p >= k)
                yield return new Pool2dShape(2, 3, h, w, k, st, p);
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void MaxPoolMatchesTheOracleWithTiesOverShapes(KernelPath path)
    {
        using var _ = KernelPaths.Enter(path);
        var seed = 0;
        foreach (var s in Shapes())
        {
            // Small integers give many exact ties; the first row-major maximum must win.
            var x = TestData.Dyadic((int)s.InputLength, ++seed, range: 2, denominator: 1);
            if (seed % 3 == 0) for (var i = 0; i < x.Length; i++) x[i] = -Math.Abs(x[i]) - 1; // all negative: padding must not win
            var y = new float[s.OutputLength];
            var idx = new int[s.OutputLength];
            MaxPool2d.Forward(s, x, y, idx);
            var (ey, eidx) = NaiveOracles.MaxPool(s, x);
            Approx.Exact(ey, y, $"y {s}");
            Assert.Equal(eidx, idx);

            var dy = TestData.Dyadic((int)s.OutputLength, seed + 50);
            var dx = TestData.Uniform((int)s.InputLength, 1); // garbage: must be overwritten
            MaxPool2d.Backward(s, dy, idx, dx);
            var edx = new float[s.InputLength];
            var planeIn = s.Height * s.Width;
            var planeOut = s.OutHeight * s.OutWidth;
            for (var j = 0; j < idx.Length; j++) edx[j / planeOut * planeIn + idx[j]] += dy[j];
            Approx.Exact(edx, dx, $"dx {s}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void AvgPoolCountsPaddingAndIsItsOwnAdjoint(KernelPath path)
    {
        using var _ = KernelPaths.Enter(path);
        foreach (var s in Shapes())
        {
            var x = TestData.Uniform((int)s.InputLength, 3);
            var y = new float[s.OutputLength];
            AvgPool2d.Forward(s, x, y);
            var dy = TestData.Uniform((int)s.OutputLength, 4);
            var dx = new float[s.InputLength];
            AvgPool2d.Backward(s, dy, dx);
            // <avg(x), dy> == <x, avg^T(dy)>
            var lhs = y.Select((v, i) => (double)v * dy[i]).Sum();
            var rhs = x.Select((v, i) => (double)v * dx[i]).Sum();
            Assert.Equal(lhs, rhs, 1e-4);
            // Window at the top-left corner: sum of the real cells / k².
            double corner = 0;
            for (var u = 0; u < s.Kernel; u++)
            for (var v = 0; v < s.Kernel; v++)
            {
                int ih = u - s.Pad, iw = v - s.Pad;
                if (ih >= 0 && iw >= 0 && ih < s.Height && iw < s.Width) corner += x[ih * s.Width + iw];
            }
            Assert.Equal(corner / (s.Kernel * s.Kernel), y[0], 1e-5);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void AvgPoolMatchesTheScalarTwinBitwise(KernelPath path)
    {
        var seed = 0;
        foreach (var s in Shapes())
        {
            var x = TestData.Uniform((int)s.InputLength, ++seed, 3f);
            var dy = TestData.Uniform((int)s.OutputLength, seed + 100, 3f);
            x[0] = -0f;
            dy[0] = -0f;
            float[][] Run(KernelPath p) => TestData.On<float[][]>(p, 1, () =>
            {
                var y = new float[s.OutputLength];
                var dx = TestData.Uniform((int)s.InputLength, 7); // garbage: must be overwritten
                AvgPool2d.Forward(s, x, y);
                AvgPool2d.Backward(s, dy, dx);
                return [y, dx];
            });
            var expected = Run(KernelPath.Scalar);
            var actual = Run(path);
            Approx.Exact(expected[0], actual[0], $"avg pool y {s} on {path}");
            Approx.Exact(expected[1], actual[1], $"avg pool dx {s} on {path}");
        }
    }

    [Fact]
    public void RejectsBadShapesAndSpansNamingTheParameter()
    {
        Assert.Equal("Pad", Assert.Throws<ArgumentOutOfRangeException>(() => new Pool2dShape(1, 1, 8, 8, 3, 2, 2)).ParamName);
        Assert.Equal("Stride", Assert.Throws<ArgumentOutOfRangeException>(() => new Pool2dShape(1, 1, 8, 8, 3, 0, 1)).ParamName);
        var s = new Pool2dShape(1, 2, 8, 8, 3, 2, 1);
        Assert.Equal(4, s.OutHeight);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => MaxPool2d.Forward(s, new float[5], new float[32], new int[32])).ParamName);
        Assert.Equal("argmax", Assert.Throws<ArgumentException>(() => MaxPool2d.Forward(s, new float[128], new float[32], new int[31])).ParamName);
        Assert.Equal("argmax", Assert.Throws<ArgumentException>(() =>
            MaxPool2d.Backward(s, new float[32], Enumerable.Repeat(64, 32).ToArray(), new float[128])).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => AvgPool2d.Backward(s, new float[32], new float[127])).ParamName);
    }
}

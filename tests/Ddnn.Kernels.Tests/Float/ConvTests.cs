using Ddnn.Kernels;
using Ddnn.TestSupport;

namespace Ddnn.Kernels.Tests.Float;

public class ConvTests
{
    public static TheoryData<KernelPath> Paths() => KernelPaths.Every();

    private static IEnumerable<Conv2dShape> Shapes()
    {
        yield return new Conv2dShape(2, 3, 7, 7, 4, 3, 1, 1);
        yield return new Conv2dShape(2, 3, 7, 7, 4, 3, 2, 0);
        yield return new Conv2dShape(1, 1, 16, 16, 4, 3, 1, 1); // device conv
        yield return new Conv2dShape(2, 5, 8, 8, 6, 3, 1, 1); // cloud-like
        yield return new Conv2dShape(3, 2, 5, 9, 3, 1, 1, 0); // pointwise
        yield return new Conv2dShape(1, 2, 6, 11, 5, 2, 3, 2, 1, 1, 0); // rectangular kernel, odd strides
        yield return new Conv2dShape(2, 3, 9, 6, 2, 5, 2, 2); // 5x5 s2 p2
        yield return new Conv2dShape(1, 2, 4, 4, 3, 3, 3, 1); // stride > overlap
        yield return new Conv2dShape(1, 30, 5, 5, 29, 3, 1, 1); // patch 270 > one K block
        yield return new Conv2dShape(1, 1, 1, 1, 1, 1, 1, 0);
        yield return new Conv2dShape(2, 3, 6, 7, 4, 3, 3, 1, 1, 0, 1); // stride 1, padding only along W
        yield return new Conv2dShape(2, 2, 5, 6, 3, 2, 3, 1, 1, 1, 0); // stride 1, padding only along H, even kernel
        yield return new Conv2dShape(1, 2, 3, 3, 2, 3, 1, 2); // padding larger than half the kernel
        yield return new Conv2dShape(17, 16, 8, 8, 5, 3, 1, 1); // several image chunks and a short last one
        yield return new Conv2dShape(2, 6, 5, 7, 4, 3, 1, 2); // input gradient as a transposed conv with zero padding
        yield return new Conv2dShape(2, 4, 6, 5, 3, 2, 3, 1, 1, 1, 0); // transposed conv, even kernel, one-sided padding
        yield return new Conv2dShape(2, 4, 4, 4, 3, 1, 1, 1); // padding beyond the kernel: scatter form
        yield return new Conv2dShape(2, 3, 16, 16, 5, 3, 1, 1); // 16-wide rows (one zmm), a row tail of the 4-row strips
        yield return new Conv2dShape(1, 2, 32, 32, 4, 3, 1, 1); // 32-wide rows, product width 1024 = 16 tiles of 64
        yield return new Conv2dShape(3, 7, 10, 13, 6, 3, 1, 1); // width 390: a 6-column edge tile; patch 63 < 64
        yield return new Conv2dShape(2, 8, 9, 9, 9, 3, 2, 1); // strided: scatter form over 25-pixel planes, patch 72
        yield return new Conv2dShape(2, 3, 12, 12, 6, 3, 1, 1); // 144 pixels: whole 8- and 24-column strips, rows crossing them
        yield return new Conv2dShape(2, 3, 8, 24, 7, 3, 1, 1); // 192 pixels: three 64-column strips, 24-wide rows crossing them
        yield return new Conv2dShape(3, 5, 8, 8, 16, 3, 1, 1); // direct 3x3 weight gradient: two channel pairs and a single
        yield return new Conv2dShape(2, 2, 7, 9, 32, 3, 1, 1); // direct weight gradient: two 16-channel blocks, a pixel tail of 7
        yield return new Conv2dShape(18, 3, 6, 5, 16, 3, 1, 0); // direct weight gradient without border, two image chunks
        yield return new Conv2dShape(2, 4, 5, 6, 16, 3, 1, 2); // direct weight gradient, border wider than the window overlap
        yield return new Conv2dShape(19, 1, 16, 16, 4, 3, 1, 1); // weight gradient by 16-pixel rows: two output-channel pairs, two image chunks
        yield return new Conv2dShape(2, 3, 5, 32, 5, 3, 1, 1); // weight gradient by rows: two chunks per row, a single last output channel
        yield return new Conv2dShape(2, 2, 4, 18, 3, 3, 1, 0); // weight gradient by rows without border (16 outputs from 18 columns)
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void ForwardAndBothBackwardsMatchTheDirectOracle(KernelPath path)
    {
        using var _ = KernelPaths.Enter(path);
        var seed = 0;
        foreach (var s in Shapes())
        {
            seed++;
            var x = TestData.Uniform((int)s.InputLength, seed);
            var w = TestData.Uniform((int)s.WeightLength, seed + 100);
            var bias = seed % 2 == 0 ? TestData.Uniform(s.OutChannels, seed + 200) : [];
            var dy = TestData.Uniform((int)s.OutputLength, seed + 300);

            var y = new float[s.OutputLength];
            Conv2d.Forward(s, x, w, bias, y);
            Approx.EqualScaled(NaiveOracles.ConvForward(s, x, w, bias), y, 1e-5, 1e-5, $"y {s}");

            var (edx, edw, edb) = NaiveOracles.ConvBackward(s, x, w, dy);
            var dx = TestData.Uniform((int)s.InputLength, 9); // garbage: must be overwritten
            Conv2d.BackwardInput(s, dy, w, dx);
            Approx.EqualScaled(edx, dx, 1e-5, 1e-5, $"dx {s}");

            var dw = TestData.Uniform((int)s.WeightLength, 10);
            var db = new float[s.OutChannels];
            Conv2d.BackwardWeight(s, x, dy, dw, db);
            Approx.EqualScaled(edw, dw, 1e-5, 1e-5, $"dw {s}");
            Approx.EqualScaled(edb, db, 1e-5, 1e-5, $"db {s}");

            Conv2d.BackwardWeight(s, x, dy, dw, default, accumulate: true);
            Approx.EqualScaled(edw.Select(v => 2 * v).ToArray(), dw, 1e-5, 1e-5, $"accumulated dw {s}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void ImageSplitAcrossThreadsIsBitwiseIdentical(KernelPath path)
    {
        KernelPaths.SkipUnsupported(path);
        var s = new Conv2dShape(32, 16, 8, 8, 16, 3, 1, 1); // above the parallel threshold
        var x = TestData.Uniform((int)s.InputLength, 1);
        var w = TestData.Uniform((int)s.WeightLength, 2);
        var bias = TestData.Uniform(s.OutChannels, 3);
        var dy = TestData.Uniform((int)s.OutputLength, 4);
        (float[] Y, float[] Dx) Run(int threads) => TestData.On(path, threads, () =>
        {
            var y = new float[s.OutputLength];
            var dx = new float[s.InputLength];
            Conv2d.Forward(s, x, w, bias, y);
            Conv2d.BackwardInput(s, dy, w, dx);
            return (y, dx);
        });
        var one = Run(1);
        var two = Run(2);
        Approx.Exact(one.Y, two.Y, "y, 1 vs 2 threads");
        Approx.Exact(one.Dx, two.Dx, "dx, 1 vs 2 threads");
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void BatchedLoweringEqualsImageByImage(KernelPath path)
    {
        using var _ = KernelPaths.Enter(path);
        var s = new Conv2dShape(19, 16, 8, 8, 7, 3, 1, 1); // several chunks of images per GEMM
        var single = new Conv2dShape(1, 16, 8, 8, 7, 3, 1, 1);
        var x = TestData.Uniform((int)s.InputLength, 1);
        var w = TestData.Uniform((int)s.WeightLength, 2);
        var bias = TestData.Uniform(s.OutChannels, 3);
        var dy = TestData.Uniform((int)s.OutputLength, 4);
        var y = new float[s.OutputLength];
        var dx = new float[s.InputLength];
        Conv2d.Forward(s, x, w, bias, y);
        Conv2d.BackwardInput(s, dy, w, dx);
        var inImage = (int)single.InputLength;
        var outImage = (int)single.OutputLength;
        for (var n = 0; n < s.Batch; n++)
        {
            var yn = new float[outImage];
            Conv2d.Forward(single, x.AsSpan(n * inImage, inImage), w, bias, yn);
            Approx.Exact(yn, y.AsSpan(n * outImage, outImage), $"y of image {n}");
            var dxn = new float[inImage];
            Conv2d.BackwardInput(single, dy.AsSpan(n * outImage, outImage), w, dxn);
            Approx.Exact(dxn, dx.AsSpan(n * inImage, inImage), $"dx of image {n}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void WeightGradientIsRepeatablePerThreadCountAndAgreesAcrossCounts(KernelPath path)
    {
        KernelPaths.SkipUnsupported(path);
        var s = new Conv2dShape(48, 16, 8, 8, 16, 3, 1, 1); // above the parallel threshold
        var x = TestData.Uniform((int)s.InputLength, 1);
        var dy = TestData.Uniform((int)s.OutputLength, 2);
        var start = TestData.Uniform((int)s.WeightLength, 3);
        (float[] Dw, float[] Accumulated, float[] Db) Run(int threads) => TestData.On(path, threads, () =>
        {
            var dw = new float[s.WeightLength];
            var db = new float[s.OutChannels];
            Conv2d.BackwardWeight(s, x, dy, dw, db);
            var accumulated = (float[])start.Clone();
            Conv2d.BackwardWeight(s, x, dy, accumulated, default, accumulate: true);
            return (dw, accumulated, db);
        });
        var one = Run(1);
        var two = Run(2);
        var twoAgain = Run(2);
        Approx.Exact(two.Dw, twoAgain.Dw, "dw, 2 threads, run twice");
        Approx.Exact(two.Accumulated, twoAgain.Accumulated, "accumulated dw, 2 threads, run twice");
        Approx.Exact(one.Db, two.Db, "db, 1 vs 2 threads");
        var (_, expected, _) = NaiveOracles.ConvBackward(s, x, TestData.Uniform((int)s.WeightLength, 4), dy);
        Approx.EqualScaled(expected, one.Dw, 1e-5, 1e-5, "dw, 1 thread");
        Approx.EqualScaled(expected, two.Dw, 1e-5, 1e-5, "dw, 2 threads");
        Approx.EqualScaled(one.Dw.Select(v => (double)v).ToArray(), two.Dw, 1e-5, 1e-5, "dw, 1 vs 2 threads");
        var expectedAccumulated = expected.Select((v, i) => v + start[i]).ToArray();
        Approx.EqualScaled(expectedAccumulated, two.Accumulated, 1e-5, 1e-5, "accumulated dw, 2 threads");
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void GradientsMatchFiniteDifferences(KernelPath path)
    {
        using var _ = KernelPaths.Enter(path);
        var s = new Conv2dShape(2, 2, 5, 5, 3, 3, 2, 1);
        var x = TestData.Uniform((int)s.InputLength, 1);
        var w = TestData.Uniform((int)s.WeightLength, 2);
        var dy = TestData.Uniform((int)s.OutputLength, 3);
        var dw = new float[w.Length];
        Conv2d.BackwardWeight(s, x, dy, dw, default);
        var dx = new float[x.Length];
        Conv2d.BackwardInput(s, dy, w, dx);
        double Loss(float[] xx, float[] ww)
        {
            var y = new float[s.OutputLength];
            Conv2d.Forward(s, xx, ww, default, y);
            return y.Select((v, i) => (double)v * dy[i]).Sum();
        }
        const float h = 1e-2f; // the loss is linear in w and x, so central differences are exact up to rounding
        foreach (var i in new[] { 0, 7, w.Length - 1 })
        {
            var wp = (float[])w.Clone(); wp[i] += h;
            var wm = (float[])w.Clone(); wm[i] -= h;
            Assert.Equal((Loss(x, wp) - Loss(x, wm)) / (2 * h), dw[i], 2e-3);
        }
        foreach (var i in new[] { 0, 12, x.Length - 1 })
        {
            var xp = (float[])x.Clone(); xp[i] += h;
            var xm = (float[])x.Clone(); xm[i] -= h;
            Assert.Equal((Loss(xp, w) - Loss(xm, w)) / (2 * h), dx[i], 2e-3);
        }
    }

    [Fact]
    public void ShapeComputesOutputSizesAndRejectsBadValues()
    {
        var s = new Conv2dShape(2, 3, 7, 7, 4, 3, 2, 0);
        Assert.Equal(3, s.OutHeight);
        Assert.Equal(3, s.OutWidth);
        Assert.Equal(2 * 3 * 49, s.InputLength);
        Assert.Equal(4 * 3 * 9, s.WeightLength);
        Assert.Equal(2 * 4 * 9, s.OutputLength);
        Assert.Equal("Batch", Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2dShape(0, 3, 7, 7, 4, 3, 1, 1)).ParamName);
        Assert.Equal("StrideH", Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2dShape(1, 3, 7, 7, 4, 3, 0, 1)).ParamName);
        Assert.Equal("PadW", Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2dShape(1, 3, 7, 7, 4, 3, 3, 1, 1, 0, -1)).ParamName);
        Assert.Equal("PadH", Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2dShape(1, 1, 2, 2, 1, 5, 1, 1)).ParamName);
    }

    [Fact]
    public void RejectsMismatchedSpansNamingTheParameter()
    {
        var s = new Conv2dShape(1, 2, 4, 4, 3, 3, 1, 1);
        float[] x = new float[s.InputLength], w = new float[s.WeightLength], y = new float[s.OutputLength];
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => Conv2d.Forward(s, new float[5], w, default, y)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => Conv2d.Forward(s, x, new float[5], default, y)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => Conv2d.Forward(s, x, w, new float[2], y)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Conv2d.Forward(s, x, w, default, new float[5])).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => Conv2d.BackwardInput(s, y, w, new float[5])).ParamName);
        Assert.Equal("dweight", Assert.Throws<ArgumentException>(() => Conv2d.BackwardWeight(s, x, y, new float[5], default)).ParamName);
        Assert.Equal("dbias", Assert.Throws<ArgumentException>(() => Conv2d.BackwardWeight(s, x, y, w, new float[5])).ParamName);
        Assert.Equal("s", Assert.Throws<ArgumentException>(() => Conv2d.Forward(default, x, w, default, y)).ParamName);
    }
}

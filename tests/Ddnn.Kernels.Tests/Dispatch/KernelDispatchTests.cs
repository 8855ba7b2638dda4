using Ddnn.Kernels;
using Ddnn.TestSupport;

namespace Ddnn.Kernels.Tests.Dispatch;

public class KernelDispatchTests
{
    [Fact]
    public void ScalarIsAlwaysSupportedAndBestIsSupported()
    {
        Assert.True(KernelDispatch.IsSupported(KernelPath.Scalar));
        Assert.True(KernelDispatch.IsSupported(KernelDispatch.Best));
        Assert.Contains(KernelDispatch.Best, KernelDispatch.Supported);
    }

    [Fact]
    public void UseRestoresThePreviousPath()
    {
        var before = KernelDispatch.Active;
        using (KernelDispatch.Use(KernelPath.Scalar))
            Assert.Equal(KernelPath.Scalar, KernelDispatch.Active);
        Assert.Equal(before, KernelDispatch.Active);
    }

    [Theory]
    [InlineData("scalar", KernelPath.Scalar)]
    [InlineData(" Vector128 ", KernelPath.Vector128)]
    [InlineData("AVX2", KernelPath.Avx2)]
    public void ParsesPathNames(string text, KernelPath expected)
    {
        Assert.True(KernelDispatch.TryParse(text, out var path));
        Assert.Equal(expected, path);
    }

    [Theory]
    [InlineData("")]
    [InlineData("avx512")]
    [InlineData(null)]
    public void RejectsUnknownPathNames(string? text) => Assert.False(KernelDispatch.TryParse(text, out _));

    [Fact]
    public void ParallelismRejectsZeroThreads() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelParallelism.MaxThreads = 0);

    [Fact]
    public void GoldenFixturesAreCopiedNextToTheTests()
    {
        var c = GoldenFile.OpCase("conv2d_k3_s1_p1");
        Assert.Equal("conv2d", c.Op);
        Assert.Equal(new[] { 2, 3, 7, 7 }, c.Input("x").Shape);
    }
}

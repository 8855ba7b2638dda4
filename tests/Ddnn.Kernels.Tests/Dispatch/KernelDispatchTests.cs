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
    [InlineData("avx512", KernelPath.Avx512)]
    public void ParsesPathNames(string text, KernelPath expected)
    {
        Assert.True(KernelDispatch.TryParse(text, out var path));
        Assert.Equal(expected, path);
    }

    [Theory]
    [InlineData("")]
    [InlineData("avx1024")]
    [InlineData(null)]
    public void RejectsUnknownPathNames(string? text) => Assert.False(KernelDispatch.TryParse(text, out _));

    [Fact]
    public void ParallelismRejectsZeroThreads()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelParallelism.Use(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelParallelism.DefaultMaxThreads = 0);
    }

    [Fact]
    public void UnsupportedPathsAreRefusedBeforeAnythingChanges()
    {
        var before = KernelDispatch.DefaultPath;
        Assert.Throws<PlatformNotSupportedException>(() => KernelDispatch.Use((KernelPath)99));
        Assert.Throws<PlatformNotSupportedException>(() => KernelDispatch.DefaultPath = (KernelPath)99);
        Assert.Equal(before, KernelDispatch.DefaultPath);
    }

    [Fact]
    public void NestedScopesRestoreInnermostFirst()
    {
        using (KernelParallelism.Use(3))
        {
            using (KernelParallelism.Use(1))
                Assert.Equal(1, KernelParallelism.MaxThreads);
            Assert.Equal(3, KernelParallelism.MaxThreads);
        }
    }

    [Fact]
    public void ScopesFlowIntoTheParallelWorkThatAKernelStarts()
    {
        // The barrier holds each part until the other has started, so the two parts run on two threads at once:
        // one of them is a pool thread that only sees the scope if it flows.
        var seen = new (KernelPath Path, int Threads, int Thread)[2];
        using var bothRunning = new Barrier(2);
        using (KernelDispatch.Use(KernelPath.Scalar))
        using (KernelParallelism.Use(7))
            Parallel.For(0, seen.Length, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
            {
                Assert.True(bothRunning.SignalAndWait(TimeSpan.FromSeconds(30)), "the second part never started");
                seen[i] = (KernelDispatch.Active, KernelParallelism.MaxThreads, Environment.CurrentManagedThreadId);
            });
        Assert.NotEqual(seen[0].Thread, seen[1].Thread);
        Assert.All(seen, s => Assert.Equal((KernelPath.Scalar, 7), (s.Path, s.Threads)));
    }

    [Fact]
    public async Task ConcurrentScopesDoNotSeeEachOther()
    {
        // Both flows hold their scope open at the same moment; each must still read its own values.
        using var bothOpen = new Barrier(2);
        (KernelPath, int) Run(KernelPath path, int threads)
        {
            using (KernelDispatch.Use(path))
            using (KernelParallelism.Use(threads))
            {
                Assert.True(bothOpen.SignalAndWait(TimeSpan.FromSeconds(30)), "the other flow never opened its scope");
                var seen = (KernelDispatch.Active, KernelParallelism.MaxThreads);
                Assert.True(bothOpen.SignalAndWait(TimeSpan.FromSeconds(30)), "the other flow never read its scope");
                return seen;
            }
        }
        var first = Task.Factory.StartNew(() => Run(KernelPath.Scalar, 2), TaskCreationOptions.LongRunning);
        var second = Task.Factory.StartNew(() => Run(KernelDispatch.Best, 5), TaskCreationOptions.LongRunning);
        Assert.Equal((KernelPath.Scalar, 2), await first);
        Assert.Equal((KernelDispatch.Best, 5), await second);
    }

    [Fact]
    public void GoldenFixturesAreCopiedNextToTheTests()
    {
        var c = GoldenFile.OpCase("conv2d_k3_s1_p1");
        Assert.Equal("conv2d", c.Op);
        Assert.Equal(new[] { 2, 3, 7, 7 }, c.Input("x").Shape);
    }
}

using Ddnn.Bench.Benchmarks;
using Ddnn.Kernels;

namespace Ddnn.Bench.Tests.Benchmarks;

public class BenchReportTests
{
    private static Measurement Gemm(KernelPath path, double microseconds) =>
        new("FloatGemmBenchmarks", "Gemm256", $"Path={path}", microseconds * 1000, 2.0 * 256 * 256 * 256, WorkUnit.Flop, 0);

    private static string[] Labels(Ddnn.Training.Reporting.ResultTable table) =>
        Enumerable.Range(0, table.RowCount).Select(r => (string)table[r, 0]!).ToArray();

    [Fact]
    public void PathComparedKernelsGetARowPerPathTheWidestWithTheTargetAgainstTheWidestCeiling()
    {
        var fma = new Measurement("CeilingBenchmarks", "FmaPeakLoop", "", 100_000, 19.2e6, WorkUnit.Flop, 0);
        var measurements = new List<Measurement> { fma };
        measurements.AddRange(BenchmarkPaths.Compared.Select((p, i) => Gemm(p, 400.0 / (i + 1))));
        var table = BenchReport.Build(measurements, "test");
        var labels = Labels(table);

        Assert.Equal($"FMA peak loop, {FmaPeak.WidestBits}-bit, 1 thread (ceiling)", labels[0]);
        var widest = Array.IndexOf(labels, $"float GEMM 256x256x256, 1 thread, {BenchmarkPaths.Widest}");
        Assert.True(widest > 0, string.Join(" | ", labels));
        Assert.Equal($"FMA peak, {FmaPeak.WidestBits}-bit", table[widest, 4]);
        Assert.Equal(">= 0.75", table[widest, 7]);
        foreach (var path in BenchmarkPaths.Compared.Where(p => p != BenchmarkPaths.Widest))
        {
            var row = Array.IndexOf(labels, $"float GEMM 256x256x256, 1 thread, {path}");
            Assert.True(row > widest, string.Join(" | ", labels));
            Assert.Null(table[row, 7]); // the target belongs to the widest path
            Assert.Equal($"  {BenchmarkPaths.Widest} vs {path}", labels[row + 1]);
            Assert.Equal((double)BenchmarkPaths.Compared.Count, (double)table[row + 1, 6]!, 6);
        }
    }

    [Fact]
    public void ComparedPathsAreSupportedAndNarrowestFirst()
    {
        Assert.NotEmpty(BenchmarkPaths.Compared);
        Assert.All(BenchmarkPaths.Compared, p => Assert.True(KernelDispatch.IsSupported(p)));
        Assert.Equal(BenchmarkPaths.Compared.Order(), BenchmarkPaths.Compared);
    }

    [Fact]
    public void TheCeilingLoopsAgreeWithTheLibraryCounter()
    {
        var a = BenchmarkData.Words(1024 + 77, 1);
        var b = BenchmarkData.Words(1024 + 77, 2);
        var expected = Ddnn.Kernels.Binary.BinaryDot.XorPopCount(a, b);
        if (XorPopCountPeak.IsSupported) Assert.Equal(expected, XorPopCountPeak.Count(a, b));
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported) Assert.Equal(expected, XorPopCountPeak.Count256(a, b));
        Assert.True(float.IsFinite(FmaPeak.Run(1000)));
    }
}

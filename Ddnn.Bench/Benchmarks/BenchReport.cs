using System.Globalization;
using Ddnn.Kernels;
using Ddnn.Training.Reporting;

namespace Ddnn.Bench.Benchmarks;

/// <summary>
/// Turns the medians of one <c>ddnn bench</c> run into the target table: what was measured, its rate, what it is
/// compared with (in-run ceiling at the widest vector width, float baseline, one thread, another kernel path or the
/// absolute target), the ratio, the target and whether it is met. Kernels measured on several paths
/// (<see cref="BenchmarkPaths"/>) get a row per path, the widest carrying the target. Rows whose measurements are
/// missing (suite not run, case failed) are left out.
/// </summary>
public sealed class BenchReport
{
    private const int TrainingTarget1Thread = 3500;
    private const int TrainingTarget2Threads = 6000;
    private const double DeviceSpeedupTarget = 10;
    private const int CascadeTarget = 7000;
    private const int LibtorchCascadeReference = 680;

    private readonly Dictionary<string, Measurement> _byKey;
    private readonly ResultTable _table;

    private BenchReport(IEnumerable<Measurement> measurements, string footnote)
    {
        _byKey = measurements.ToDictionary(m => m.Key, StringComparer.Ordinal);
        _table = new ResultTable("ddnn bench: medians and targets",
        [
            ResultColumn.Text("what"),
            ResultColumn.Number("median", "F1", "µs"),
            ResultColumn.Number("rate", "F1"),
            ResultColumn.Text("unit"),
            ResultColumn.Text("compared with"),
            ResultColumn.Number("its rate", "F1"),
            ResultColumn.Number("ratio", "F2"),
            ResultColumn.Text("target"),
            ResultColumn.Text("met"),
            ResultColumn.Number("allocated", "F0", "B/op"),
        ], footnote);
    }

    /// <summary>The table built from <paramref name="measurements"/>; <paramref name="footnote"/> states the run conditions.</summary>
    public static ResultTable Build(IReadOnlyList<Measurement> measurements, string footnote)
    {
        ArgumentNullException.ThrowIfNull(measurements);
        var report = new BenchReport(measurements, footnote);
        report.AddKernelRows();
        report.AddTrainingRows();
        report.AddDeployRows();
        return report._table;
    }

    private void AddKernelRows()
    {
        var fma = Find("CeilingBenchmarks.FmaPeakLoop");
        var fmaName = $"FMA peak, {FmaPeak.WidestBits}-bit";
        Row($"FMA peak loop, {FmaPeak.WidestBits}-bit, 1 thread (ceiling)", fma);
        if (FmaPeak.WidestBits > 256)
            Row("FMA peak loop, 256-bit, 1 thread", Find("CeilingBenchmarks.FmaPeak256Loop"), fma, fmaName);

        var harleySeal = Find("CeilingBenchmarks.HarleySealXorPopCount");
        var harleySeal256 = XorPopCountPeak.WidestBits > 256 ? Find("CeilingBenchmarks.HarleySeal256XorPopCount") : null;
        var library = Find("CeilingBenchmarks.LibraryXorPopCount");
        var harleySealName = $"Harley-Seal, {XorPopCountPeak.WidestBits}-bit";
        Row($"XOR-popcount Harley-Seal, {XorPopCountPeak.WidestBits}-bit, L1, 1 thread (ceiling)", harleySeal);
        Row("XOR-popcount Harley-Seal, 256-bit, L1, 1 thread", harleySeal256, harleySeal, harleySealName);
        Row("XOR-popcount BinaryDot (library), L1, 1 thread", library, harleySeal, harleySealName);
        // The ceiling is the fastest streaming loop measured in this run.
        var popCeiling = new[] { harleySeal, harleySeal256, library }.Where(m => m is not null).MaxBy(m => m!.Rate);
        var popName = $"XOR-popcount ceiling, {XorPopCountPeak.WidestBits}-bit";

        PathRows("float GEMM 256x256x256, 1 thread", p => Find($"FloatGemmBenchmarks.Gemm256(Path={p})"),
            (what, m, widest) => Row(what, m, fma, fmaName, widest ? 0.75 : null));
        foreach (var bits in new[] { 4096, 16384 })
            PathRows($"binary GEMM 256x256, K={bits} bits, 1 thread", p => Find($"BinaryGemmBenchmarks.BinaryGemm256(Bits={bits},Path={p})"),
                (what, m, widest) => Row(what, m, popCeiling, popName, widest ? 0.80 : null));

        Measurement? FloatConv(KernelPath p) => Find($"BinaryConvBenchmarks.FloatConv(Path={p})");
        Measurement? BinaryLayer(KernelPath p) => Find($"BinaryConvBenchmarks.BinaryLayer(Path={p})");
        PathRows("float conv 3x3 64->64 32x32 b1, 1 thread", FloatConv, (what, m, _) => Row(what, m));
        PathRows("binary conv layer 3x3 64->64 32x32 b1 (pack+conv+threshold), 1 thread", BinaryLayer,
            (what, m, widest) => Speedup(what, m, FloatConv(PathOf(m)), "float conv, same shape and path", widest ? 5.0 : null));
        var widestLayer = BinaryLayer(BenchmarkPaths.Widest);
        foreach (var (stage, label) in new[] { ("Pack", "pack input signs"), ("Conv", "XOR-popcount conv"), ("Threshold", "BN+sign threshold") })
            Share($"  stage: {label}, {BenchmarkPaths.Widest}", Find($"BinaryConvBenchmarks.BinaryStage{stage}(Path={BenchmarkPaths.Widest})"), widestLayer);

        foreach (var (method, label) in new[]
                 {
                     ("Gemm1024", "float GEMM 1024^3"),
                     ("FloatConvLarge", "float conv 3x3 64->64 32x32 b8"),
                     ("BinaryConvLarge", "binary conv layer 3x3 256->256 32x32 b1"),
                 })
        {
            var one = Find($"ParallelBenchmarks.{method}(Threads=1)");
            Row($"{label}, 1 thread", one);
            Speedup($"{label}, 2 threads", Find($"ParallelBenchmarks.{method}(Threads=2)"), one, "1 thread", 1.7);
        }
    }

    private void AddTrainingRows()
    {
        Measurement? Step(KernelPath p, int threads) => Find($"TrainingBenchmarks.TrainStep(Path={p},Threads={threads})");
        foreach (var (threads, target) in new[] { (1, TrainingTarget1Thread), (2, TrainingTarget2Threads) })
            PathRows($"train MV-FMNIST MP-CC f=4, batch 128, {threads} thread{(threads > 1 ? "s" : "")}", p => Step(p, threads),
                (what, m, widest) =>
                {
                    if (widest) Absolute(what, m, target);
                    else Row(what, m);
                });
        var widestPath = BenchmarkPaths.Widest;
        Speedup($"train, 2 threads vs 1, {widestPath}", Step(widestPath, 2), Step(widestPath, 1), "1 thread", null);
    }

    private void AddDeployRows()
    {
        Measurement? Packed(KernelPath p) => Find($"DeployBenchmarks.PackedDevice(Path={p})");
        Measurement? Autograd(KernelPath p) => Find($"DeployBenchmarks.AutogradDevice(Path={p})");
        var setup = DeployBenchmarks.LastSetup;
        var model = setup?.Model ?? "deploy model";
        PathRows($"autograd device forward (eval, NoGrad), batch 1, 1 thread [{model}]", Autograd, (what, m, _) => Row(what, m));
        var shortcut = setup is null || double.IsNaN(setup.ExactOrderFraction)
            ? ""
            : string.Create(CultureInfo.InvariantCulture, $" (split sums; {setup.ExactOrderFraction:P1} of groups in exact order)");
        PathRows($"packed device partition (DevicePartition.Run), batch 1, 1 thread{shortcut}", Packed,
            (what, m, widest) => Speedup(what, m, Autograd(PathOf(m)), "autograd device forward, same path",
                widest ? DeviceSpeedupTarget : null));
        var widestPath = BenchmarkPaths.Widest;
        var allCloud = Find($"DeployBenchmarks.CascadeAllCloud(Path={widestPath})");
        var local = Find($"DeployBenchmarks.CascadeLocalExits(Path={widestPath})");
        Absolute($"cascade runtime, T = 0 (all to the cloud), batch 1, 1 thread, {widestPath}", allCloud, CascadeTarget);
        Row("  same vs the libtorch reference", allCloud, LibtorchReference(allCloud), "libtorch reference");
        var localLabel = setup is null
            ? "cascade runtime, realistic local exits, batch 1, 1 thread"
            : string.Create(CultureInfo.InvariantCulture,
                $"cascade runtime, T = {setup.LocalThreshold:0.####} ({setup.LocalExitFraction:P0} local exits), batch 1, 1 thread");
        Absolute($"{localLabel}, {widestPath}", local, CascadeTarget);
        Row("  same vs the libtorch reference", local, LibtorchReference(local), "libtorch reference");
    }

    /// <summary>
    /// One row per compared kernel path, the widest first (it carries the target), each narrower path followed by how
    /// much faster the widest one ran in this run.
    /// </summary>
    private void PathRows(string what, Func<KernelPath, Measurement?> find, Action<string, Measurement?, bool> row)
    {
        var widest = BenchmarkPaths.Widest;
        row($"{what}, {widest}", find(widest), true);
        foreach (var path in BenchmarkPaths.Compared.Where(p => p != widest).Reverse())
        {
            row($"{what}, {path}", find(path), false);
            Speedup($"  {widest} vs {path}", find(widest), find(path), $"{path}, same run", null);
        }
    }

    /// <summary>The kernel path a path-compared measurement ran on (the widest for a missing one).</summary>
    private static KernelPath PathOf(Measurement? m) =>
        m?.Parameters.Split(',').Select(p => p.Split('=')).FirstOrDefault(p => p[0] == nameof(PathComparedBenchmark.Path)) is [_, var value]
        && Enum.TryParse<KernelPath>(value, out var path)
            ? path
            : BenchmarkPaths.Widest;

    /// <summary>The libtorch cascade figure (680 samples/s) as a measurement of the same unit, so ratios are rate / 680.</summary>
    private static Measurement? LibtorchReference(Measurement? like) => like is null
        ? null
        : new Measurement("libtorch", "reference", "", 1e9 / LibtorchCascadeReference, 1, WorkUnit.Sample, 0);

    private Measurement? Find(string key) => _byKey.GetValueOrDefault(key);

    /// <summary>A rate compared with another rate of the same unit; ratio = rate / baseline rate.</summary>
    private void Row(string what, Measurement? m, Measurement? baseline = null, string? baselineName = null, double? target = null)
    {
        if (m is null) return;
        var ratio = baseline is null ? (double?)null : m.Rate / baseline.Rate;
        Add(what, m, baseline is null ? null : baselineName, baseline?.DisplayRate, ratio, target);
    }

    /// <summary>Same work done faster: ratio = baseline time / time (rates may be in different units, e.g. bit-MAC vs MAC).</summary>
    private void Speedup(string what, Measurement? m, Measurement? baseline, string baselineName, double? target)
    {
        if (m is null) return;
        Add(what, m, baseline is null ? null : baselineName, baseline?.DisplayRate,
            baseline is null ? null : baseline.MedianNanoseconds / m.MedianNanoseconds, target, "x");
    }

    /// <summary>A stage's share of its whole: ratio = stage time / whole time (no target).</summary>
    private void Share(string what, Measurement? stage, Measurement? whole)
    {
        if (stage is null) return;
        _table.AddRow(what, stage.MedianNanoseconds / 1000, null, null, whole is null ? null : "share of layer time", null,
            whole is null ? null : stage.MedianNanoseconds / whole.MedianNanoseconds, null, null, stage.AllocatedBytes);
    }

    /// <summary>A rate against an absolute target rate; ratio = rate / target.</summary>
    private void Absolute(string what, Measurement? m, double targetRate)
    {
        if (m is null) return;
        var ratio = m.DisplayRate / targetRate;
        _table.AddRow(what, m.MedianNanoseconds / 1000, m.DisplayRate, WorkUnits.RateName(m.Unit), "target rate", targetRate,
            ratio, string.Create(CultureInfo.InvariantCulture, $">= {targetRate:N0} {WorkUnits.RateName(m.Unit)}"),
            ratio >= 1 ? "yes" : "NO", m.AllocatedBytes);
    }

    private void Add(string what, Measurement m, string? baselineName, double? baselineRate, double? ratio, double? target,
        string targetSuffix = "")
    {
        string? targetText = target is { } t
            ? targetSuffix.Length > 0 ? string.Create(CultureInfo.InvariantCulture, $">= {t:0.0##}{targetSuffix}")
            : string.Create(CultureInfo.InvariantCulture, $">= {t:0.00}")
            : null;
        string? met = target is { } goal && ratio is { } r ? (r >= goal ? "yes" : "NO") : null;
        _table.AddRow(what, m.MedianNanoseconds / 1000, m.DisplayRate, WorkUnits.RateName(m.Unit), baselineName, baselineRate,
            ratio, targetText, met, m.AllocatedBytes);
    }
}

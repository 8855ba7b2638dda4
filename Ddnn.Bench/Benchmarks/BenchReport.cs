using System.Globalization;
using Ddnn.Training.Reporting;

namespace Ddnn.Bench.Benchmarks;

/// <summary>
/// Turns the medians of one <c>ddnn bench</c> run into the target table: what was measured, its rate, what it is
/// compared with (in-run ceiling, float baseline, one thread, or the absolute target), the ratio, the target and
/// whether it is met. Rows whose measurements are missing (suite not run, case failed) are left out.
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
        var harleySeal = Find("CeilingBenchmarks.HarleySealXorPopCount");
        var library = Find("CeilingBenchmarks.LibraryXorPopCount");
        Row("FMA peak loop, 1 thread (ceiling)", fma);
        Row("XOR-popcount Harley-Seal, L1, 1 thread (ceiling)", harleySeal);
        Row("XOR-popcount BinaryDot (library), L1, 1 thread", library, harleySeal, "Harley-Seal loop");
        // The ceiling is the fastest streaming loop measured in this run.
        var popCeiling = new[] { harleySeal, library }.Where(m => m is not null).MaxBy(m => m!.Rate);

        Row("float GEMM 256x256x256, 1 thread", Find("FloatGemmBenchmarks.Gemm256"), fma, "FMA peak", 0.75);
        foreach (var bits in new[] { 4096, 16384 })
            Row($"binary GEMM 256x256, K={bits} bits, 1 thread", Find($"BinaryGemmBenchmarks.BinaryGemm256(Bits={bits})"),
                popCeiling, "XOR-popcount ceiling", 0.80);

        var floatConv = Find("BinaryConvBenchmarks.FloatConv");
        var binaryLayer = Find("BinaryConvBenchmarks.BinaryLayer");
        Row("float conv 3x3 64->64 32x32 b1, 1 thread", floatConv);
        Speedup("binary conv layer 3x3 64->64 32x32 b1 (pack+conv+threshold), 1 thread", binaryLayer, floatConv,
            "float conv, same shape", 5.0);
        foreach (var (stage, label) in new[] { ("Pack", "pack input signs"), ("Conv", "XOR-popcount conv"), ("Threshold", "BN+sign threshold") })
            Share($"  stage: {label}", Find($"BinaryConvBenchmarks.BinaryStage{stage}"), binaryLayer);

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
        var one = Find("TrainingBenchmarks.TrainStep(Threads=1)");
        var two = Find("TrainingBenchmarks.TrainStep(Threads=2)");
        Absolute("train MV-FMNIST MP-CC f=4, batch 128, 1 thread", one, TrainingTarget1Thread);
        Absolute("train MV-FMNIST MP-CC f=4, batch 128, 2 threads", two, TrainingTarget2Threads);
        Speedup("train, 2 threads vs 1", two, one, "1 thread", null);
    }

    private void AddDeployRows()
    {
        var packed = Find("DeployBenchmarks.PackedDevice");
        var autograd = Find("DeployBenchmarks.AutogradDevice");
        var setup = DeployBenchmarks.LastSetup;
        var model = setup?.Model ?? "deploy model";
        Row($"autograd device forward (eval, NoGrad), batch 1, 1 thread [{model}]", autograd);
        var shortcut = setup is null || double.IsNaN(setup.ExactOrderFraction)
            ? ""
            : string.Create(CultureInfo.InvariantCulture, $" (split sums; {setup.ExactOrderFraction:P1} of groups in exact order)");
        Speedup($"packed device partition (DevicePartition.Run), batch 1, 1 thread{shortcut}", packed, autograd, "autograd device forward",
            DeviceSpeedupTarget);
        var allCloud = Find("DeployBenchmarks.CascadeAllCloud");
        var local = Find("DeployBenchmarks.CascadeLocalExits");
        Absolute("cascade runtime, T = 0 (all to the cloud), batch 1, 1 thread", allCloud, CascadeTarget);
        Row("  same vs the libtorch reference", allCloud, LibtorchReference(allCloud), "libtorch reference");
        var localLabel = setup is null
            ? "cascade runtime, realistic local exits, batch 1, 1 thread"
            : string.Create(CultureInfo.InvariantCulture,
                $"cascade runtime, T = {setup.LocalThreshold:0.####} ({setup.LocalExitFraction:P0} local exits), batch 1, 1 thread");
        Absolute(localLabel, local, CascadeTarget);
        Row("  same vs the libtorch reference", local, LibtorchReference(local), "libtorch reference");
    }

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

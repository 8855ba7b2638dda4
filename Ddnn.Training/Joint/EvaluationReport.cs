using System.Globalization;
using System.Text.Json;
using Ddnn.Core;
using Ddnn.Core.Inference;
using Ddnn.Core.Model;
using Ddnn.Training.Calibration;
using Ddnn.Training.Data;
using Ddnn.Training.Reporting;

namespace Ddnn.Training.Joint;

/// <summary>One exit's accuracy: against the global label on test and validation, and (device exits) against the per-view labels of visible test views.</summary>
public sealed record ExitAccuracy(string Exit, double TestAccuracy, double ValidationAccuracy, double? TestViewAccuracy);

/// <summary>The thresholds chosen on the validation split and what they achieved there.</summary>
public sealed record CalibrationSummary(string Target, double[] Thresholds, double ValidationAccuracy, double ValidationCloudAccuracy,
    double ValidationBytesPerDevice, double ValidationLocalExitFraction, bool TargetMet);

/// <summary>The entropy cascade on the test split at the calibrated thresholds, with the traffic it causes.</summary>
/// <param name="ExitFractions">Fraction of test samples leaving at each of <paramref name="Levels"/>.</param>
/// <param name="LocalExitFraction">The paper's l (0 without a local exit).</param>
public sealed record CascadeSummary(string[] Levels, double[] Thresholds, double[] ExitFractions, double Accuracy, double LocalExitFraction,
    double BytesPerDevice, double CloudOnlyBytesPerDevice, double RawOffloadBytesPerDevice, double ReductionVersusRaw, double EdgesToCloudBytes);

/// <summary>Test accuracy of the fused exits (local, edges, cloud) and of the cascade when <paramref name="Device"/> is absent for every sample.</summary>
public sealed record DeviceAbsentAccuracy(int Device, string[] Exits, double[] Accuracy, double CascadeAccuracy);

/// <summary>
/// The evaluation of a trained DDNN on a data set: every exit's accuracy, thresholds calibrated on validation and the
/// cascade they give on test (local-exit fraction, overall accuracy, bytes per device versus raw offload), and the
/// accuracy with each single device absent. Serializes to JSON and prints as aligned tables.
/// </summary>
public sealed record EvaluationReport(string Dataset, int ValidationSamples, int TestSamples, ExitAccuracy[] Exits,
    CalibrationSummary Calibration, CascadeSummary TestCascade, DeviceAbsentAccuracy[] DeviceAbsent)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Evaluates <paramref name="model"/>: calibrates on <paramref name="validation"/>, reports on <paramref name="test"/>.</summary>
    /// <param name="log">Receives a line per stage (optional).</param>
    public static EvaluationReport Evaluate(DdnnModel model, MultiViewDataset validation, MultiViewDataset test, CalibrationTarget target,
        string dataset, int batchSize = 256, TextWriter? log = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(target);
        if (validation.Count == 0) throw new ArgumentException($"the validation split {validation.Name} is empty; thresholds cannot be calibrated", nameof(validation));
        if (test.Count == 0) throw new ArgumentException($"the test split {test.Name} is empty", nameof(test));
        var config = model.Config;
        var evaluator = new DdnnEvaluator(model, batchSize);
        var ledger = new CommunicationLedger(config);

        log?.WriteLine($"scoring {validation.Name} ({validation.Count} samples) and {test.Name} ({test.Count} samples)");
        var val = evaluator.Score(validation);
        cancellation.ThrowIfCancellationRequested();
        var tst = evaluator.Score(test);
        var layout = tst.Layout;
        var valAccuracy = val.ExitAccuracies();
        var testAccuracy = tst.ExitAccuracies();
        var exits = new ExitAccuracy[layout.Count];
        for (var e = 0; e < exits.Length; e++)
        {
            double? view = e < config.Devices && tst.ViewAccuracy(e) is var v && !double.IsNaN(v) ? v : null;
            exits[e] = new ExitAccuracy(layout.Names[e], testAccuracy[e], valAccuracy[e], view);
        }

        var calibration = ThresholdCalibrator.Calibrate(val.CascadeLevels, val.Labels, ledger, target);
        var calibrationSummary = new CalibrationSummary(Describe(target), calibration.Thresholds, calibration.Accuracy,
            calibration.CloudOnlyAccuracy, calibration.BytesPerDevice, calibration.LocalExitFraction, calibration.TargetMet);
        var cascade = Summarize(tst, calibration.Thresholds, ledger);

        var absent = new List<DeviceAbsentAccuracy>();
        if (config.Devices > 1)
        {
            var fused = Enumerable.Range(layout.DeviceCount, layout.Count - layout.DeviceCount).ToArray();
            for (var d = 0; d < config.Devices; d++)
            {
                cancellation.ThrowIfCancellationRequested();
                log?.WriteLine($"scoring {test.Name} without device {d}");
                var scores = evaluator.Score(test, absentDevice: d);
                var accuracy = scores.ExitAccuracies();
                absent.Add(new DeviceAbsentAccuracy(d, fused.Select(e => layout.Names[e]).ToArray(), fused.Select(e => accuracy[e]).ToArray(),
                    scores.Cascade(calibration.Thresholds).Accuracy(scores.Labels)));
            }
        }
        return new EvaluationReport(dataset, validation.Count, test.Count, exits, calibrationSummary, cascade, absent.ToArray());
    }

    // Derived records synthesize their own ToString, which hides CalibrationTarget's readable one.
    private static string Describe(CalibrationTarget target) => target switch
    {
        CalibrationTarget.AccuracyDrop d => string.Create(CultureInfo.InvariantCulture, $"accuracy at most {d.MaxDrop * 100:0.##} points below cloud-only, fewest bytes"),
        CalibrationTarget.ByteBudget b => string.Create(CultureInfo.InvariantCulture, $"at most {b.MaxBytesPerDevice:0.##} bytes per device, best accuracy"),
        _ => target.GetType().Name,
    };

    private static CascadeSummary Summarize(SplitScores scores, double[] thresholds, CommunicationLedger ledger)
    {
        var run = scores.Cascade(thresholds);
        var traffic = ledger.Traffic(run);
        var fractions = new double[run.LevelNames.Count];
        for (var l = 0; l < fractions.Length; l++) fractions[l] = run.ExitFraction(l);
        var local = ledger.Config.HasLocalExit ? fractions[0] : 0;
        return new CascadeSummary(run.LevelNames.ToArray(), thresholds, fractions, run.Accuracy(scores.Labels), local,
            traffic.PerDevice, ledger.BytesPerDevice(0), traffic.RawOffloadPerDevice, traffic.ReductionVersusRaw, traffic.EdgesToCloud);
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Writes <see cref="ToJson"/> atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());

    /// <summary>Prints the report as aligned tables.</summary>
    public void WriteTables(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var inv = CultureInfo.InvariantCulture;
        string Pct(double v) => double.IsNaN(v) ? "-" : (100 * v).ToString("0.00", inv);

        output.WriteLine($"accuracy of each exit (%), {Dataset}: validation {ValidationSamples} samples, test {TestSamples} samples");
        var exits = new TextTable("exit", "test", "validation", "test, visible views vs view label");
        foreach (var e in Exits)
            exits.AddRow(e.Exit, Pct(e.TestAccuracy), Pct(e.ValidationAccuracy), e.TestViewAccuracy is { } v ? Pct(v) : "-");
        exits.Write(output, "  ");
        output.WriteLine();

        var c = Calibration;
        var t = TestCascade;
        output.WriteLine($"entropy cascade at thresholds calibrated on validation (target: {c.Target}{(c.TargetMet ? "" : ", NOT met on validation")})");
        var cascade = new TextTable("split", "T", "local exit %", "overall acc %", "cloud-only acc %");
        var thresholds = c.Thresholds.Length == 0 ? "-" : string.Join("/", c.Thresholds.Select(x => x.ToString("0.###", inv)));
        cascade.AddRow("validation", thresholds, Pct(c.ValidationLocalExitFraction), Pct(c.ValidationAccuracy), Pct(c.ValidationCloudAccuracy));
        var cloudTest = Exits[^1].TestAccuracy;
        cascade.AddRow("test", thresholds, Pct(t.LocalExitFraction), Pct(t.Accuracy), Pct(cloudTest));
        cascade.Write(output, "  ");
        if (t.Levels.Length > 1)
            output.WriteLine("  test exits by level: " + string.Join(", ", t.Levels.Select((l, i) => $"{l} {Pct(t.ExitFractions[i])}%")));
        output.WriteLine();

        output.WriteLine("communication per device per sample (bytes, test)");
        var bytes = new TextTable("scheme", "bytes/device", "vs raw offload");
        bytes.AddRow("DDNN cascade at T", t.BytesPerDevice.ToString("0.00", inv), (t.RawOffloadBytesPerDevice / t.BytesPerDevice).ToString("0.0", inv) + "x less");
        bytes.AddRow("DDNN, every sample to the cloud", t.CloudOnlyBytesPerDevice.ToString("0.00", inv), (t.RawOffloadBytesPerDevice / t.CloudOnlyBytesPerDevice).ToString("0.0", inv) + "x less");
        bytes.AddRow("raw offload (8-bit input)", t.RawOffloadBytesPerDevice.ToString("0", inv), "1.0x");
        bytes.Write(output, "  ");
        if (t.EdgesToCloudBytes > 0) output.WriteLine($"  edges -> cloud: {t.EdgesToCloudBytes.ToString("0.00", inv)} bytes per sample (all edges)");
        output.WriteLine();

        if (DeviceAbsent.Length == 0) return;
        output.WriteLine("test accuracy (%) with one device absent for every sample");
        var names = DeviceAbsent[0].Exits;
        var absent = new TextTable(["absent device", .. names, "cascade at T"]);
        absent.AddRow(["none", .. names.Select(n => Pct(Exits.First(e => e.Exit == n).TestAccuracy)), Pct(t.Accuracy)]);
        foreach (var a in DeviceAbsent)
            absent.AddRow([$"dev{a.Device}", .. a.Accuracy.Select(Pct), Pct(a.CascadeAccuracy)]);
        absent.Write(output, "  ");
    }
}

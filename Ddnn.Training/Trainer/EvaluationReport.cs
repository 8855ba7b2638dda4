using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ddnn.Core;
using Ddnn.Core.Inference;
using Ddnn.Core.Model;
using Ddnn.Training.Calibration;
using Ddnn.Training.Data;
using Ddnn.Training.Reporting;

namespace Ddnn.Training.Trainer;

/// <summary>One exit's accuracy: against the global label on test and validation, and (device exits) against the per-view labels of visible test views.</summary>
public sealed record ExitAccuracy(string Exit, double TestAccuracy, double ValidationAccuracy, double? TestViewAccuracy);

/// <summary>The thresholds chosen on the validation split and what they achieved there.</summary>
public sealed record CalibrationSummary(string Target, double[] Thresholds, double ValidationAccuracy, double ValidationCloudAccuracy,
    double ValidationBytesPerDevice, double ValidationLocalExitFraction, bool TargetMet);

/// <summary>The entropy cascade on the test split at the calibrated thresholds, with the traffic it causes.</summary>
/// <param name="Levels">Names of the cascade levels in order: "local" (if any), the edge level (if any: "edge0", or "edge" for several edges), "cloud".</param>
/// <param name="Thresholds">Normalized-entropy threshold of each level but the cloud, chosen on validation.</param>
/// <param name="ExitFractions">Fraction of test samples leaving at each of <paramref name="Levels"/>.</param>
/// <param name="Accuracy">Overall cascade accuracy on test against the global label.</param>
/// <param name="LocalExitFraction">The paper's l (0 without a local exit).</param>
/// <param name="BytesPerDevice">Average bytes one device sends per test sample at these thresholds (paper formula).</param>
/// <param name="CloudOnlyBytesPerDevice">Bytes per device and sample when every sample goes to the cloud (l = 0).</param>
/// <param name="RawOffloadBytesPerDevice">Bytes per device and sample to offload the raw input (8 bits per pixel and channel).</param>
/// <param name="ReductionVersusRaw">Raw-offload bytes divided by <paramref name="BytesPerDevice"/>.</param>
/// <param name="EdgesToCloudBytes">Average bytes all edges together send to the cloud per test sample (0 without edges).</param>
public sealed record CascadeSummary(string[] Levels, double[] Thresholds, double[] ExitFractions, double Accuracy, double LocalExitFraction,
    double BytesPerDevice, double CloudOnlyBytesPerDevice, double RawOffloadBytesPerDevice, double ReductionVersusRaw, double EdgesToCloudBytes);

/// <summary>Test accuracy of the fused exits (local, edges, cloud) and of the cascade when <paramref name="Device"/> is absent for every sample.</summary>
public sealed record DeviceAbsentAccuracy(int Device, string[] Exits, double[] Accuracy, double CascadeAccuracy);

/// <summary>
/// The evaluation of a trained DDNN on a data set: every exit's accuracy, thresholds calibrated on validation and the
/// cascade they give on test (local-exit fraction, overall accuracy, bytes per device versus raw offload), and the
/// accuracy with each single device absent. Serializes to JSON and prints as aligned tables.
/// </summary>
public sealed partial record EvaluationReport(string Dataset, int ValidationSamples, int TestSamples, ExitAccuracy[] Exits,
    CalibrationSummary Calibration, CascadeSummary TestCascade, DeviceAbsentAccuracy[] DeviceAbsent)
{
    [JsonSourceGenerationOptions(
        WriteIndented = true,
        PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
    [JsonSerializable(typeof(EvaluationReport))]
    private sealed partial class ReportContext : JsonSerializerContext;

    /// <summary>Evaluates <paramref name="model"/>: calibrates on <paramref name="validation"/>, reports on <paramref name="test"/>.</summary>
    /// <param name="model">The trained model, scored in evaluation mode.</param>
    /// <param name="validation">Split the thresholds are calibrated on.</param>
    /// <param name="test">Split the accuracies, cascade and device-absent figures are reported on.</param>
    /// <param name="target">What the calibration optimizes (e.g. an accuracy or a byte budget).</param>
    /// <param name="dataset">Name of the data set, recorded in the report.</param>
    /// <param name="batchSize">Samples per forward pass of the evaluator.</param>
    /// <param name="log">Receives a line per stage (optional).</param>
    /// <param name="cancellation">Checked between scoring passes.</param>
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
        var calibrationSummary = new CalibrationSummary(target.ToString(), calibration.Thresholds, calibration.Accuracy,
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

    /// <summary>The report as indented camelCase JSON (NaN and infinities as named literals).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, ReportContext.Default.EvaluationReport);

    /// <summary>Writes <see cref="ToJson"/> atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());

    /// <summary>Prints the report as aligned tables, one blank line after each.</summary>
    public void WriteTables(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        foreach (var table in Tables())
        {
            output.Write(table.ToConsoleString());
            output.WriteLine();
        }
    }

    /// <summary>The report as tables: exit accuracies, the calibrated cascade, communication and (several devices) device-absent accuracy.</summary>
    public IReadOnlyList<ResultTable> Tables()
    {
        var inv = CultureInfo.InvariantCulture;
        static double? Pct(double v) => double.IsNaN(v) ? null : 100 * v;
        static ResultColumn Percent(string header) => ResultColumn.Number(header, "F2", "%");
        var tables = new List<ResultTable>();

        var exits = new ResultTable($"accuracy of each exit, {Dataset}: validation {ValidationSamples} samples, test {TestSamples} samples",
            [ResultColumn.Text("exit"), Percent("test"), Percent("validation"), Percent("test, visible views vs view label")]);
        foreach (var e in Exits)
            exits.AddRow(e.Exit, Pct(e.TestAccuracy), Pct(e.ValidationAccuracy), e.TestViewAccuracy is { } v ? Pct(v) : null);
        tables.Add(exits);

        var c = Calibration;
        var t = TestCascade;
        var cascade = new ResultTable($"entropy cascade at thresholds calibrated on validation (target: {c.Target}{(c.TargetMet ? "" : ", NOT met on validation")})",
            [ResultColumn.Text("split"), ResultColumn.Text("T", ColumnAlignment.Right), Percent("local exit"), Percent("overall acc"), Percent("cloud-only acc")]);
        var thresholds = c.Thresholds.Length == 0 ? ResultTable.MissingDisplay : string.Join("/", c.Thresholds.Select(x => x.ToString("0.###", inv)));
        cascade.AddRow("validation", thresholds, Pct(c.ValidationLocalExitFraction), Pct(c.ValidationAccuracy), Pct(c.ValidationCloudAccuracy));
        cascade.AddRow("test", thresholds, Pct(t.LocalExitFraction), Pct(t.Accuracy), Pct(Exits[^1].TestAccuracy));
        if (t.Levels.Length > 1)
            cascade.Footnote = "test exits by level: " + string.Join(", ", t.Levels.Select((l, i) => string.Create(inv, $"{l} {100 * t.ExitFractions[i]:0.00}%")));
        tables.Add(cascade);

        var bytes = new ResultTable("communication per device per sample (test)",
            [ResultColumn.Text("scheme"), ResultColumn.Number("bytes/device", "F2", "B"), ResultColumn.Number("less than raw offload", "F1", "x")]);
        bytes.AddRow("DDNN cascade at T", t.BytesPerDevice, t.RawOffloadBytesPerDevice / t.BytesPerDevice);
        bytes.AddRow("DDNN, every sample to the cloud", t.CloudOnlyBytesPerDevice, t.RawOffloadBytesPerDevice / t.CloudOnlyBytesPerDevice);
        bytes.AddRow("raw offload (8-bit input)", t.RawOffloadBytesPerDevice, 1.0);
        if (t.EdgesToCloudBytes > 0) bytes.Footnote = string.Create(inv, $"edges -> cloud: {t.EdgesToCloudBytes:0.00} bytes per sample (all edges)");
        tables.Add(bytes);

        if (DeviceAbsent.Length == 0) return tables;
        var names = DeviceAbsent[0].Exits;
        var absent = new ResultTable("test accuracy with one device absent for every sample",
            [ResultColumn.Text("absent device"), .. names.Select(Percent), Percent("cascade at T")]);
        absent.AddRow(["none", .. names.Select(n => (object?)Pct(Exits.First(e => e.Exit == n).TestAccuracy)), Pct(t.Accuracy)]);
        foreach (var a in DeviceAbsent)
            absent.AddRow([$"dev{a.Device}", .. a.Accuracy.Select(x => (object?)Pct(x)), Pct(a.CascadeAccuracy)]);
        tables.Add(absent);
        return tables;
    }
}

using System.Globalization;
using Ddnn.Core.Inference;
using Ddnn.Core.Model;
using Ddnn.Training.Calibration;
using Ddnn.Training.Data;
using Ddnn.Training.Reporting;
using Ddnn.Training.Reporting.Plots;
using Ddnn.Training.Trainer;

namespace Ddnn.Training.Experiments;

/// <summary>
/// The six studies of the paper, built from trained models: table, plot, report section and the qualitative findings,
/// each decided by numbers from this run (thresholds always calibrated on validation, evaluated on test).
/// </summary>
public static class PaperStudies
{
    public const string SchemesId = "aggregation-schemes";
    public const string SweepId = "threshold-sweep";
    public const string DevicesId = "number-of-devices";
    public const string MissingId = "missing-device";
    public const string FiltersId = "filters";
    public const string RawOffloadId = "raw-offload";

    /// <summary>Accuracy within this many points of cloud-only counts as "near-cloud".</summary>
    public const double NearCloudPoints = 2;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static string Pct(double v) => (100 * v).ToString("F1", Inv) + "%";

    /// <summary>Study 1: all local-cloud aggregation schemes; <paramref name="runs"/> are named by scheme ("MP-CC", ...).</summary>
    public static StudyOutput Schemes(IReadOnlyList<TrainedModel> runs, string baseScheme = "MP-CC")
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0) throw new ArgumentException("no scheme was trained", nameof(runs));
        var table = new ResultTable("Aggregation schemes (test split, T calibrated on validation)",
        [
            ResultColumn.Text("scheme"), ResultColumn.Number("local acc", "F1", "%"), ResultColumn.Number("cloud acc", "F1", "%"),
            ResultColumn.Number("T", "F3"), ResultColumn.Number("local exit", "F1", "%"), ResultColumn.Number("overall acc", "F1", "%"),
        ]);
        foreach (var r in runs)
            table.AddRow(r.Name, 100 * r.LocalAccuracy, 100 * r.CloudAccuracy, r.Calibrated.Threshold, 100 * r.Calibrated.Test.LocalExitFraction,
                100 * r.Calibrated.Test.Accuracy);
        var plot = new BarChart("Aggregation schemes", "scheme (local-cloud)", "test accuracy %", runs.Select(r => r.Name).ToArray(),
        [
            new BarSeries("local", runs.Select(r => 100 * r.LocalAccuracy).ToArray()),
            new BarSeries("cloud", runs.Select(r => 100 * r.CloudAccuracy).ToArray()),
            new BarSeries("overall at T", runs.Select(r => 100 * r.Calibrated.Test.Accuracy).ToArray()),
        ]);

        var findings = new List<Finding>();
        var main = runs.FirstOrDefault(r => r.Name == baseScheme);
        if (main is not null)
        {
            // "Among the best": by the mean of cloud and overall accuracy, in the top third or within 2 points of the best.
            double Score(TrainedModel r) => (r.CloudAccuracy + r.Calibrated.Test.Accuracy) / 2;
            var ordered = runs.OrderByDescending(Score).ToList();
            var rank = ordered.IndexOf(main) + 1;
            var gap = Score(ordered[0]) - Score(main);
            var top = Math.Max(1, (int)Math.Ceiling(runs.Count / 3.0));
            findings.Add(new Finding($"{baseScheme} is among the best aggregation schemes", rank <= top || gap <= 0.02,
                string.Create(Inv, $"{baseScheme} ranks {rank} of {runs.Count} by mean of cloud and overall accuracy ({100 * Score(main):F1}%); best is {ordered[0].Name} at {100 * Score(ordered[0]):F1}%, {100 * gap:F1} points ahead; criterion: top {top} or within 2 points")));
        }
        return new StudyOutput(SchemesId, "Aggregation schemes", table, plot, findings, section =>
        {
            section.SetClaim("MP-CC (max-pool at the local aggregator, concatenation in the cloud) is the default and best scheme; on MVMC its local and cloud accuracy are about 98%.");
            if (main is not null)
            {
                section.AddReference($"{baseScheme} local accuracy", 100 * PaperReference.MpCcAccuracy, 100 * main.LocalAccuracy, "F1", "%");
                section.AddReference($"{baseScheme} cloud accuracy", 100 * PaperReference.MpCcAccuracy, 100 * main.CloudAccuracy, "F1", "%");
            }
        });
    }

    /// <summary>Study 2: the threshold sweep of the base model over the test split, with the validation-calibrated T marked.</summary>
    public static StudyOutput Sweep(TrainedModel model, double step)
    {
        ArgumentNullException.ThrowIfNull(model);
        var points = ThresholdSweep.Run(model.Test, model.Ledger, step);
        var table = ThresholdSweep.Table(points, model.CloudAccuracy);
        var finding = NearCloudLocalExits(model);
        return new StudyOutput(SweepId, "Threshold sweep", table, ThresholdSweep.Plot(points), [finding], section =>
        {
            section.SetClaim("Raising T sends more samples out at the local exit; at T = 0.8, 60.82% exit locally with 97% overall accuracy (cloud-only about 96%), about 62 bytes per device.");
            foreach (var (t, localExit, overall) in PaperReference.Sweep)
            {
                var nearest = points.MinBy(p => Math.Abs(p.Threshold - t))!;
                section.AddReference(string.Create(Inv, $"T={t:0.0#}: local exit"), 100 * localExit, 100 * nearest.LocalExitFraction, "F1", "%");
                section.AddReference(string.Create(Inv, $"T={t:0.0#}: overall accuracy"), 100 * overall, 100 * nearest.Accuracy, "F1", "%");
            }
            var c = model.Calibrated.Test;
            section.AddNote(string.Create(Inv, $"Threshold calibrated on validation ({TargetText(model.Calibrated.Validation.Target)}): T = {model.Calibrated.Threshold:0.###}, giving {Pct(c.LocalExitFraction)} local exits and {Pct(c.Accuracy)} overall on test (cloud-only {Pct(model.CloudAccuracy)}), {c.BytesPerDevice:F1} bytes per device by the paper's formula, {c.Wire.Float32:F1} / {c.Wire.UInt8:F1} real bytes with float32 / uint8 scores."));
            section.AddNote(WireNote(model));
        });
    }

    /// <summary>
    /// "A threshold at which most samples exit locally with near-cloud accuracy", decided without looking at test:
    /// T is the largest-local-exit threshold whose validation accuracy is within <see cref="NearCloudPoints"/> of
    /// validation cloud-only; the test split is then evaluated at that T only.
    /// </summary>
    public static Finding NearCloudLocalExits(TrainedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var point = CalibratedPoint.Calibrate(model.Validation, model.Test, model.Ledger, new CalibrationTarget.AccuracyDrop(NearCloudPoints / 100));
        var test = point.Test;
        var holds = test.LocalExitFraction > 0.5 && test.Accuracy >= point.TestCloudAccuracy - NearCloudPoints / 100 - 1e-12;
        return new Finding("there is a threshold at which most samples exit locally with near-cloud accuracy", holds,
            string.Create(Inv, $"T = {point.Threshold:0.###} chosen on validation (accuracy within {NearCloudPoints:0} points of cloud-only, most local exits): on test {Pct(test.LocalExitFraction)} exit locally, overall {Pct(test.Accuracy)} vs cloud-only {Pct(point.TestCloudAccuracy)}"));
    }

    /// <summary>
    /// Study 3: accuracy for 1..D devices; <paramref name="runs"/>[i] holds the models with i+1 devices, one per training
    /// seed (every count the same seeds). The table shows means over the seeds and the range of overall accuracy.
    /// </summary>
    public static StudyOutput Devices(IReadOnlyList<IReadOnlyList<TrainedModel>> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0) throw new ArgumentException("no device count was trained", nameof(runs));
        var seeds = runs[0].Count;
        if (seeds == 0 || runs.Any(r => r is null || r.Count != seeds))
            throw new ArgumentException("every device count needs the same positive number of trained seeds", nameof(runs));
        double Mean(IReadOnlyList<TrainedModel> models, Func<TrainedModel, double> value) => models.Average(value);
        var table = new ResultTable(string.Create(Inv, $"Number of devices (test split, T calibrated on validation; mean of {seeds} training seed{(seeds == 1 ? "" : "s")})"),
        [
            ResultColumn.Number("devices"), ResultColumn.Number("local acc", "F1", "%"), ResultColumn.Number("cloud acc", "F1", "%"),
            ResultColumn.Number("T", "F3"), ResultColumn.Number("local exit", "F1", "%"), ResultColumn.Number("overall acc", "F1", "%"),
            ResultColumn.Number("overall min", "F1", "%"), ResultColumn.Number("overall max", "F1", "%"),
        ], seeds == 1 ? null : "min and max: the lowest and highest overall accuracy among the seeds");
        foreach (var r in runs)
            table.AddRow(r[0].Config.Devices, 100 * Mean(r, m => m.LocalAccuracy), 100 * Mean(r, m => m.CloudAccuracy), Mean(r, m => m.Calibrated.Threshold),
                100 * Mean(r, m => m.Calibrated.Test.LocalExitFraction), 100 * Mean(r, m => m.Calibrated.Test.Accuracy),
                100 * r.Min(m => m.Calibrated.Test.Accuracy), 100 * r.Max(m => m.Calibrated.Test.Accuracy));
        var n = runs.Select(r => (double)r[0].Config.Devices).ToArray();
        var overall = runs.Select(r => Mean(r, m => m.Calibrated.Test.Accuracy)).ToArray();
        var plot = new LinePlot("Number of devices", "end devices", seeds == 1 ? "test accuracy %" : string.Create(Inv, $"test accuracy % (mean of {seeds} seeds)"),
        [
            new PlotSeries("overall at T", n, overall.Select(a => 100 * a).ToArray()),
            new PlotSeries("cloud", n, runs.Select(r => 100 * Mean(r, m => m.CloudAccuracy)).ToArray()),
            new PlotSeries("local", n, runs.Select(r => 100 * Mean(r, m => m.LocalAccuracy)).ToArray()),
        ]);
        var trend = runs.Count > 1 ? RisingTrend.Of(n, overall, runs[0][0].Test.Count) : null;
        var finding = new Finding("accuracy rises with the number of devices", runs.Count > 2 && trend!.Holds,
            string.Create(Inv, $"overall accuracy{(seeds == 1 ? "" : $" (mean of {seeds} seeds)")} {string.Join(" → ", overall.Select(Pct))}: {trend?.Describe("devices") ?? "a single device count shows no trend"}"));
        return new StudyOutput(DevicesId, "Number of devices", table, plot, [finding], section =>
        {
            section.SetClaim("Accuracy rises with the number of end devices: .58 .80 .88 .96 .99 .99 overall for 1..6 MVMC cameras.");
            for (var i = 0; i < runs.Count; i++)
            {
                var d = runs[i][0].Config.Devices;
                double? paper = d >= 1 && d <= PaperReference.DevicesAccuracy.Count ? 100 * PaperReference.DevicesAccuracy[d - 1] : null;
                section.AddReference($"{d} device{(d == 1 ? "" : "s")}: overall accuracy", paper, 100 * overall[i], "F1", "%");
            }
            section.AddNote("Cameras are added in a different order per training seed (one seeded random order, rotated evenly per seed), so the mean over seeds is over which cameras a device count uses, "
                + "not only over training noise: always taking the first d cameras ties the count to those cameras' quality. Models: "
                + string.Join("; ", runs.SelectMany(r => r).Select(m => m.Name)) + ".");
            section.AddNote(RisingTrend.Explanation);
        });
    }

    /// <summary>Accuracy of one model with one device absent: local and cloud exits and the cascade at the model's calibrated T.</summary>
    public sealed record AbsentAccuracy(int Device, double Local, double Cloud, double Overall);

    /// <summary>Test accuracy of <paramref name="model"/> with each device absent in turn (device −1: all present).</summary>
    public static IReadOnlyList<AbsentAccuracy> WithoutEachDevice(TrainedModel model, MultiViewDataset test, int batch, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(test);
        var rows = new List<AbsentAccuracy> { Measure(model, model.Test, -1) };
        for (var d = 0; d < model.Config.Devices; d++)
        {
            cancellation.ThrowIfCancellationRequested();
            rows.Add(Measure(model, model.TestWithout(test, d, batch), d));
        }
        return rows;
    }

    private static AbsentAccuracy Measure(TrainedModel model, SplitScores scores, int device)
    {
        var layout = scores.Layout;
        var local = layout.LocalIndex >= 0 ? scores.Exits[layout.LocalIndex].Accuracy(scores.Labels) : double.NaN;
        var overall = scores.Cascade(model.Calibrated.Validation.Thresholds).Accuracy(scores.Labels);
        return new AbsentAccuracy(device, local, scores.Exits[layout.CloudIndex].Accuracy(scores.Labels), overall);
    }

    /// <summary>Study 4: one device missing at inference, for the model trained without and with device dropout.</summary>
    public static StudyOutput MissingDevice(TrainedModel plain, IReadOnlyList<AbsentAccuracy> plainRows, TrainedModel dropout,
        IReadOnlyList<AbsentAccuracy> dropoutRows, double dropoutProbability)
    {
        ArgumentNullException.ThrowIfNull(plainRows);
        ArgumentNullException.ThrowIfNull(dropoutRows);
        if (plainRows.Count != dropoutRows.Count || plainRows.Count < 2)
            throw new ArgumentException("both models need the all-present row and one row per device", nameof(dropoutRows));
        var table = new ResultTable("One device missing at inference (test split, T calibrated on validation with all devices)",
        [
            ResultColumn.Text("missing"),
            ResultColumn.Number("local", "F1", "%"), ResultColumn.Number("cloud", "F1", "%"), ResultColumn.Number("overall", "F1", "%"),
            ResultColumn.Number("local, dropout", "F1", "%"), ResultColumn.Number("cloud, dropout", "F1", "%"), ResultColumn.Number("overall, dropout", "F1", "%"),
        ], string.Create(Inv, $"plain: trained without device dropout (T = {plain.Calibrated.Threshold:0.###}); dropout: trained with device dropout p = {dropoutProbability:0.##} (T = {dropout.Calibrated.Threshold:0.###})"));
        string Label(int d) => d < 0 ? "none" : $"dev{d}";
        for (var i = 0; i < plainRows.Count; i++)
        {
            var (a, b) = (plainRows[i], dropoutRows[i]);
            table.AddRow(Label(a.Device), 100 * a.Local, 100 * a.Cloud, 100 * a.Overall, 100 * b.Local, 100 * b.Cloud, 100 * b.Overall);
        }
        var plot = new BarChart("One device missing", "missing device", "overall test accuracy %", plainRows.Select(r => Label(r.Device)).ToArray(),
        [
            new BarSeries("no device dropout", plainRows.Select(r => 100 * r.Overall).ToArray()),
            new BarSeries("device dropout", dropoutRows.Select(r => 100 * r.Overall).ToArray()),
        ]);
        double MeanMissing(IReadOnlyList<AbsentAccuracy> rows) => rows.Skip(1).Average(r => r.Overall);
        double MeanCost(IReadOnlyList<AbsentAccuracy> rows) => rows[0].Overall - MeanMissing(rows);
        double WorstDrop(IReadOnlyList<AbsentAccuracy> rows) => rows[0].Overall - rows.Skip(1).Min(r => r.Overall);
        var plainWorst = WorstDrop(plainRows);
        var graceful = new Finding("accuracy degrades gracefully when one device is missing", plainWorst <= 0.10,
            string.Create(Inv, $"without dropout the worst missing device costs {100 * plainWorst:F1} points overall (mean {100 * (plainRows[0].Overall - MeanMissing(plainRows)):F1}); with dropout worst {100 * WorstDrop(dropoutRows):F1} points; criterion: worst drop ≤ 10 points"));
        // "Cost" is against the same model with every device present: dropout is about robustness, not about accuracy.
        var better = new Finding("device-dropout training makes a missing device cost less", MeanCost(dropoutRows) <= MeanCost(plainRows),
            string.Create(Inv, $"a missing device costs {100 * MeanCost(dropoutRows):F1} points of overall accuracy on average with dropout vs {100 * MeanCost(plainRows):F1} without (with one device missing: {Pct(MeanMissing(dropoutRows))} vs {Pct(MeanMissing(plainRows))}; all present: {Pct(dropoutRows[0].Overall)} vs {Pct(plainRows[0].Overall)})"));
        var worstCloud = plainRows.Skip(1).Min(r => r.Cloud);
        return new StudyOutput(MissingId, "One device missing at inference", table, plot, [graceful, better], section =>
        {
            section.SetClaim("The paper argues DDNN is fault tolerant: with a device missing, the aggregators combine the remaining devices. A PyTorch re-implementation on MV-FMNIST saw the binary cloud exit fall as low as 41% with one device's features zero-filled (no dropout training).");
            section.AddReference("worst cloud accuracy, one device missing, no dropout", "41% (MV-FMNIST re-implementation)", Pct(worstCloud));
        });
    }

    /// <summary>Study 5: filters per device block: device memory, bytes per device and accuracy.</summary>
    public static StudyOutput Filters(IReadOnlyList<TrainedModel> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0) throw new ArgumentException("no filter count was trained", nameof(runs));
        var table = new ResultTable("Filters per device block (test split, T calibrated on validation)",
        [
            ResultColumn.Number("f"), ResultColumn.Number("device memory", "N0", "bits"), ResultColumn.Number("formula bytes", "F1"),
            ResultColumn.Number("wire bytes f32", "F1"), ResultColumn.Number("wire bytes u8", "F1"),
            ResultColumn.Number("local exit", "F1", "%"), ResultColumn.Number("local acc", "F1", "%"), ResultColumn.Number("cloud acc", "F1", "%"),
            ResultColumn.Number("overall acc", "F1", "%"),
        ], "device memory: binary weights at 1 bit, float parameters (bias, batch norm) at 32 bits; bytes per device per sample at the calibrated T, "
           + "by the paper's formula and as real messages (6-byte header, float32 or uint8 class scores, packed features)");
        foreach (var r in runs)
        {
            var test = r.Calibrated.Test;
            table.AddRow(r.Config.DeviceOutputChannels, r.Ledger.DeviceMemoryBits, test.BytesPerDevice, test.Wire.Float32, test.Wire.UInt8,
                100 * test.LocalExitFraction, 100 * r.LocalAccuracy, 100 * r.CloudAccuracy, 100 * test.Accuracy);
        }
        var accuracy = runs.Select(r => 100 * r.Calibrated.Test.Accuracy).ToArray();
        var plot = new ScatterPlot("Filters: communication vs accuracy", "bytes per device per sample", "overall test accuracy %",
        [
            new PlotSeries("paper formula", runs.Select(r => r.Calibrated.Test.BytesPerDevice).ToArray(), accuracy),
            new PlotSeries("wire, f32 scores", runs.Select(r => r.Calibrated.Test.Wire.Float32).ToArray(), accuracy),
            new PlotSeries("wire, u8 scores", runs.Select(r => r.Calibrated.Test.Wire.UInt8).ToArray(), accuracy),
        ], runs.Select(r => string.Create(Inv, $"f={r.Config.DeviceOutputChannels} ({r.Ledger.DeviceMemoryBits / 8192.0:0.#} KiB)")).ToArray());
        var first = runs[0];
        var last = runs[^1];
        var finding = new Finding("more filters give more accuracy for more communication and device memory",
            last.Calibrated.Test.Accuracy >= first.Calibrated.Test.Accuracy && last.Ledger.DeviceMemoryBits > first.Ledger.DeviceMemoryBits
            && last.Ledger.FeatureBytesPerDevice > first.Ledger.FeatureBytesPerDevice,
            string.Create(Inv, $"f={first.Config.DeviceOutputChannels}: {Pct(first.Calibrated.Test.Accuracy)} overall, {first.Ledger.FeatureBytesPerDevice:F1} feature bytes per cloud-bound sample, {first.Ledger.DeviceMemoryBits} bits of device memory; f={last.Config.DeviceOutputChannels}: {Pct(last.Calibrated.Test.Accuracy)}, {last.Ledger.FeatureBytesPerDevice:F1} bytes, {last.Ledger.DeviceMemoryBits} bits (bytes per device at T also depend on how many samples exit locally)"));
        return new StudyOutput(FiltersId, "Filters: communication and device memory", table, plot, [finding], section =>
        {
            section.SetClaim("With two device layers, f = 1 2 4 8 filters give .91 .95 .96 .97 overall accuracy at 14 16 21 30 bytes per device.");
            section.AddNote("Real bytes: each f has its own feature-message size; the 6-byte headers and the uint8 scores' 8-byte range weigh most at small f. " + WireNote(runs[0]));
            foreach (var r in runs)
            {
                var f = r.Config.DeviceOutputChannels;
                var reference = PaperReference.Filters.FirstOrDefault(x => x.Filters == f);
                var known = reference.Filters == f;
                section.AddReference($"f={f}: overall accuracy", known ? 100 * reference.Overall : null, 100 * r.Calibrated.Test.Accuracy, "F1", "%");
                section.AddReference($"f={f}: bytes per device", known ? reference.Bytes : null, r.Calibrated.Test.BytesPerDevice, "F1");
                section.AddReference($"f={f}: real bytes per device, f32 / u8 scores", "-",
                    string.Create(Inv, $"{r.Calibrated.Test.Wire.Float32:F1} / {r.Calibrated.Test.Wire.UInt8:F1}"));
            }
        });
    }

    /// <summary>
    /// The calibrated operating point against raw offload and sending every sample's features to the cloud: bytes per
    /// device by the paper's formula and as real messages (float32 and uint8 scores), and the reduction against raw
    /// offload for each.
    /// </summary>
    public static ResultTable OffloadTable(TrainedModel model, string title = "Communication per device per sample (test split)")
    {
        ArgumentNullException.ThrowIfNull(model);
        var c = model.Calibrated;
        var table = new ResultTable(title,
        [
            ResultColumn.Text("scheme"), ResultColumn.Number("formula bytes", "F1"), ResultColumn.Number("wire bytes f32", "F1"),
            ResultColumn.Number("wire bytes u8", "F1"), ResultColumn.Number("vs raw", "F1", "x"), ResultColumn.Number("vs raw, wire f32", "F1", "x"),
            ResultColumn.Number("vs raw, wire u8", "F1", "x"), ResultColumn.Number("local exit", "F1", "%"), ResultColumn.Number("accuracy", "F1", "%"),
        ], string.Create(Inv, $"T = {c.Threshold:0.###} calibrated on validation ({TargetText(c.Validation.Target)}); formula: the paper's 4|C| + (1 - l) f o / 8 against the raw 8-bit input; wire: real message sizes (6-byte header, class scores as float32 or uint8, packed features) against the raw input behind the same header; u8 sizes at the exit fractions of the float32 cascade"));
        var raw = c.Test.RawOffloadBytesPerDevice;
        var rawWire = c.Test.RawOffloadWireBytes;
        table.AddRow("raw offload (8-bit input)", raw, rawWire, rawWire, 1.0, 1.0, 1.0, 0.0, null);
        table.AddRow("DDNN, all samples to the cloud", c.CloudOnlyBytesPerDevice, c.CloudOnlyWire.Float32, c.CloudOnlyWire.UInt8,
            raw / c.CloudOnlyBytesPerDevice, rawWire / c.CloudOnlyWire.Float32, rawWire / c.CloudOnlyWire.UInt8, 0.0, 100 * c.TestCloudAccuracy);
        table.AddRow("DDNN cascade at calibrated T", c.Test.BytesPerDevice, c.Test.Wire.Float32, c.Test.Wire.UInt8,
            c.Test.ReductionVersusRaw, c.Test.WireReductionVersusRaw.Float32, c.Test.WireReductionVersusRaw.UInt8, 100 * c.Test.LocalExitFraction, 100 * c.Test.Accuracy);
        return table;
    }

    /// <summary>
    /// Study 6: the communication reduction against raw offload at the calibrated threshold, by the paper's formula and
    /// with real message sizes; the finding must hold for both (float32 scores, the larger real size).
    /// </summary>
    public static StudyOutput RawOffload(TrainedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var c = model.Calibrated;
        var table = OffloadTable(model, "Raw offload vs DDNN (test split)");
        var cloudOnlyWire = new WireBytes(c.Test.RawOffloadWireBytes / c.CloudOnlyWire.Float32, c.Test.RawOffloadWireBytes / c.CloudOnlyWire.UInt8);
        var atT = c.Test.WireReductionVersusRaw;
        var plot = new BarChart("Reduction vs raw offload", "DDNN", "times less than raw offload per device",
            ["all samples to the cloud", "cascade at calibrated T"],
        [
            new BarSeries("paper formula", [c.Test.RawOffloadBytesPerDevice / c.CloudOnlyBytesPerDevice, c.Test.ReductionVersusRaw]),
            new BarSeries("wire, f32 scores", [cloudOnlyWire.Float32, atT.Float32]),
            new BarSeries("wire, u8 scores", [cloudOnlyWire.UInt8, atT.UInt8]),
        ]);
        var holds = c.Test.ReductionVersusRaw > PaperReference.RawOffloadReduction && atT.Float32 > PaperReference.RawOffloadReduction;
        var finding = new Finding("DDNN sends over 20x less than raw offload", holds,
            string.Create(Inv, $"At T = {c.Threshold:0.###}: paper formula {c.Test.BytesPerDevice:F1} vs {c.Test.RawOffloadBytesPerDevice:F0} bytes per device per sample ({c.Test.ReductionVersusRaw:F1}x less); real messages {c.Test.Wire.Float32:F1} bytes with float32 scores ({atT.Float32:F1}x less) and {c.Test.Wire.UInt8:F1} with uint8 scores ({atT.UInt8:F1}x less) vs a {c.Test.RawOffloadWireBytes:F0}-byte raw message; criterion: over 20x by the formula and by real float32-score messages"));
        return new StudyOutput(RawOffloadId, "Raw offload", table, plot, [finding], section =>
        {
            section.SetClaim("At T = 0.8 the MP-CC DDNN sends about 62 bytes per device per sample (60.82% local exits, 97% accuracy): over 20x less than offloading the raw sensor input.");
            section.AddReference("bytes per device (formula)", PaperReference.OperatingBytes, c.Test.BytesPerDevice, "F1");
            section.AddReference("real bytes per device, f32 / u8 scores", "-", string.Create(Inv, $"{c.Test.Wire.Float32:F1} / {c.Test.Wire.UInt8:F1}"));
            section.AddReference("reduction vs raw offload (formula)", "> 20x", c.Test.ReductionVersusRaw.ToString("F1", Inv) + "x");
            section.AddReference("reduction vs raw offload (real, f32 / u8 scores)", "> 20x", string.Create(Inv, $"{atT.Float32:F1}x / {atT.UInt8:F1}x"));
            section.AddReference("local exits", 100 * PaperReference.OperatingLocalExit, 100 * c.Test.LocalExitFraction, "F1", "%");
            section.AddReference("overall accuracy", 100 * PaperReference.OperatingAccuracy, 100 * c.Test.Accuracy, "F1", "%");
            section.AddNote(string.Create(Inv, $"Our raw input is {c.Test.RawOffloadBytesPerDevice:F0} bytes per device ({model.Config.InputChannels}x{model.Config.InputHeight}x{model.Config.InputWidth} at 8 bits); the paper's T = 0.8 is replaced by the T calibrated on validation."));
            section.AddNote(WireNote(model));
        });
    }

    /// <summary>How the real message sizes of <paramref name="model"/> are made up, for the report.</summary>
    public static string WireNote(TrainedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var c = model.Config;
        var (h, w) = c.DeviceOutputSize;
        return string.Create(Inv,
            $"Real sizes per device and sample (Ddnn.Core.Deploy.WireMessage, {Core.Deploy.WireMessage.HeaderBytes}-byte header in every message): a class-score message of {Core.Deploy.WireMessage.ScoresBytes(c.Classes, ScoreEncoding.Float32)} bytes with float32 scores or {Core.Deploy.WireMessage.ScoresBytes(c.Classes, ScoreEncoding.UInt8)} with uint8 scores (one byte per class over the device exit's fixed per-class range, no per-message scale), always; plus a {Core.Deploy.WireMessage.FeaturesBytes(c.DeviceOutputChannels, h, w)}-byte packed feature message ({c.DeviceOutputChannels}x{h}x{w} bits) for samples that do not exit locally. The local aggregator's {Core.Deploy.WireMessage.RequestBytes(c.Devices)}-byte cloud request is not a device's traffic. The uint8 sizes are taken at the exit fractions of the float32 cascade (quantized scores can move a few samples across T; `ddnn infer --scores u8` measures that on the deployed partition).");
    }

    /// <summary>A calibration target in words (derived records print their fields instead of the base record's text).</summary>
    public static string TargetText(CalibrationTarget target) => target switch
    {
        CalibrationTarget.AccuracyDrop d => string.Create(Inv, $"accuracy at most {d.MaxDrop * 100:0.##} points below cloud-only, most local exits"),
        CalibrationTarget.ByteBudget b => string.Create(Inv, $"at most {b.MaxBytesPerDevice:0.##} bytes per device, best accuracy"),
        _ => target.GetType().Name,
    };

    /// <summary>The base config with another local and cloud aggregator.</summary>
    public static DdnnConfig WithScheme(DdnnConfig config, Aggregation local, Aggregation cloud) =>
        (config with { LocalAggregator = local, CloudAggregator = cloud }).Validate();

    /// <summary>The base config with <paramref name="devices"/> devices.</summary>
    public static DdnnConfig WithDevices(DdnnConfig config, int devices) => (config with { Devices = devices }).Validate();

    /// <summary>The base config with <paramref name="filters"/> filters in every device block.</summary>
    public static DdnnConfig WithFilters(DdnnConfig config, int filters) =>
        (config with { DeviceFilters = config.DeviceFilters.Select(_ => filters).ToArray() }).Validate();

    /// <summary>"MP-CC" style name of a config's scheme.</summary>
    public static string SchemeName(DdnnConfig config) =>
        $"{config.LocalAggregator?.ToShortName() ?? "none"}-{config.CloudAggregator.ToShortName()}";
}

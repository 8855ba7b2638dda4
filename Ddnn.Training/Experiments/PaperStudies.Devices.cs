using Ddnn.Training.Reporting;
using Ddnn.Training.Reporting.Plots;

namespace Ddnn.Training.Experiments;

public static partial class PaperStudies
{
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
        var table = new ResultTable(string.Create(Inv, $"Number of devices (test split, T calibrated on validation; mean of {seeds} training "
            + $"seed{(seeds == 1 ? "" : "s")})"),
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
        var plot = new LinePlot("Number of devices", "end devices", seeds == 1 ? "test accuracy %" : string.Create(Inv, $"test accuracy % (mean of "
            + $"{seeds} seeds)"),
        [
            new PlotSeries("overall at T", n, overall.Select(a => 100 * a).ToArray()),
            new PlotSeries("cloud", n, runs.Select(r => 100 * Mean(r, m => m.CloudAccuracy)).ToArray()),
            new PlotSeries("local", n, runs.Select(r => 100 * Mean(r, m => m.LocalAccuracy)).ToArray()),
        ]);
        var trend = runs.Count > 1 ? RisingTrend.Of(n, overall, runs[0][0].Test.Count) : null;
        var finding = new Finding("accuracy rises with the number of devices", runs.Count > 2 && trend!.Holds,
            string.Create(Inv, $"overall accuracy{(seeds == 1 ? "" : $" (mean of {seeds} seeds)")} {string.Join(" → ", overall.Select(Pct))}: "
                + $"{trend?.Describe("devices") ?? "a single device count shows no trend"}"));
        return new StudyOutput(DevicesId, "Number of devices", table, plot, [finding], section =>
        {
            section.SetClaim("Accuracy rises with the number of end devices: .58 .80 .88 .96 .99 .99 overall for 1..6 MVMC cameras.");
            for (var i = 0; i < runs.Count; i++)
            {
                var d = runs[i][0].Config.Devices;
                double? paper = d >= 1 && d <= PaperReference.DevicesAccuracy.Count ? 100 * PaperReference.DevicesAccuracy[d - 1] : null;
                section.AddReference($"{d} device{(d == 1 ? "" : "s")}: overall accuracy", paper, 100 * overall[i], "F1", "%");
            }
            section.AddNote("Cameras are added in a different order per training seed (one seeded random order, rotated evenly per seed), so the "
                + "mean over seeds is over which cameras a device count uses, "
                + "not only over training noise: always taking the first d cameras ties the count to those cameras' quality. Models: "
                + string.Join("; ", runs.SelectMany(r => r).Select(m => m.Name)) + ".");
            section.AddNote(RisingTrend.Explanation);
        });
    }
}

using Ddnn.Training.Data;
using Ddnn.Training.Reporting;
using Ddnn.Training.Reporting.Plots;
using Ddnn.Training.Trainer;

namespace Ddnn.Training.Experiments;

public static partial class PaperStudies
{
    /// <summary>Accuracy of one model with one device absent: local and cloud exits and the cascade at the model's calibrated T.</summary>
    public sealed record AbsentAccuracy(int Device, double Local, double Cloud, double Overall);

    /// <summary>Test accuracy of <paramref name="model"/> with each device absent in turn (device −1: all present).</summary>
    public static IReadOnlyList<AbsentAccuracy> WithoutEachDevice(TrainedModel model, MultiViewDataset test, int batch,
        CancellationToken cancellation = default)
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
        ], string.Create(Inv, $"plain: trained without device dropout (T = {plain.Calibrated.Threshold:0.###}); dropout: trained with device "
            + $"dropout p = {dropoutProbability:0.##} (T = {dropout.Calibrated.Threshold:0.###})"));
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
            string.Create(Inv, $"without dropout the worst missing device costs {100 * plainWorst:F1} points overall (mean "
                + $"{100 * (plainRows[0].Overall - MeanMissing(plainRows)):F1}); with dropout worst {100 * WorstDrop(dropoutRows):F1} points; "
                + $"criterion: worst drop ≤ 10 points"));
        // "Cost" is against the same model with every device present: dropout is about robustness, not about accuracy.
        var better = new Finding("device-dropout training makes a missing device cost less", MeanCost(dropoutRows) <= MeanCost(plainRows),
            string.Create(Inv, $"a missing device costs {100 * MeanCost(dropoutRows):F1} points of overall accuracy on average with dropout vs "
                + $"{100 * MeanCost(plainRows):F1} without (with one device missing: {Pct(MeanMissing(dropoutRows))} vs "
                + $"{Pct(MeanMissing(plainRows))}; all present: {Pct(dropoutRows[0].Overall)} vs {Pct(plainRows[0].Overall)})"));
        var worstCloud = plainRows.Skip(1).Min(r => r.Cloud);
        return new StudyOutput(MissingId, "One device missing at inference", table, plot, [graceful, better], section =>
        {
            section.SetClaim("The paper argues DDNN is fault tolerant: with a device missing, the aggregators combine the remaining devices. A "
                + "PyTorch re-implementation on MV-FMNIST saw the binary cloud exit fall as low as 41% with one device's features zero-filled (no "
                + "dropout training).");
            section.AddReference("worst cloud accuracy, one device missing, no dropout", "41% (MV-FMNIST re-implementation)", Pct(worstCloud));
        });
    }
}

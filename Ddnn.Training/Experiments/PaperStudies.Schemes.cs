using Ddnn.Training.Reporting;
using Ddnn.Training.Reporting.Plots;

namespace Ddnn.Training.Experiments;

public static partial class PaperStudies
{
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
                string.Create(Inv, $"{baseScheme} ranks {rank} of {runs.Count} by mean of cloud and overall accuracy ({100 * Score(main):F1}%); "
                    + $"best is {ordered[0].Name} at {100 * Score(ordered[0]):F1}%, {100 * gap:F1} points ahead; criterion: top {top} or within 2 "
                    + $"points")));
        }
        return new StudyOutput(SchemesId, "Aggregation schemes", table, plot, findings, section =>
        {
            section.SetClaim("MP-CC (max-pool at the local aggregator, concatenation in the cloud) is the default and best scheme; on MVMC its "
                + "local and cloud accuracy are about 98%.");
            if (main is not null)
            {
                section.AddReference($"{baseScheme} local accuracy", 100 * PaperReference.MpCcAccuracy, 100 * main.LocalAccuracy, "F1", "%");
                section.AddReference($"{baseScheme} cloud accuracy", 100 * PaperReference.MpCcAccuracy, 100 * main.CloudAccuracy, "F1", "%");
            }
        });
    }
}

using Ddnn.Core.Inference;
using Ddnn.Training.Reporting;
using Ddnn.Training.Reporting.Plots;
using Ddnn.Training.Trainer;

namespace Ddnn.Training.Experiments;

/// <summary>
/// The paper's threshold sweep: the entropy cascade re-run at T = 0, step, 2·step, ..., 1 over exit scores computed
/// once, reporting local-exit %, overall accuracy and bytes per device at each T.
/// </summary>
public static class ThresholdSweep
{
    /// <summary>The thresholds 0, step, ..., 1 (1 always included, no floating-point drift).</summary>
    public static double[] Grid(double step)
    {
        if (!(step > 0 && step <= 1)) throw new ArgumentOutOfRangeException(nameof(step), step, "the sweep step must be in (0, 1].");
        var count = (int)Math.Ceiling(1 / step - 1e-9);
        var grid = new double[count + 1];
        for (var k = 0; k < count; k++) grid[k] = Math.Round(k * step, 10);
        grid[count] = 1;
        return grid;
    }

    /// <summary>One operating point per threshold of <see cref="Grid"/>.</summary>
    public static IReadOnlyList<OperatingPoint> Run(SplitScores scores, CommunicationLedger ledger, double step)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(ledger);
        if (!ledger.Config.HasLocalExit) throw new ArgumentException("a threshold sweep needs a model with a local exit", nameof(ledger));
        return Grid(step).Select(t => OperatingPoint.At(scores, ledger, t)).ToArray();
    }

    /// <summary>
    /// The sweep as a table: T, local exit %, overall accuracy %, bytes per device by the paper's formula and as real
    /// messages (float32 and uint8 scores), and the reduction against raw offload by the formula and by real sizes.
    /// </summary>
    public static ResultTable Table(IReadOnlyList<OperatingPoint> points, double cloudAccuracy, string title = "Threshold sweep (test split)")
    {
        ArgumentNullException.ThrowIfNull(points);
        var table = new ResultTable(title,
        [
            ResultColumn.Number("T", "F2"),
            ResultColumn.Number("local exit", "F1", "%"),
            ResultColumn.Number("overall acc", "F1", "%"),
            ResultColumn.Number("formula bytes", "F1"),
            ResultColumn.Number("wire bytes f32", "F1"),
            ResultColumn.Number("wire bytes u8", "F1"),
            ResultColumn.Number("vs raw", "F1", "x"),
            ResultColumn.Number("vs raw, wire f32", "F1", "x"),
        ], $"cloud-only accuracy {100 * cloudAccuracy:F1}%; bytes per device per sample: the paper's formula 4|C| + (1 - l) f o / 8, and the real "
           + "messages (6-byte header, class scores as float32 or uint8, packed features when not exiting locally); raw offload with the same header for the real-size ratio");
        foreach (var p in points)
            table.AddRow(p.Threshold, 100 * p.LocalExitFraction, 100 * p.Accuracy, p.BytesPerDevice, p.Wire.Float32, p.Wire.UInt8,
                p.ReductionVersusRaw, p.WireReductionVersusRaw.Float32);
        return table;
    }

    /// <summary>Local exit % and overall accuracy % against T; bytes per device (formula and real messages) on the right axis.</summary>
    public static LinePlot Plot(IReadOnlyList<OperatingPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var t = points.Select(p => p.Threshold).ToArray();
        return new LinePlot("Threshold sweep", "entropy threshold T", "%",
        [
            new PlotSeries("local exit %", t, points.Select(p => 100 * p.LocalExitFraction).ToArray()),
            new PlotSeries("overall accuracy %", t, points.Select(p => 100 * p.Accuracy).ToArray()),
            new PlotSeries("bytes/device, paper formula", t, points.Select(p => p.BytesPerDevice).ToArray(), PlotAxis.Right),
            new PlotSeries("bytes/device, wire f32 scores", t, points.Select(p => p.Wire.Float32).ToArray(), PlotAxis.Right),
            new PlotSeries("bytes/device, wire u8 scores", t, points.Select(p => p.Wire.UInt8).ToArray(), PlotAxis.Right),
        ], "bytes per device per sample");
    }
}

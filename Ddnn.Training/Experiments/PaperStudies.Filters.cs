using Ddnn.Training.Reporting;
using Ddnn.Training.Reporting.Plots;

namespace Ddnn.Training.Experiments;

public static partial class PaperStudies
{
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
            string.Create(Inv, $"f={first.Config.DeviceOutputChannels}: {Pct(first.Calibrated.Test.Accuracy)} overall, "
                + $"{first.Ledger.FeatureBytesPerDevice:F1} feature bytes per cloud-bound sample, {first.Ledger.DeviceMemoryBits} bits of device "
                + $"memory; f={last.Config.DeviceOutputChannels}: {Pct(last.Calibrated.Test.Accuracy)}, {last.Ledger.FeatureBytesPerDevice:F1} "
                + $"bytes, {last.Ledger.DeviceMemoryBits} bits (bytes per device at T also depend on how many samples exit locally)"));
        return new StudyOutput(FiltersId, "Filters: communication and device memory", table, plot, [finding], section =>
        {
            section.SetClaim("With two device layers, f = 1 2 4 8 filters give .91 .95 .96 .97 overall accuracy at 14 16 21 30 bytes per device.");
            section.AddNote("Real bytes: each f has its own feature-message size; the 6-byte headers and the uint8 scores' 8-byte range weigh most "
                + "at small f. " + WireNote(runs[0]));
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
}

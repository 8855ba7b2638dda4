using Ddnn.Core.Inference;
using Ddnn.Training.Experiments;

namespace Ddnn.Training.Tests.Experiments;

public class ThresholdSweepTests
{
    [Fact]
    public void GridRunsFromZeroToOneInclusive()
    {
        var grid = ThresholdSweep.Grid(0.05);
        Assert.Equal(21, grid.Length);
        Assert.Equal(0, grid[0]);
        Assert.Equal(1, grid[^1]);
        Assert.Equal(0.35, grid[7], 12);
        Assert.Equal([0, 0.3, 0.6, 0.9, 1], ThresholdSweep.Grid(0.3));
        Assert.Equal([0, 1], ThresholdSweep.Grid(1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void GridRejectsBadSteps(double step) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ThresholdSweep.Grid(step));

    [Fact]
    public void LocalExitsGrowWithTAndBytesFollowTheLedger()
    {
        var model = TinyPaperRun.Model;
        var points = ThresholdSweep.Run(model.Test, model.Ledger, 0.05);
        Assert.Equal(21, points.Count);
        Assert.Equal(0, points[0].LocalExitFraction); // entropy < 0 never holds
        for (var i = 1; i < points.Count; i++)
        {
            Assert.True(points[i].LocalExitFraction >= points[i - 1].LocalExitFraction, $"local exits fell from T={points[i - 1].Threshold} to T={points[i].Threshold}");
            Assert.True(points[i].BytesPerDevice <= points[i - 1].BytesPerDevice);
        }
        var config = model.Config;
        var (h, w) = config.DeviceOutputSize;
        foreach (var p in points)
        {
            // The paper's c = 4|C| + (1 - l) f o / 8, by hand.
            var expected = 4.0 * config.Classes + (1 - p.LocalExitFraction) * config.DeviceOutputChannels * h * w / 8;
            Assert.Equal(expected, p.BytesPerDevice, 9);
            Assert.Equal(model.Ledger.BytesPerDevice(p.LocalExitFraction), p.BytesPerDevice, 12);
            Assert.Equal(config.InputChannels * config.InputHeight * config.InputWidth, p.RawOffloadBytesPerDevice);
            // Real messages by hand: 6-byte header; scores 4|C| (float32) or |C| (uint8); features ceil(f h w / 8).
            var features = 6 + (config.DeviceOutputChannels * h * w + 7) / 8;
            Assert.Equal(6 + 4 * config.Classes + (1 - p.LocalExitFraction) * features, p.Wire.Float32, 9);
            Assert.Equal(6 + config.Classes + (1 - p.LocalExitFraction) * features, p.Wire.UInt8, 9);
            Assert.Equal(6 + config.InputChannels * config.InputHeight * config.InputWidth, p.RawOffloadWireBytes);
            Assert.Equal(p.RawOffloadWireBytes / p.Wire.UInt8, p.WireReductionVersusRaw.UInt8, 12);
            Assert.InRange(p.Accuracy, 0, 1);
        }
        // At T = 0 every sample reaches the cloud: the cascade is the cloud exit.
        Assert.Equal(model.CloudAccuracy, points[0].Accuracy, 12);
    }

    [Fact]
    public void CascadeAtTMatchesARunByHand()
    {
        var model = TinyPaperRun.Model;
        var levels = model.Test.CascadeLevels;
        var point = OperatingPoint.At(model.Test, model.Ledger, 0.9);
        var local = levels[0];
        int exits = 0, correct = 0;
        for (var i = 0; i < local.Count; i++)
        {
            var early = local.Entropies[i] < 0.9;
            if (early) exits++;
            var prediction = early ? local.Predictions[i] : levels[^1].Predictions[i];
            if (prediction == model.Test.Labels[i]) correct++;
        }
        Assert.Equal((double)exits / local.Count, point.LocalExitFraction, 12);
        Assert.Equal((double)correct / local.Count, point.Accuracy, 12);
    }

    [Fact]
    public void TableAndPlotHaveOneEntryPerThreshold()
    {
        var model = TinyPaperRun.Model;
        var points = ThresholdSweep.Run(model.Test, model.Ledger, 0.1);
        var table = ThresholdSweep.Table(points, model.CloudAccuracy);
        Assert.Equal(11, table.RowCount);
        Assert.Equal(["T", "local exit (%)", "overall acc (%)", "formula bytes", "wire bytes f32", "wire bytes u8", "vs raw (x)", "vs raw, wire f32 (x)"],
            table.Columns.Select(c => c.Label));
        for (var r = 0; r < points.Count; r++)
        {
            Assert.Equal(points[r].BytesPerDevice, (double)table[r, 3]!, 12);
            Assert.Equal(points[r].Wire.Float32, (double)table[r, 4]!, 12);
            Assert.Equal(points[r].Wire.UInt8, (double)table[r, 5]!, 12);
            Assert.True((double)table[r, 5]! < (double)table[r, 4]!); // uint8 scores are smaller for any class count above 2
        }
        var plot = ThresholdSweep.Plot(points);
        Assert.Equal(5, plot.Series.Count);
        Assert.All(plot.Series, s => Assert.Equal(11, s.X.Count));
    }

    [Fact]
    public void SweepNeedsALocalExit()
    {
        var config = TinyPaperRun.BaseConfig with { LocalAggregator = null };
        var model = TinyPaperRun.Model;
        Assert.Throws<ArgumentException>(() => ThresholdSweep.Run(model.Test, new CommunicationLedger(config), 0.1));
    }
}

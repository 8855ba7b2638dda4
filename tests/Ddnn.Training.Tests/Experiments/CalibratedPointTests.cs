using Ddnn.Training.Calibration;
using Ddnn.Training.Experiments;

namespace Ddnn.Training.Tests.Experiments;

public class CalibratedPointTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.05)]
    public void AccuracyTargetIsMetOnValidation(double drop)
    {
        var model = TinyPaperRun.Model;
        var point = CalibratedPoint.Calibrate(model.Validation, model.Test, model.Ledger, new CalibrationTarget.AccuracyDrop(drop));
        Assert.True(point.Validation.TargetMet);
        Assert.True(point.Validation.Accuracy >= point.Validation.CloudOnlyAccuracy - drop - 1e-12);
        // The test figures are the cascade at the validation's threshold.
        var again = OperatingPoint.At(model.Test, model.Ledger, point.Validation.Thresholds, point.Threshold);
        Assert.Equal(again, point.Test);
    }

    [Fact]
    public void ByteBudgetIsRespectedOnValidation()
    {
        var model = TinyPaperRun.Model;
        var budget = model.Ledger.BytesPerDevice(0.5);
        var point = CalibratedPoint.Calibrate(model.Validation, model.Test, model.Ledger, new CalibrationTarget.ByteBudget(budget));
        if (point.Validation.TargetMet) Assert.True(point.Validation.BytesPerDevice <= budget + 1e-9);
        else Assert.Equal(1.0, point.Threshold); // unreachable budget: the cheapest threshold is reported
        var free = CalibratedPoint.Calibrate(model.Validation, model.Test, model.Ledger, new CalibrationTarget.ByteBudget(1e6));
        Assert.True(free.Validation.TargetMet);
        Assert.True(free.Validation.Accuracy >= point.Validation.Accuracy);
    }

    [Fact]
    public void OffloadTableComparesRawCloudOnlyAndCascade()
    {
        var model = TinyPaperRun.Model;
        var table = PaperStudies.OffloadTable(model);
        Assert.Equal(3, table.RowCount);
        Assert.Equal((double)model.Ledger.RawOffloadBytesPerDevice, (double)table[0, 1]!);
        Assert.Equal(model.Ledger.BytesPerDevice(0), (double)table[1, 1]!, 12);
        Assert.Equal(model.Calibrated.Test.BytesPerDevice, (double)table[2, 1]!, 12);
        // Real sizes: the raw input behind a 6-byte header, cloud-only and cascade messages from the wire ledger.
        var config = model.Config;
        Assert.Equal(6.0 + config.InputChannels * config.InputHeight * config.InputWidth, (double)table[0, 2]!);
        Assert.Equal(WireBytes.PerDevice(config, 0).Float32, (double)table[1, 2]!, 12);
        Assert.Equal(WireBytes.PerDevice(config, 0).UInt8, (double)table[1, 3]!, 12);
        Assert.Equal(model.Calibrated.Test.Wire.Float32, (double)table[2, 2]!, 12);
        Assert.Equal(model.Calibrated.Test.WireReductionVersusRaw.Float32, (double)table[2, 5]!, 12);
        Assert.Equal(model.Calibrated.Test.WireReductionVersusRaw.UInt8, (double)table[2, 6]!, 12);
    }
}

using Ddnn.Core.Inference;
using Ddnn.Core.Model;
using Ddnn.Training.Calibration;

namespace Ddnn.Training.Tests.Calibration;

public class ThresholdCalibratorTests
{
    // Local is right exactly when it is confident (entropy < 0.5); the cloud is always right.
    private static (ExitScores Local, ExitScores Cloud, int[] Labels) Scores()
    {
        const int n = 100;
        var labels = new int[n];
        var localPred = new int[n];
        var localEta = new float[n];
        for (var i = 0; i < n; i++)
        {
            labels[i] = i % 3;
            localEta[i] = i / (float)n;
            localPred[i] = localEta[i] < 0.5f ? labels[i] : (labels[i] + 1) % 3;
        }
        return (new ExitScores("local", localPred, localEta), new ExitScores("cloud", (int[])labels.Clone(), new float[n]), labels);
    }

    private static readonly CommunicationLedger Ledger = new(DdnnBuilder.Devices(6).Build());

    [Fact]
    public void AccuracyTargetTakesTheMostLocalExitsWithoutLosingAccuracy()
    {
        var (local, cloud, labels) = Scores();
        var r = ThresholdCalibrator.Calibrate([local, cloud], labels, Ledger, new CalibrationTarget.AccuracyDrop(0));
        Assert.True(r.TargetMet);
        Assert.Equal(1.0, r.Accuracy);
        Assert.Equal(0.5, r.LocalExitFraction, 12);
        Assert.InRange(r.Thresholds[0], 0.49 + 1e-9, 0.5);
    }

    [Fact]
    public void AllowingADropExitsMoreSamplesLocally()
    {
        var (local, cloud, labels) = Scores();
        var strict = ThresholdCalibrator.Calibrate([local, cloud], labels, Ledger, new CalibrationTarget.AccuracyDrop(0));
        var loose = ThresholdCalibrator.Calibrate([local, cloud], labels, Ledger, new CalibrationTarget.AccuracyDrop(0.1));
        Assert.True(loose.TargetMet);
        Assert.True(loose.LocalExitFraction > strict.LocalExitFraction);
        Assert.True(loose.Accuracy >= 0.9 - 1e-12);
        Assert.True(loose.BytesPerDevice < strict.BytesPerDevice);
    }

    [Fact]
    public void ByteBudgetIsRespected()
    {
        var (local, cloud, labels) = Scores();
        var r = ThresholdCalibrator.Calibrate([local, cloud], labels, Ledger, new CalibrationTarget.ByteBudget(50));
        Assert.True(r.TargetMet);
        Assert.True(r.BytesPerDevice <= 50);
        // 50 bytes = 40 + (1 - l) 32 → l >= 0.6875: the best accuracy under that budget exits exactly that many.
        Assert.Equal(0.69, r.LocalExitFraction, 2);
    }

    [Fact]
    public void AnImpossibleBudgetIsReportedAsUnmet()
    {
        var (local, cloud, labels) = Scores();
        var r = ThresholdCalibrator.Calibrate([local, cloud], labels, Ledger, new CalibrationTarget.ByteBudget(10));
        Assert.False(r.TargetMet);
        Assert.Equal(40, r.BytesPerDevice, 12);
    }

    [Theory]
    [InlineData("drop:1%", 0.01)]
    [InlineData("drop:0.02", 0.02)]
    public void ParsesAccuracyTargets(string text, double drop) =>
        Assert.Equal(drop, Assert.IsType<CalibrationTarget.AccuracyDrop>(CalibrationTarget.Parse(text)).MaxDrop, 12);

    [Fact]
    public void ParsesByteBudgetsAndRejectsNonsense()
    {
        Assert.Equal(40, Assert.IsType<CalibrationTarget.ByteBudget>(CalibrationTarget.Parse("bytes:40")).MaxBytesPerDevice);
        foreach (var bad in new[] { "drop", "drop:-1", "bytes:10%", "speed:3", "drop:x" })
            Assert.Throws<FormatException>(() => CalibrationTarget.Parse(bad));
    }
}

public class CalibrationTargetTextTests
{
    [Fact]
    public void TargetsDescribeThemselvesReadably()
    {
        Assert.Equal("accuracy at most 1 points below cloud-only, fewest bytes", CalibrationTarget.Parse("drop:1%").ToString());
        Assert.Equal("at most 40 bytes per device, best accuracy", CalibrationTarget.Parse("bytes:40").ToString());
    }
}

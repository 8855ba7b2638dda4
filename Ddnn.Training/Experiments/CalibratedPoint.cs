using Ddnn.Core.Inference;
using Ddnn.Training.Calibration;
using Ddnn.Training.Trainer;

namespace Ddnn.Training.Experiments;

/// <summary>
/// A threshold chosen on the validation split for a <see cref="CalibrationTarget"/>, and what it gives on the test
/// split. The test split is only evaluated at the chosen T, never searched. Cloud-only bytes (every sample's features
/// sent up) are given by the paper's formula and as real messages.
/// </summary>
public sealed record CalibratedPoint(CalibrationResult Validation, OperatingPoint Test, double TestCloudAccuracy, double TestLocalAccuracy,
    double CloudOnlyBytesPerDevice, WireBytes CloudOnlyWire)
{
    /// <summary>The chosen threshold of the first (local) level.</summary>
    public double Threshold => Validation.Thresholds.Length > 0 ? Validation.Thresholds[0] : 0;

    /// <summary>Calibrates on <paramref name="validation"/> and evaluates the chosen thresholds on <paramref name="test"/>.</summary>
    public static CalibratedPoint Calibrate(SplitScores validation, SplitScores test, CommunicationLedger ledger, CalibrationTarget target)
    {
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(target);
        var chosen = ThresholdCalibrator.Calibrate(validation.CascadeLevels, validation.Labels, ledger, target);
        var shown = chosen.Thresholds.Length > 0 ? chosen.Thresholds[0] : 0;
        var point = OperatingPoint.At(test, ledger, chosen.Thresholds, shown);
        var local = test.Layout.LocalIndex >= 0 ? test.Exits[test.Layout.LocalIndex].Accuracy(test.Labels) : double.NaN;
        return new CalibratedPoint(chosen, point, test.Exits[test.Layout.CloudIndex].Accuracy(test.Labels), local, ledger.BytesPerDevice(0),
            WireBytes.PerDevice(ledger.Config, 0));
    }
}

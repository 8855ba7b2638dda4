using Ddnn.Training.Calibration;

namespace Ddnn.Training.Experiments;

public static partial class PaperStudies
{
    /// <summary>Study 2: the threshold sweep of the base model over the test split, with the validation-calibrated T marked.</summary>
    public static StudyOutput Sweep(TrainedModel model, double step)
    {
        ArgumentNullException.ThrowIfNull(model);
        var points = ThresholdSweep.Run(model.Test, model.Ledger, step);
        var table = ThresholdSweep.Table(points, model.CloudAccuracy);
        var finding = NearCloudLocalExits(model);
        return new StudyOutput(SweepId, "Threshold sweep", table, ThresholdSweep.Plot(points), [finding], section =>
        {
            section.SetClaim("Raising T sends more samples out at the local exit; at T = 0.8, 60.82% exit locally with 97% overall accuracy "
                + "(cloud-only about 96%), about 62 bytes per device.");
            foreach (var (t, localExit, overall) in PaperReference.Sweep)
            {
                var nearest = points.MinBy(p => Math.Abs(p.Threshold - t))!;
                section.AddReference(string.Create(Inv, $"T={t:0.0#}: local exit"), 100 * localExit, 100 * nearest.LocalExitFraction, "F1", "%");
                section.AddReference(string.Create(Inv, $"T={t:0.0#}: overall accuracy"), 100 * overall, 100 * nearest.Accuracy, "F1", "%");
            }
            var c = model.Calibrated.Test;
            section.AddNote(string.Create(Inv, $"Threshold calibrated on validation ({TargetText(model.Calibrated.Validation.Target)}): T = "
                + $"{model.Calibrated.Threshold:0.###}, giving {Pct(c.LocalExitFraction)} local exits and {Pct(c.Accuracy)} overall on test "
                + $"(cloud-only {Pct(model.CloudAccuracy)}), {c.BytesPerDevice:F1} bytes per device by the paper's formula, {c.Wire.Float32:F1} / "
                + $"{c.Wire.UInt8:F1} real bytes with float32 / uint8 scores."));
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
            string.Create(Inv, $"T = {point.Threshold:0.###} chosen on validation (accuracy within {NearCloudPoints:0} points of cloud-only, most "
                + $"local exits): on test {Pct(test.LocalExitFraction)} exit locally, overall {Pct(test.Accuracy)} vs cloud-only "
                + $"{Pct(point.TestCloudAccuracy)}"));
    }
}

using Ddnn.Core.Inference;

namespace Ddnn.Training.Calibration;

/// <summary>
/// Picks the cascade thresholds on a validation split so that a <see cref="CalibrationTarget"/> is met. Thresholds
/// are searched on a grid T = k/steps (k = 0..steps) for each non-final level; with several levels the grid is searched
/// jointly.
/// </summary>
public static class ThresholdCalibrator
{
    /// <summary>Finds the thresholds for <paramref name="target"/>.</summary>
    /// <param name="levels">Validation exit scores, lowest level first, the cloud last.</param>
    /// <param name="labels">Validation labels.</param>
    /// <param name="ledger">Turns a cascade run into bytes per device.</param>
    /// <param name="target">The accuracy drop or byte budget the chosen thresholds must meet.</param>
    /// <param name="steps">Grid resolution per threshold.</param>
    public static CalibrationResult Calibrate(IReadOnlyList<ExitScores> levels, ReadOnlySpan<int> labels,
        CommunicationLedger ledger, CalibrationTarget target, int steps = 200)
    {
        ArgumentNullException.ThrowIfNull(levels);
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(target);
        if (levels.Count == 0) throw new ArgumentException("calibration needs at least one exit level", nameof(levels));
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "must be at least 1");
        if (labels.Length == 0) throw new ArgumentException("calibration needs at least one validation sample", nameof(labels));
        if (levels.Count > 3) steps = Math.Min(steps, 20);
        else if (levels.Count == 3) steps = Math.Min(steps, 100);

        var cloudAccuracy = levels[^1].Accuracy(labels);
        var free = levels.Count - 1;
        var thresholds = new double[free];
        var index = new int[free];
        Candidate? best = null;
        var labelArray = labels.ToArray();
        while (true)
        {
            for (var i = 0; i < free; i++) thresholds[i] = (double)index[i] / steps;
            var run = ExitCascade.Run(levels, thresholds);
            var candidate = new Candidate((double[])thresholds.Clone(), run.Accuracy(labelArray),
                ledger.Traffic(run).PerDevice, free > 0 ? run.ExitFraction(0) : 0);
            if (Better(candidate, best, target, cloudAccuracy)) best = candidate;
            var k = 0;
            while (k < free && ++index[k] > steps) { index[k] = 0; k++; }
            if (k == free) break;
        }

        var met = Meets(best!, target, cloudAccuracy);
        return new CalibrationResult(target, best!.Thresholds, best.Accuracy, best.BytesPerDevice, best.LocalExitFraction,
            cloudAccuracy, met);
    }

    private sealed record Candidate(double[] Thresholds, double Accuracy, double BytesPerDevice, double LocalExitFraction);

    private static bool Meets(Candidate c, CalibrationTarget target, double cloudAccuracy) => target switch
    {
        CalibrationTarget.AccuracyDrop d => c.Accuracy >= cloudAccuracy - d.MaxDrop - 1e-12,
        CalibrationTarget.ByteBudget b => c.BytesPerDevice <= b.MaxBytesPerDevice + 1e-9,
        _ => throw new ArgumentOutOfRangeException(nameof(target), target, "unknown calibration target"),
    };

    // Feasible beats infeasible. Among feasible: fewer bytes first for an accuracy target, better accuracy first for a
    // byte budget. Among infeasible: the one closest to the target. Exact ties keep the earlier (smaller) threshold.
    private static bool Better(Candidate c, Candidate? best, CalibrationTarget target, double cloudAccuracy)
    {
        if (best is null) return true;
        var cMeets = Meets(c, target, cloudAccuracy);
        var bMeets = Meets(best, target, cloudAccuracy);
        if (cMeets != bMeets) return cMeets;
        return target switch
        {
            CalibrationTarget.AccuracyDrop when cMeets => c.BytesPerDevice < best.BytesPerDevice
                || (c.BytesPerDevice == best.BytesPerDevice && c.Accuracy > best.Accuracy),
            CalibrationTarget.AccuracyDrop => c.Accuracy > best.Accuracy,
            CalibrationTarget.ByteBudget when cMeets => c.Accuracy > best.Accuracy
                || (c.Accuracy == best.Accuracy && c.BytesPerDevice < best.BytesPerDevice),
            CalibrationTarget.ByteBudget => c.BytesPerDevice < best.BytesPerDevice,
            _ => false,
        };
    }
}

/// <summary>The thresholds chosen on validation and the validation figures at them.</summary>
public sealed record CalibrationResult(
    CalibrationTarget Target,
    double[] Thresholds,
    double Accuracy,
    double BytesPerDevice,
    double LocalExitFraction,
    double CloudOnlyAccuracy,
    bool TargetMet);

using Ddnn.Core.Inference;
using Ddnn.Training.Trainer;

namespace Ddnn.Training.Experiments;

/// <summary>
/// The cascade at one threshold on one split: where samples left, how accurate the answers were, and what a device
/// sent, both by the paper's formula c = 4|C| + (1 − l)·f·o/8 bytes and as real messages (<see cref="WireBytes"/>),
/// compared with raw offload.
/// </summary>
public sealed record OperatingPoint(double Threshold, double LocalExitFraction, double Accuracy, double BytesPerDevice, double RawOffloadBytesPerDevice,
    WireBytes Wire, double RawOffloadWireBytes)
{
    /// <summary>How many times less a device sends than when offloading its raw input (paper's formula, raw input without header).</summary>
    public double ReductionVersusRaw => RawOffloadBytesPerDevice / BytesPerDevice;

    /// <summary>The same reduction with real message sizes on both sides (float32 and uint8 scores).</summary>
    public WireBytes WireReductionVersusRaw => new(RawOffloadWireBytes / Wire.Float32, RawOffloadWireBytes / Wire.UInt8);

    /// <summary>
    /// Runs the cascade of <paramref name="scores"/> with every non-final level at <paramref name="threshold"/> (with a
    /// local exit only: the local level; with edges the edge level uses the same T).
    /// </summary>
    public static OperatingPoint At(SplitScores scores, CommunicationLedger ledger, double threshold)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(ledger);
        if (double.IsNaN(threshold)) throw new ArgumentException("the threshold is NaN", nameof(threshold));
        var thresholds = new double[scores.CascadeLevels.Count - 1];
        Array.Fill(thresholds, threshold);
        return At(scores, ledger, thresholds, threshold);
    }

    /// <summary>The cascade at explicit per-level <paramref name="thresholds"/>; <paramref name="shown"/> is the T reported.</summary>
    public static OperatingPoint At(SplitScores scores, CommunicationLedger ledger, double[] thresholds, double shown)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(ledger);
        var run = scores.Cascade(thresholds);
        var traffic = ledger.Traffic(run);
        var local = ledger.Config.HasLocalExit ? run.ExitFraction(0) : 0;
        return new OperatingPoint(shown, local, run.Accuracy(scores.Labels), traffic.PerDevice, traffic.RawOffloadPerDevice,
            WireBytes.PerDevice(ledger.Config, local), WireBytes.RawOffload(ledger.Config));
    }
}

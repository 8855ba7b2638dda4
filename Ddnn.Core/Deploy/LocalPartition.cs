using Ddnn.Core.Inference;
using Ddnn.Core.Model;

namespace Ddnn.Core.Deploy;

/// <summary>
/// The local aggregator: fuses the device exits' logits (MP: max, AP: mean over the present devices; CC: concatenation
/// with zeros for absent devices, then its own exit) into the local exit's logits. It also holds every device's
/// <see cref="ScoreQuantizer"/>, so it can decode uint8 score messages on its own.
/// </summary>
public sealed class LocalPartition
{
    private readonly float[] _concat;

    /// <summary>
    /// Creates the aggregator; <paramref name="exit"/> is required for CC and must be null otherwise;
    /// <paramref name="deviceScores"/> holds each device's uint8 score ranges (<see cref="DevicePartition.ScoreQuantizer"/>).
    /// </summary>
    public LocalPartition(Aggregation aggregator, int devices, int classes, PackedExit? exit, IReadOnlyList<ScoreQuantizer> deviceScores,
        ScoreEncoding scores = ScoreEncoding.Float32)
    {
        if (!Enum.IsDefined(scores)) throw new ArgumentOutOfRangeException(nameof(scores), scores, "unknown score encoding.");
        ArgumentNullException.ThrowIfNull(deviceScores);
        ArgumentOutOfRangeException.ThrowIfLessThan(devices, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        if ((aggregator == Aggregation.Concat) != (exit is not null))
            throw new ArgumentException($"a {aggregator.ToShortName()} local aggregator {(exit is null ? "needs" : "has no")} exit.", nameof(exit));
        if (exit is not null && (exit.Features != devices * classes || exit.Classes != classes))
            throw new ArgumentException($"the CC local exit must read {devices}x{classes} logits and give {classes}, got {exit.Features} -> {exit.Classes}.", nameof(exit));
        if (deviceScores.Count != devices)
            throw new ArgumentException($"the local aggregator needs the score ranges of {devices} devices, got {deviceScores.Count}.", nameof(deviceScores));
        for (var d = 0; d < devices; d++)
            if (deviceScores[d] is null || deviceScores[d].Classes != classes)
                throw new ArgumentException($"device {d}'s score ranges must cover {classes} classes.", nameof(deviceScores));
        Aggregator = aggregator;
        Devices = devices;
        DeviceScores = [.. deviceScores];
        Scores = scores;
        Classes = classes;
        Exit = exit;
        _concat = new float[devices * classes];
    }

    /// <summary>How the device logits are fused: MP (max), AP (mean over present devices) or CC (concatenation into <see cref="Exit"/>).</summary>
    public Aggregation Aggregator { get; }
    /// <summary>Number of end devices whose logits arrive here.</summary>
    public int Devices { get; }
    /// <summary>Number of classes of every device exit and of the local exit.</summary>
    public int Classes { get; }

    /// <summary>How devices send their class scores to this aggregator, chosen at export for the whole model.</summary>
    public ScoreEncoding Scores { get; }

    /// <summary>How each device's uint8 scores decode (the same ranges as the device's own quantizer).</summary>
    public IReadOnlyList<ScoreQuantizer> DeviceScores { get; }

    /// <summary>The CC exit, or null for MP/AP.</summary>
    public PackedExit? Exit { get; }

    /// <summary>Parameter bytes (only CC has parameters).</summary>
    public long ParameterBytes => Exit?.ParameterBytes ?? 0;

    /// <summary>Fuses the devices' logits (null = absent; at least one present) into <paramref name="logits"/>.</summary>
    public void Run(IReadOnlyList<float[]?> deviceLogits, Span<float> logits)
    {
        ArgumentNullException.ThrowIfNull(deviceLogits);
        if (deviceLogits.Count != Devices) throw new ArgumentException($"local aggregator expects {Devices} devices, got {deviceLogits.Count}.", nameof(deviceLogits));
        if (logits.Length != Classes) throw new ArgumentException($"logits span has {logits.Length} slots, expected {Classes}.", nameof(logits));
        var present = 0;
        foreach (var l in deviceLogits)
        {
            if (l is null) continue;
            if (l.Length != Classes) throw new ArgumentException($"device logits have {l.Length} values, expected {Classes}.", nameof(deviceLogits));
            present++;
        }
        if (present == 0) throw new ArgumentException("the local aggregator needs at least one present device.", nameof(deviceLogits));
        switch (Aggregator)
        {
            case Aggregation.Concat:
                for (var d = 0; d < Devices; d++)
                {
                    var target = _concat.AsSpan(d * Classes, Classes);
                    if (deviceLogits[d] is { } l) l.CopyTo(target);
                    else target.Clear();
                }
                Exit!.Run(_concat, logits);
                break;
            case Aggregation.MaxPool:
                // First present device, then strictly greater values win, as the graph's max does.
                var started = false;
                foreach (var l in deviceLogits)
                {
                    if (l is null) continue;
                    if (!started) { l.CopyTo(logits); started = true; continue; }
                    for (var j = 0; j < Classes; j++) if (l[j] > logits[j]) logits[j] = l[j];
                }
                break;
            default:
                logits.Clear();
                foreach (var l in deviceLogits)
                    if (l is not null)
                        for (var j = 0; j < Classes; j++) logits[j] += l[j];
                var inverse = 1f / present;
                for (var j = 0; j < Classes; j++) logits[j] *= inverse;
                break;
        }
    }
}

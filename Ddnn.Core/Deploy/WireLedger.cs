using Ddnn.Core.Inference;
using Ddnn.Core.Model;

namespace Ddnn.Core.Deploy;

/// <summary>
/// Bytes per device and sample from the real message sizes (<see cref="WireMessage"/>, headers included), the
/// counterpart of <see cref="CommunicationLedger"/>'s paper formula c = s·|C| + (1 − l)·f·o/8.
/// </summary>
public sealed class WireLedger
{
    /// <summary>Sizes for <paramref name="config"/> with class scores sent as <paramref name="scores"/>.</summary>
    public WireLedger(DdnnConfig config, ScoreEncoding scores = ScoreEncoding.Float32)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        Scores = scores;
        var (h, w) = config.DeviceOutputSize;
        ScoreMessageBytes = config.HasLocalExit ? WireMessage.ScoresBytes(config.Classes, scores) : 0;
        FeatureMessageBytes = WireMessage.FeaturesBytes(config.DeviceOutputChannels, h, w);
        RequestMessageBytes = WireMessage.RequestBytes(config.Devices);
    }

    /// <summary>The model whose message sizes these are.</summary>
    public DdnnConfig Config { get; }
    /// <summary>How devices send class scores to the local aggregator (float32 or uint8).</summary>
    public ScoreEncoding Scores { get; }

    /// <summary>Device → local aggregator, every sample (0 without a local exit).</summary>
    public int ScoreMessageBytes { get; }

    /// <summary>Device → edge/cloud, for samples that do not exit locally.</summary>
    public int FeatureMessageBytes { get; }

    /// <summary>Local aggregator → cloud, for samples that do not exit locally.</summary>
    public int RequestMessageBytes { get; }

    /// <summary>Real bytes a device sends per sample at local-exit fraction <paramref name="localExitFraction"/>.</summary>
    public double BytesPerDevice(double localExitFraction)
    {
        if (!(localExitFraction >= 0 && localExitFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(localExitFraction), localExitFraction, "must be in [0, 1].");
        return ScoreMessageBytes + (1 - localExitFraction) * FeatureMessageBytes;
    }
}

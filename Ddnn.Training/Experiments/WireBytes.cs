using Ddnn.Core.Deploy;
using Ddnn.Core.Inference;
using Ddnn.Core.Model;

namespace Ddnn.Training.Experiments;

/// <summary>
/// Real bytes one device sends per sample, from the exact message sizes of <see cref="WireMessage"/> (6-byte header
/// included): its class-score message to the local aggregator, with scores as float32 or quantized to uint8, plus its
/// packed feature message for the samples that do not exit locally.
/// </summary>
public readonly record struct WireBytes(double Float32, double UInt8)
{
    /// <summary>Real bytes per device and sample of <paramref name="config"/> at local-exit fraction <paramref name="localExitFraction"/>.</summary>
    public static WireBytes PerDevice(DdnnConfig config, double localExitFraction)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new WireBytes(new WireLedger(config, ScoreEncoding.Float32).BytesPerDevice(localExitFraction),
            new WireLedger(config, ScoreEncoding.UInt8).BytesPerDevice(localExitFraction));
    }

    /// <summary>
    /// Raw offload as a real message: the device's 8-bit input behind the same header every message carries (the wire
    /// protocol has no raw-frame kind; this is what one would cost).
    /// </summary>
    public static double RawOffload(DdnnConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return WireMessage.HeaderBytes + (double)config.InputChannels * config.InputHeight * config.InputWidth;
    }
}

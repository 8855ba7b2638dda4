using Ddnn.Core.Model;

namespace Ddnn.Core.Inference;

/// <summary>How class scores travel from a device to the local aggregator.</summary>
public enum ScoreEncoding
{
    /// <summary>4 bytes per class, as the paper counts.</summary>
    Float32,

    /// <summary>1 byte per class (quantized).</summary>
    UInt8,
}

/// <summary>
/// Bytes on each link and device memory for a DDNN configuration, by the paper's formulas:
/// per device and sample c = s·|C| + (1 − l)·f·o/8, with s = 4 for float32 scores (1 for uint8), l the local-exit
/// fraction, f the filters of the last device block and o its output bits per filter.
/// </summary>
public sealed class CommunicationLedger
{
    /// <summary>A ledger for <paramref name="config"/> (validated here), counting score bytes at the width <paramref name="scores"/> selects.</summary>
    public CommunicationLedger(DdnnConfig config, ScoreEncoding scores = ScoreEncoding.Float32)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        Scores = scores;
    }

    /// <summary>The validated model whose devices, classes and device feature maps the formulas count.</summary>
    public DdnnConfig Config { get; }
    /// <summary>How many bytes each class score costs on the device-to-local link.</summary>
    public ScoreEncoding Scores { get; }

    /// <summary>Bytes of the class scores a device sends to the local aggregator for every sample (0 without a local exit).</summary>
    public double ScoreBytesPerDevice => Config.HasLocalExit ? Config.Classes * (Scores == ScoreEncoding.Float32 ? 4 : 1) : 0;

    /// <summary>Bytes of the device's ±1 feature map, f·o/8, sent for samples that do not exit locally.</summary>
    public double FeatureBytesPerDevice => Config.DeviceOutputChannels * (double)Config.DeviceOutputBitsPerFilter / 8;

    /// <summary>The paper's per-device, per-sample communication for a local-exit fraction <paramref name="localExitFraction"/>.</summary>
    public double BytesPerDevice(double localExitFraction)
    {
        if (!(localExitFraction >= 0 && localExitFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(localExitFraction), localExitFraction, "must be in [0, 1]");
        var sentUp = Config.HasLocalExit ? 1 - localExitFraction : 1;
        return ScoreBytesPerDevice + sentUp * FeatureBytesPerDevice;
    }

    /// <summary>Raw offload: the device's sensor input at 8 bits per pixel per channel.</summary>
    public double RawOffloadBytesPerDevice => (double)Config.InputChannels * Config.InputHeight * Config.InputWidth;

    /// <summary>How many times less a device sends than raw offload at local-exit fraction <paramref name="localExitFraction"/>.</summary>
    public double ReductionVersusRaw(double localExitFraction) => RawOffloadBytesPerDevice / BytesPerDevice(localExitFraction);

    /// <summary>Bytes an edge sends to the cloud for a sample that passes the edge level.</summary>
    public double EdgeFeatureBytes(int edge)
    {
        var e = Config.Edges[edge];
        var (h, w) = Config.DeviceOutputSize;
        foreach (var _ in e.Filters) (h, w) = (e.Pool.Output(h), e.Pool.Output(w));
        return Config.EdgeOutputChannels(e) * (double)h * w / 8;
    }

    /// <summary>
    /// Device memory in bits as the paper counts it: binary weights at 1 bit (float weights at 32), every float
    /// parameter (conv and linear bias, batch-norm gamma, beta, running mean and variance) at 32 bits.
    /// </summary>
    public long DeviceMemoryBits
    {
        get
        {
            var weightBits = Config.Binary ? 1L : 32L;
            long bits = 0;
            var inChannels = Config.InputChannels;
            foreach (var f in Config.DeviceFilters)
            {
                bits += weightBits * f * inChannels * 9 + 32L * f + 4 * 32L * f;
                inChannels = f;
            }
            var features = (long)Config.DeviceOutputChannels * Config.DeviceOutputBitsPerFilter;
            bits += weightBits * Config.Classes * features + 32L * Config.Classes + 4 * 32L * Config.Classes;
            return bits;
        }
    }

    /// <summary>Per-sample bytes on each link for one cascade run (averaged over its samples).</summary>
    public LinkTraffic Traffic(CascadeResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var local = Config.HasLocalExit ? 0 : -1;
        var edgeLevel = Config.HasEdges ? local + 1 : -1;
        var localFraction = local >= 0 ? result.ExitFraction(local) : 0;
        var perDevice = BytesPerDevice(localFraction);
        double edgeToCloud = 0;
        if (edgeLevel >= 0)
        {
            var pass = result.PassFraction(edgeLevel);
            for (var e = 0; e < Config.Edges.Count; e++) edgeToCloud += pass * EdgeFeatureBytes(e);
        }
        return new LinkTraffic(perDevice, perDevice * Config.Devices, edgeToCloud, RawOffloadBytesPerDevice);
    }
}

/// <summary>Average bytes per sample on each link of one cascade run.</summary>
/// <param name="PerDevice">What one device sends upward (scores plus feature maps when needed).</param>
/// <param name="AllDevices">What all devices send together.</param>
/// <param name="EdgesToCloud">What all edges send to the cloud together.</param>
/// <param name="RawOffloadPerDevice">What one device would send by offloading its raw input.</param>
public readonly record struct LinkTraffic(double PerDevice, double AllDevices, double EdgesToCloud, double RawOffloadPerDevice)
{
    /// <summary>How many times fewer bytes a device sends than by offloading its raw input (raw ÷ per-device); infinite when a device sends nothing.</summary>
    public double ReductionVersusRaw => RawOffloadPerDevice / PerDevice;
}

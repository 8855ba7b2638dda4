using Ddnn.Core.Deploy;
using Ddnn.Core.Randomness;

namespace Ddnn.Core.Runtime;

/// <summary>
/// Runs a deployed DDNN as independent components (devices, local aggregator, cloud) that talk only through encoded
/// <see cref="WireMessage"/>s over simulated links (latency, bandwidth, loss, per-link timeout) on a simulated clock.
/// Nothing sleeps and nothing waits beyond a timeout, so nothing hangs; message loss is drawn from a seeded generator,
/// so runs are deterministic.
/// </summary>
/// <remarks>
/// Per sample (time 0 = sensing): every live device runs its partition and sends its scores to the local aggregator;
/// the aggregator waits for all devices or the link timeout, fuses the scores that arrived (the others are missing)
/// and exits if the normalized entropy is below the threshold. Otherwise it sends a request to the cloud and the
/// devices send their feature maps; the cloud waits for all of them or the timeout, runs on those present and sends
/// its answer back. If the answer is not back within the aggregator↔cloud timeout, the local exit answers, flagged
/// degraded. Without a local exit the devices send features at once and only the cloud can answer. Models with edges
/// are not supported here yet (the constructor says so).
/// </remarks>
public sealed class CascadeRuntime
{
    private readonly DeployedModel _model;
    private readonly SeededRandom _random;
    private readonly float[][] _deviceLogits;
    private readonly float[][] _receivedLogits;
    private readonly ulong[][] _features;
    private readonly ulong[][] _receivedFeatures;
    private readonly byte[] _buffer;
    private readonly float[] _logits;
    private readonly float[] _entropy = new float[1];

    /// <summary>Creates a runtime over <paramref name="model"/>.</summary>
    /// <exception cref="NotSupportedException">The model has edges.</exception>
    public CascadeRuntime(DeployedModel model, CascadeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Edges.Length > 0)
            throw new NotSupportedException("the cascade runtime does not run edge tiers yet; use DeployedModel.Infer for models with edges.");
        Options = options ?? new CascadeOptions();
        if (!(Options.LocalThreshold >= 0)) throw new ArgumentOutOfRangeException(nameof(options), Options.LocalThreshold, "local threshold must be non-negative.");
        _model = model;
        _random = new SeededRandom(Options.Seed);
        var d = model.Devices.Length;
        var classes = model.Config.Classes;
        _deviceLogits = NewArrays<float>(d, classes);
        _receivedLogits = NewArrays<float>(d, classes);
        var featureWords = model.Devices[0].Features.Length;
        _features = NewArrays<ulong>(d, featureWords);
        _receivedFeatures = NewArrays<ulong>(d, featureWords);
        var (h, w) = model.Devices[0].FeatureSize;
        _buffer = new byte[Math.Max(Math.Max(WireMessage.ScoresBytes(classes, Options.Scores), WireMessage.FeaturesBytes(model.Devices[0].FeatureChannels, h, w)),
            Math.Max(WireMessage.RequestBytes(d), WireMessage.AnswerBytes))];
        _logits = new float[classes];
    }

    public CascadeOptions Options { get; }

    /// <summary>Runs sample number <paramref name="sample"/> with views (D, C, H, W).</summary>
    public CascadeOutcome Run(long sample, ReadOnlySpan<float> views)
    {
        var config = _model.Config;
        var devices = _model.Devices.Length;
        if (views.Length != devices * _model.ViewLength)
            throw new ArgumentException($"views have {views.Length} values, expected D·C·H·W = {devices * _model.ViewLength}.", nameof(views));
        var faults = Options.Faults;
        var alive = new bool[devices];
        for (var d = 0; d < devices; d++)
        {
            if (faults.IsDeviceDown(d, sample)) continue;
            alive[d] = true;
            _model.Devices[d].Run(views.Slice(d * _model.ViewLength, _model.ViewLength), _deviceLogits[d]);
            _model.Devices[d].Features.CopyTo(_features[d]);
        }

        long toLocal = 0, toCloud = 0, localCloud = 0;
        var presentLocal = new bool[devices];
        var localPrediction = -1;
        var localEntropy = float.NaN;
        double decision = 0;
        var wire = (uint)sample;
        if (_model.Local is { } local)
        {
            var link = Options.DeviceToLocal;
            var inputs = new float[]?[devices];
            var allArrived = true;
            double lastArrival = 0;
            for (var d = 0; d < devices; d++)
            {
                if (!alive[d]) { allArrived = false; continue; }
                var length = WireMessage.WriteScores((byte)d, wire, _deviceLogits[d], Options.Scores, _buffer);
                toLocal += length;
                var arrival = Deliver(link, length, faults.DeviceDelayMs(d, sample));
                if (arrival is not { } t) { allArrived = false; continue; }
                WireMessage.ReadScores(_buffer.AsSpan(0, length), _receivedLogits[d]);
                presentLocal[d] = true;
                inputs[d] = _receivedLogits[d];
                lastArrival = Math.Max(lastArrival, t);
            }
            decision = allArrived ? lastArrival : link.TimeoutMs;
            if (presentLocal.Contains(true))
            {
                local.Run(inputs, _logits);
                (localPrediction, localEntropy) = Score(_logits);
                if (localEntropy < Options.LocalThreshold)
                    return Outcome(sample, ExitTier.Local, localPrediction, decision, localPrediction, localEntropy, -1, presentLocal, new bool[devices], toLocal, 0, 0);
            }
        }

        // Up to the cloud: request from the aggregator, features from the devices, answer back.
        var cloudLink = Options.LocalToCloud;
        var deadline = decision + cloudLink.TimeoutMs;
        var presentCloud = new bool[devices];
        var cloudPrediction = -1;
        double? answerAt = null;
        var requestLength = WireMessage.WriteRequest(0, wire, presentLocal, _buffer);
        var requestArrival = _model.Local is null ? decision : Deliver(cloudLink, requestLength, 0) is { } r ? decision + r : (double?)null;
        if (_model.Local is not null) localCloud += requestLength;
        var featureLink = Options.DeviceToCloud;
        var cloudInputs = new ulong[]?[devices];
        var allFeatures = true;
        double lastFeature = decision;
        var (fh, fw) = _model.Devices[0].FeatureSize;
        var channels = _model.Devices[0].FeatureChannels;
        for (var d = 0; d < devices; d++)
        {
            if (!alive[d]) { allFeatures = false; continue; }
            var length = WireMessage.WriteFeatures((byte)d, wire, _features[d], channels, fh, fw, _buffer);
            toCloud += length;
            if (faults.IsCloudDown(sample) || Deliver(featureLink, length, faults.DeviceDelayMs(d, sample)) is not { } t) { allFeatures = false; continue; }
            WireMessage.ReadFeatures(_buffer.AsSpan(0, length), channels, fh, fw, _receivedFeatures[d]);
            presentCloud[d] = true;
            cloudInputs[d] = _receivedFeatures[d];
            lastFeature = Math.Max(lastFeature, decision + t);
        }
        if (!faults.IsCloudDown(sample) && requestArrival is { } request && presentCloud.Contains(true))
        {
            var cloudStart = Math.Max(request, allFeatures ? lastFeature : decision + featureLink.TimeoutMs);
            _model.Cloud.Run(cloudInputs, _logits);
            cloudPrediction = Score(_logits).Prediction;
            var answerLength = WireMessage.WriteAnswer(wire, cloudPrediction, _buffer);
            localCloud += answerLength;
            if (Deliver(cloudLink, answerLength, 0) is { } back && cloudStart + back <= deadline)
            {
                answerAt = cloudStart + back;
                cloudPrediction = WireMessage.ReadAnswer(_buffer.AsSpan(0, answerLength), out _);
            }
        }
        if (answerAt is { } at)
            return Outcome(sample, ExitTier.Cloud, cloudPrediction, at, localPrediction, localEntropy, cloudPrediction, presentLocal, presentCloud, toLocal, toCloud, localCloud);
        var fallback = localPrediction >= 0 ? ExitTier.LocalFallback : ExitTier.None;
        return Outcome(sample, fallback, localPrediction, deadline, localPrediction, localEntropy, cloudPrediction, presentLocal, presentCloud, toLocal, toCloud, localCloud);
    }

    /// <summary>Arrival time after the send, or null when lost or later than the link's timeout. Always draws once (determinism).</summary>
    private double? Deliver(LinkSpec link, int bytes, double extraMs)
    {
        var lost = _random.NextDouble() < link.Loss;
        var arrival = link.TransferMs(bytes) + extraMs;
        return lost || arrival > link.TimeoutMs ? null : arrival;
    }

    private (int Prediction, float Entropy) Score(float[] logits)
    {
        var best = 0;
        for (var j = 1; j < logits.Length; j++) if (logits[j] > logits[best]) best = j;
        Kernels.Softmax.NormalizedEntropy(1, logits.Length, logits, _entropy);
        return (best, _entropy[0]);
    }

    private static CascadeOutcome Outcome(long sample, ExitTier tier, int prediction, double latency, int localPrediction, float localEntropy,
        int cloudPrediction, bool[] presentLocal, bool[] presentCloud, long toLocal, long toCloud, long localCloud) => new()
    {
        Sample = sample, Tier = tier, Prediction = prediction, LatencyMs = latency, LocalPrediction = localPrediction,
        LocalEntropy = localEntropy, CloudPrediction = cloudPrediction, PresentAtLocal = presentLocal, PresentAtCloud = presentCloud,
        DeviceToLocalBytes = toLocal, DeviceToCloudBytes = toCloud, LocalToCloudBytes = localCloud,
    };

    private static T[][] NewArrays<T>(int count, int length)
    {
        var arrays = new T[count][];
        for (var i = 0; i < count; i++) arrays[i] = new T[length];
        return arrays;
    }
}

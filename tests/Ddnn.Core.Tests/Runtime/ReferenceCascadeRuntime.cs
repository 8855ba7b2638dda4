using Ddnn.Core.Inference;
using Ddnn.Core.Deploy;
using Ddnn.Core.Randomness;

using Ddnn.Core.Runtime;

namespace Ddnn.Core.Tests.Runtime;

/// <summary>
/// The cascade runtime as it was before the served tiers replaced it (a straight-line simulation per sample), kept
/// as the reference the tier-based <see cref="CascadeRuntime"/> is checked against.
/// Runs a deployed DDNN as independent components (devices, local aggregator, edges, cloud) that talk only through
/// encoded <see cref="WireMessage"/>s over simulated links (latency, bandwidth, loss, per-link timeout) on a simulated
/// clock. Nothing sleeps and nothing waits beyond a timeout, so nothing hangs; message loss is drawn from a seeded
/// generator, so runs are deterministic.
/// </summary>
/// <remarks>
/// Per sample (time 0 = sensing): every live device runs its partition and sends its scores to the local aggregator;
/// the aggregator waits for all devices or the link timeout, fuses the scores that arrived (the others are missing)
/// and exits if the normalized entropy is below the local threshold. Otherwise, with edges, the devices send their
/// feature maps to their edges; each edge waits for its devices or the timeout, runs on those present and sends its
/// scores to the aggregator, which exits at the edge level (mean softmax of the edges that answered, as the
/// evaluator's edge level) below the edge threshold. Otherwise the aggregator sends a request to the cloud and the
/// devices (or edges) send their maps; the cloud waits for all of them or the timeout, runs on those present and
/// answers. If the answer is not back within the aggregator↔cloud timeout, the edge level or else the local exit
/// answers, flagged degraded. Without a local exit the devices send features at once.
/// </remarks>
internal sealed class ReferenceCascadeRuntime
{
    private readonly DeployedModel _model;
    private readonly SeededRandom _random;
    private readonly float[][] _deviceLogits, _receivedLogits;
    private readonly ulong[][] _features, _receivedFeatures;
    private readonly ulong[][] _edgeFeatures, _receivedEdgeFeatures;
    private readonly byte[] _buffer;
    private readonly float[] _logits, _probabilities, _edgeMean;
    private readonly float[] _entropy = new float[1];
    // Per-sample working arrays, reused so the per-sample loop allocates only the outcome it returns.
    private readonly bool[] _alive, _edgeRan;
    private readonly float[]?[] _localInputs;
    private readonly ulong[]?[] _cloudInputs, _cloudReceived;
    private readonly ulong[]?[][] _edgeInputs, _edgeReceived;
    private readonly int[] _cloudSenders;
    private readonly SampleState _state;

    /// <summary>Creates a runtime over <paramref name="model"/>.</summary>
    public ReferenceCascadeRuntime(DeployedModel model, CascadeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Options = options ?? new CascadeOptions();
        if (!(Options.LocalThreshold >= 0)) throw new ArgumentOutOfRangeException(nameof(options), Options.LocalThreshold, "local threshold must be non-negative.");
        if (!(Options.EdgeThreshold >= 0)) throw new ArgumentOutOfRangeException(nameof(options), Options.EdgeThreshold, "edge threshold must be non-negative.");
        _model = model;
        Scores = Options.Scores ?? model.Scores;
        _random = new SeededRandom(Options.Seed);
        var d = model.Devices.Length;
        var classes = model.Config.Classes;
        _deviceLogits = NewArrays<float>(d, classes);
        _receivedLogits = NewArrays<float>(d, classes);
        var featureWords = model.Devices[0].Features.Length;
        _features = NewArrays<ulong>(d, featureWords);
        _receivedFeatures = NewArrays<ulong>(d, featureWords);
        _edgeFeatures = new ulong[model.Edges.Length][];
        _receivedEdgeFeatures = new ulong[model.Edges.Length][];
        var largest = Math.Max(WireMessage.ScoresBytes(classes, Scores), WireMessage.RequestBytes(d));
        largest = Math.Max(largest, WireMessage.FeaturesBytes(model.Devices[0].FeatureChannels, model.Devices[0].FeatureSize.Height, model.Devices[0].FeatureSize.Width));
        for (var e = 0; e < model.Edges.Length; e++)
        {
            var edge = model.Edges[e];
            var last = edge.Blocks[^1];
            _edgeFeatures[e] = new ulong[last.OutputWords];
            _receivedEdgeFeatures[e] = new ulong[last.OutputWords];
            largest = Math.Max(largest, WireMessage.FeaturesBytes(last.OutChannels, last.OutHeight, last.OutWidth));
            largest = Math.Max(largest, WireMessage.ScoresBytes(classes, ScoreEncoding.Float32));
        }
        _buffer = new byte[Math.Max(largest, WireMessage.AnswerBytes)];
        _logits = new float[classes];
        _probabilities = new float[classes];
        _edgeMean = new float[classes];
        _alive = new bool[d];
        _edgeRan = new bool[model.Edges.Length];
        _localInputs = new float[]?[d];
        var cloudSenders = model.Edges.Length > 0 ? model.Edges.Length : d;
        _cloudInputs = new ulong[]?[cloudSenders];
        _cloudReceived = new ulong[]?[cloudSenders];
        _cloudSenders = new int[cloudSenders];
        for (var i = 0; i < cloudSenders; i++) _cloudSenders[i] = i;
        _edgeInputs = new ulong[]?[model.Edges.Length][];
        _edgeReceived = new ulong[]?[model.Edges.Length][];
        for (var e = 0; e < model.Edges.Length; e++)
        {
            _edgeInputs[e] = new ulong[]?[model.Config.Edges[e].Devices.Count];
            _edgeReceived[e] = new ulong[]?[model.Config.Edges[e].Devices.Count];
        }
        _state = new SampleState(d, model.Edges.Length);
    }

    /// <summary>The exit thresholds, links, seed and faults this runtime simulates.</summary>
    public CascadeOptions Options { get; }

    /// <summary>How devices send their class scores here: <see cref="CascadeOptions.Scores"/>, else the model's choice.</summary>
    public ScoreEncoding Scores { get; }

    /// <summary>Runs sample number <paramref name="sample"/> with views (D, C, H, W).</summary>
    public CascadeOutcome Run(long sample, ReadOnlySpan<float> views)
    {
        var devices = _model.Devices.Length;
        if (views.Length != devices * _model.ViewLength)
            throw new ArgumentException($"views have {views.Length} values, expected D·C·H·W = {devices * _model.ViewLength}.", nameof(views));
        var faults = Options.Faults;
        var alive = _alive;
        for (var d = 0; d < devices; d++)
        {
            alive[d] = false;
            if (faults.IsDeviceDown(d, sample)) continue;
            alive[d] = true;
            _model.Devices[d].Run(views.Slice(d * _model.ViewLength, _model.ViewLength), _deviceLogits[d]);
            _model.Devices[d].Features.CopyTo(_features[d]);
        }
        Array.Clear(_edgeRan);
        var s = _state.Start(sample, alive, _edgeRan);

        if (_model.Local is not null && LocalStage(s)) return s.Finish(ExitTier.Local, s.LocalPrediction, s.Decision);

        ulong[]?[] cloudInputs;
        LinkSpec upLink;
        if (_model.Edges.Length > 0)
        {
            if (EdgeStage(s)) return s.Finish(ExitTier.Edge, s.EdgePrediction, s.Decision);
            cloudInputs = _cloudInputs;
            for (var e = 0; e < cloudInputs.Length; e++)
                cloudInputs[e] = s.EdgeRan[e] ? _edgeFeatures[e] : null;
            upLink = Options.EdgeToCloud;
        }
        else
        {
            cloudInputs = _cloudInputs;
            for (var d = 0; d < devices; d++)
                cloudInputs[d] = alive[d] ? _features[d] : null;
            upLink = Options.DeviceToCloud;
        }
        return CloudStage(s, cloudInputs, upLink);
    }

    /// <summary>Device scores to the aggregator, fusion, and the local exit decision (true = exits here).</summary>
    private bool LocalStage(SampleState s)
    {
        var link = Options.DeviceToLocal;
        var devices = _model.Devices.Length;
        var inputs = _localInputs;
        Array.Clear(inputs);
        var allArrived = true;
        double last = 0;
        for (var d = 0; d < devices; d++)
        {
            if (!s.Alive[d]) { allArrived = false; continue; }
            var length = WireMessage.WriteScores((byte)d, (uint)s.Sample, _deviceLogits[d], Scores, _model.Devices[d].ScoreQuantizer, _buffer);
            s.ToLocal += length;
            if (Deliver(link, length, Options.Faults.DeviceDelayMs(d, s.Sample)) is not { } t) { allArrived = false; continue; }
            WireMessage.ReadScores(_buffer.AsSpan(0, length), _receivedLogits[d], _model.Local!.DeviceScores[d]);
            s.PresentLocal[d] = true;
            inputs[d] = _receivedLogits[d];
            last = Math.Max(last, t);
        }
        s.Decision = allArrived ? last : link.TimeoutMs;
        if (!s.PresentLocal.Contains(true)) return false;
        _model.Local!.Run(inputs, _logits);
        (s.LocalPrediction, s.LocalEntropy) = Score(_logits);
        return s.LocalEntropy < Options.LocalThreshold;
    }

    /// <summary>Device maps to their edges, edge partitions, edge scores to the aggregator, the edge-level decision.</summary>
    private bool EdgeStage(SampleState s)
    {
        var start = s.Decision;
        var config = _model.Config;
        var scoreLink = Options.EdgeToLocal;
        var deadline = start + Options.DeviceToEdge.TimeoutMs + scoreLink.TimeoutMs;
        Array.Clear(_edgeMean);
        var answered = 0;
        var allAnswered = true;
        double last = start;
        for (var e = 0; e < _model.Edges.Length; e++)
        {
            var owned = config.Edges[e].Devices;
            var inputs = _edgeInputs[e];
            for (var k = 0; k < owned.Count; k++) inputs[k] = s.Alive[owned[k]] ? _features[owned[k]] : null;
            var ready = SendMaps(s, inputs, owned, Options.DeviceToEdge, start, _receivedFeatures, _edgeReceived[e], s.PresentUp);
            var received = _edgeReceived[e];
            if (!AnyPresent(received)) { allAnswered = false; continue; }
            _model.Edges[e].Run(received, _logits);
            _model.Edges[e].Features.CopyTo(_edgeFeatures[e]);
            s.EdgeRan[e] = true;
            var length = WireMessage.WriteScores((byte)e, (uint)s.Sample, _logits, ScoreEncoding.Float32, null, _buffer);
            s.EdgeBytes += length;
            if (Deliver(scoreLink, length, 0) is not { } t) { allAnswered = false; continue; }
            WireMessage.ReadScores(_buffer.AsSpan(0, length), _logits, null);
            Kernels.Softmax.Forward(1, _logits.Length, _logits, _probabilities);
            for (var j = 0; j < _edgeMean.Length; j++) _edgeMean[j] += _probabilities[j];
            s.EdgesAnswered[e] = true;
            answered++;
            last = Math.Max(last, ready + t);
        }
        s.Decision = allAnswered ? last : deadline;
        if (answered == 0) return false;
        var scale = 1f / answered;
        for (var j = 0; j < _edgeMean.Length; j++) _edgeMean[j] *= scale;
        (s.EdgePrediction, s.EdgeEntropy) = ClassScores.OfProbabilities(_edgeMean);
        return s.EdgeEntropy < Options.EdgeThreshold;
    }

    /// <summary>Request, maps to the cloud, the cloud partition and its answer; falls back to the edge or local level.</summary>
    private CascadeOutcome CloudStage(SampleState s, ulong[]?[] inputs, LinkSpec upLink)
    {
        var cloudLink = Options.LocalToCloud;
        var start = s.Decision;
        var deadline = start + cloudLink.TimeoutMs;
        var cloudDown = Options.Faults.IsCloudDown(s.Sample);
        double? request = start;
        if (_model.Local is not null)
        {
            var length = WireMessage.WriteRequest(0, (uint)s.Sample, s.PresentLocal, _buffer);
            s.LocalCloud += length;
            request = Deliver(cloudLink, length, 0) is { } r ? start + r : null;
        }
        var viaEdges = _model.Edges.Length > 0;
        var received = _cloudReceived;
        var ready = SendMaps(s, inputs, _cloudSenders, upLink, start, viaEdges ? _receivedEdgeFeatures : _receivedFeatures,
            received, viaEdges ? null : s.PresentUp, cloudDown);
        if (!cloudDown && request is { } requested && AnyPresent(received))
        {
            _model.Cloud.Run(received, _logits);
            s.CloudPrediction = Score(_logits).Prediction;
            var length = WireMessage.WriteAnswer((uint)s.Sample, s.CloudPrediction, _buffer);
            s.LocalCloud += length;
            var computed = Math.Max(requested, ready);
            if (Deliver(cloudLink, length, 0) is { } back && computed + back <= deadline)
                return s.Finish(ExitTier.Cloud, WireMessage.ReadAnswer(_buffer.AsSpan(0, length), out _), computed + back);
        }
        if (s.EdgePrediction >= 0) return s.Finish(ExitTier.EdgeFallback, s.EdgePrediction, deadline);
        if (s.LocalPrediction >= 0) return s.Finish(ExitTier.LocalFallback, s.LocalPrediction, deadline);
        return s.Finish(ExitTier.None, -1, deadline);
    }

    /// <summary>
    /// Sends the present maps of <paramref name="inputs"/> (sender i = device or edge <paramref name="senderIds"/>[i])
    /// over <paramref name="link"/> at <paramref name="start"/>; fills <paramref name="received"/> with the decoded maps
    /// that arrived in time (null = missing) and returns the time the receiver stops waiting (last arrival when all
    /// arrived, else the timeout).
    /// </summary>
    private double SendMaps(SampleState s, ulong[]?[] inputs, IReadOnlyList<int> senderIds, LinkSpec link,
        double start, ulong[][] receiveBuffers, ulong[]?[] received, bool[]? presentBySender, bool receiverDown = false)
    {
        Array.Clear(received);
        var all = true;
        var last = start;
        var viaEdges = ReferenceEquals(receiveBuffers, _receivedEdgeFeatures);
        for (var i = 0; i < inputs.Length; i++)
        {
            if (inputs[i] is not { } map) { all = false; continue; }
            var id = senderIds[i];
            var (channels, h, w) = viaEdges ? EdgeMap(id) : DeviceMap();
            var length = WireMessage.WriteFeatures((byte)id, (uint)s.Sample, map, channels, h, w, _buffer);
            if (viaEdges) s.EdgeBytes += length;
            else s.ToUp += length;
            var delay = viaEdges ? 0 : Options.Faults.DeviceDelayMs(id, s.Sample);
            if (receiverDown || Deliver(link, length, delay) is not { } t) { all = false; continue; }
            WireMessage.ReadFeatures(_buffer.AsSpan(0, length), channels, h, w, receiveBuffers[id]);
            received[i] = receiveBuffers[id];
            if (presentBySender is not null) presentBySender[id] = true;
            last = Math.Max(last, start + t);
        }
        return all ? last : start + link.TimeoutMs;
    }

    private static bool AnyPresent(ulong[]?[] maps)
    {
        foreach (var map in maps) if (map is not null) return true;
        return false;
    }

    private (int Channels, int Height, int Width) DeviceMap() =>
        (_model.Devices[0].FeatureChannels, _model.Devices[0].FeatureSize.Height, _model.Devices[0].FeatureSize.Width);

    private (int Channels, int Height, int Width) EdgeMap(int edge)
    {
        var last = _model.Edges[edge].Blocks[^1];
        return (last.OutChannels, last.OutHeight, last.OutWidth);
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
        Kernels.Softmax.NormalizedEntropy(1, logits.Length, logits, _entropy);
        return (ClassScores.ArgMax(logits), _entropy[0]);
    }

    private static T[][] NewArrays<T>(int count, int length)
    {
        var arrays = new T[count][];
        for (var i = 0; i < count; i++) arrays[i] = new T[length];
        return arrays;
    }

    /// <summary>
    /// What one sample has gathered on its way up. One instance per runtime, restarted per sample; the presence arrays
    /// are fresh per sample because the returned outcome keeps them.
    /// </summary>
    private sealed class SampleState(int devices, int edges)
    {
        public long Sample { get; private set; }
        public bool[] Alive { get; private set; } = [];
        public bool[] PresentLocal { get; private set; } = [];
        public bool[] PresentUp { get; private set; } = [];
        public bool[] EdgeRan { get; private set; } = [];
        public bool[] EdgesAnswered { get; private set; } = [];
        public double Decision { get; set; }
        public int LocalPrediction { get; set; }
        public float LocalEntropy { get; set; }
        public int EdgePrediction { get; set; }
        public float EdgeEntropy { get; set; }
        public int CloudPrediction { get; set; }
        public long ToLocal { get; set; }
        public long ToUp { get; set; }
        public long EdgeBytes { get; set; }
        public long LocalCloud { get; set; }

        /// <summary>Resets every field for sample <paramref name="sample"/>.</summary>
        public SampleState Start(long sample, bool[] alive, bool[] edgeRan)
        {
            Sample = sample;
            Alive = alive;
            PresentLocal = new bool[devices];
            PresentUp = new bool[devices];
            EdgeRan = edgeRan;
            EdgesAnswered = edges == 0 ? [] : new bool[edges];
            Decision = 0;
            LocalPrediction = EdgePrediction = CloudPrediction = -1;
            LocalEntropy = EdgeEntropy = float.NaN;
            ToLocal = ToUp = EdgeBytes = LocalCloud = 0;
            return this;
        }

        public CascadeOutcome Finish(ExitTier tier, int prediction, double latency) => new()
        {
            Sample = Sample, Tier = tier, Prediction = prediction, LatencyMs = latency, LocalPrediction = LocalPrediction,
            LocalEntropy = LocalEntropy, EdgePrediction = EdgePrediction, EdgeEntropy = EdgeEntropy, EdgesAnswered = EdgesAnswered,
            CloudPrediction = CloudPrediction, PresentAtLocal = PresentLocal, PresentAtCloud = PresentUp,
            DeviceToLocalBytes = ToLocal, DeviceToCloudBytes = ToUp, EdgeBytes = EdgeBytes, LocalToCloudBytes = LocalCloud,
        };
    }
}

using Ddnn.Core.Inference;
using Ddnn.Core.Deploy;
using Ddnn.Core.Serving;

namespace Ddnn.Core.Runtime;

/// <summary>
/// Runs a deployed DDNN as the served tiers (<see cref="DeviceTier"/>, <see cref="LocalAggregatorTier"/>,
/// <see cref="EdgeTier"/>, <see cref="CloudTier"/>) over an in-memory <see cref="SimulatedNetwork"/>: the same protocol
/// <c>ddnn serve</c> runs over MQTT, with simulated links (latency, bandwidth, loss, per-link timeout) on a simulated
/// clock. Nothing sleeps and nothing waits beyond a timeout, so nothing hangs; message loss is drawn from a seeded
/// generator, so runs are deterministic.
/// </summary>
/// <remarks>
/// Per sample (time 0 = the tick): every live device runs its partition and sends its scores to the local aggregator;
/// the aggregator waits for all devices or the link timeout, fuses the scores that arrived (the others are missing)
/// and exits if the normalized entropy is below the local threshold. Otherwise, with edges, it requests the edge
/// stage: the devices send their feature maps to their edges; each edge waits for its devices or the timeout, runs on
/// those present and sends its scores to the aggregator, which exits at the edge level (mean softmax of the edges that
/// answered, as the evaluator's edge level) below the edge threshold. Otherwise the aggregator sends a request to the
/// cloud and the devices (or edges) send their maps; the cloud waits for all of them or the timeout, runs on those
/// present and answers. If the answer is not back within the aggregator↔cloud timeout, the edge level or else the
/// local exit answers, flagged degraded. Without a local exit the devices send features at once.
/// One sample at a time: each runs until the network is idle, then the clock restarts at 0.
/// </remarks>
public sealed class CascadeRuntime
{
    private readonly DeployedModel _model;
    private readonly CascadeLinks _links;
    private readonly SimulatedNetwork _network;
    private readonly LocalAggregatorTier _aggregator;
    private readonly ServingTier[] _tiers;
    private readonly float[] _views;
    private readonly bool _hasLocal;
    private CascadeOutcome? _outcome;
    private uint _wireSample;

    /// <summary>Creates a runtime over <paramref name="model"/>.</summary>
    public CascadeRuntime(DeployedModel model, CascadeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Options = options ?? new CascadeOptions();
        if (!(Options.LocalThreshold >= 0)) throw new ArgumentOutOfRangeException(nameof(options), Options.LocalThreshold, "local threshold must be non-negative.");
        if (!(Options.EdgeThreshold >= 0)) throw new ArgumentOutOfRangeException(nameof(options), Options.EdgeThreshold, "edge threshold must be non-negative.");
        _model = model;
        Scores = Options.Scores ?? model.Scores;
        _hasLocal = model.Local is not null;
        _views = new float[model.Devices.Length * model.ViewLength];
        var topics = new TopicScheme("cascade");
        _links = new CascadeLinks(Options, model);
        _network = new SimulatedNetwork(topics, _links, model.Devices.Length);
        var fingerprint = ModelFingerprint.Of(model);
        var o = Options;
        _aggregator = new LocalAggregatorTier(model, fingerprint, topics, _network.Connect(new PartitionId(PartitionKind.Local)), _network,
            new AggregatorSettings
            {
                LocalThreshold = o.LocalThreshold, EdgeThreshold = o.EdgeThreshold, DeviceWaitMs = o.DeviceToLocal.TimeoutMs,
                EdgeMapWaitMs = o.DeviceToEdge.TimeoutMs, EdgeScoreWaitMs = o.EdgeToLocal.TimeoutMs, CloudWaitMs = o.LocalToCloud.TimeoutMs,
            })
        { Answered = outcome => _outcome = outcome };
        var tiers = new List<ServingTier>();
        var sensor = new ViewSensor(this);
        for (var d = 0; d < model.Devices.Length; d++)
            tiers.Add(new DeviceTier(model, d, fingerprint, topics, _network.Connect(new PartitionId(PartitionKind.Device, d)), _network, sensor,
                new DeviceSettings { Scores = Scores, KeptSamples = 1 }));
        tiers.Add(_aggregator);
        for (var e = 0; e < model.Edges.Length; e++)
            tiers.Add(new EdgeTier(model, e, fingerprint, topics, _network.Connect(new PartitionId(PartitionKind.Edge, e)), _network,
                new FusionSettings { MapWaitMs = o.DeviceToEdge.TimeoutMs, HoldMs = o.LocalToCloud.TimeoutMs, MaxSamples = 2 }));
        tiers.Add(new CloudTier(model, fingerprint, topics, _network.Connect(new PartitionId(PartitionKind.Cloud)), _network,
            new FusionSettings { MapWaitMs = CloudMapWait(model, o), HoldMs = o.LocalToCloud.TimeoutMs, MaxSamples = 2 }));
        _tiers = [.. tiers];
        foreach (var tier in _tiers) _network.Attach(tier.Id, tier);
        foreach (var tier in _tiers) tier.Start();
        _network.RunUntilIdle();
    }

    /// <summary>
    /// How long the cloud waits for maps after the request reaches it: the up link's timeout counted from the request's
    /// send (so less the request's transfer time), or from the start of the cloud stage when no request message travels.
    /// </summary>
    private static double CloudMapWait(DeployedModel model, CascadeOptions o)
    {
        var up = model.Edges.Length > 0 ? o.EdgeToCloud : o.DeviceToCloud;
        if (model.Local is null) return up.TimeoutMs;
        return Math.Max(0, up.TimeoutMs - o.LocalToCloud.TransferMs(WireMessage.RequestBytes(model.Devices.Length)));
    }

    /// <summary>The exit thresholds, links, seed and faults this runtime simulates.</summary>
    public CascadeOptions Options { get; }

    /// <summary>How devices send their class scores here: <see cref="CascadeOptions.Scores"/>, else the model's choice.</summary>
    public ScoreEncoding Scores { get; }

    /// <summary>The tiers (devices, aggregator, edges, cloud), for their counters.</summary>
    public IReadOnlyList<ServingTier> Tiers => _tiers;

    /// <summary>Runs sample number <paramref name="sample"/> with views (D, C, H, W).</summary>
    public CascadeOutcome Run(long sample, ReadOnlySpan<float> views)
    {
        if (views.Length != _views.Length)
            throw new ArgumentException($"views have {views.Length} values, expected D·C·H·W = {_views.Length}.", nameof(views));
        views.CopyTo(_views);
        _network.RestartClock();
        _network.Traffic.Reset();
        _links.Sample = sample;
        _outcome = null;
        try
        {
            // The wire ids are the runtime's own sequence: callers may run the same sample number twice.
            if (!_aggregator.Tick(_wireSample++)) throw new InvalidOperationException("the aggregator refused the tick (a sample still in flight).");
            _network.RunUntilIdle();
        }
        finally { _links.Sample = -1; }
        var o = _outcome ?? throw new InvalidOperationException("the aggregator did not answer the sample.");
        var t = _network.Traffic;
        return o with
        {
            Sample = sample,
            CloudPrediction = t.CloudPrediction,
            PresentAtCloud = t.DevicesUp,
            DeviceToLocalBytes = t.WireBytes(ServingMessageKind.DeviceScores),
            DeviceToCloudBytes = t.WireBytes(ServingMessageKind.DeviceFeatures),
            EdgeBytes = t.WireBytes(ServingMessageKind.EdgeScores) + t.WireBytes(ServingMessageKind.EdgeFeatures),
            LocalToCloudBytes = (_hasLocal ? t.WireBytes(ServingMessageKind.CloudRequest) : 0) + t.WireBytes(ServingMessageKind.CloudAnswer),
            TickBytes = t.Bytes(ServingMessageKind.Tick),
            ProtocolBytes = ProtocolBytes(t),
        };
    }

    private long ProtocolBytes(SimulatedTraffic t)
    {
        long envelopes = 0;
        for (var kind = ServingMessageKind.DeviceScores; kind <= ServingMessageKind.CloudAnswer; kind++) envelopes += t.Messages(kind);
        return ServingEnvelope.Bytes * envelopes + t.WireBytes(ServingMessageKind.EdgeRequest)
            + (_hasLocal ? 0 : t.WireBytes(ServingMessageKind.CloudRequest));
    }

    /// <summary>Each device's view of the sample being run, from the caller's views.</summary>
    private sealed class ViewSensor(CascadeRuntime runtime) : IDeviceSensor
    {
        public bool TryRead(int device, uint sample, Span<float> view)
        {
            var length = runtime._model.ViewLength;
            runtime._views.AsSpan(device * length, length).CopyTo(view);
            return true;
        }
    }
}

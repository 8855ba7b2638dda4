using Ddnn.Core.Deploy;
using Ddnn.Core.Inference;
using Ddnn.Core.Runtime;

namespace Ddnn.Core.Serving;

/// <summary>
/// The local aggregator: it paces the deployment with frame ticks, and decides every sample's exit as
/// <see cref="CascadeRuntime"/> does. Per sample: wait up to <see cref="AggregatorSettings.DeviceWaitMs"/> for the scores
/// of every device that is online, fuse those present and exit below the local threshold; else (with edges) request
/// the edge stage and wait for every online edge's scores, exit at the edge level (mean softmax of the edges that
/// answered) below the edge threshold; else request the cloud and wait up to <see cref="AggregatorSettings.CloudWaitMs"/>
/// for its answer, falling back to the edge level or the local exit (flagged degraded). A device or edge that goes
/// offline (its will) is no longer waited for; an offline cloud means an immediate fallback. Every sample is answered
/// exactly once (<see cref="Answered"/>); messages for answered samples are dropped as late.
/// </summary>
public sealed class LocalAggregatorTier : ServingTier
{
    private enum Stage : byte { Free, Local, Edge, Cloud }

    private readonly LocalPartition? _local;
    private readonly int _devices, _edges, _classes;
    // With cloud workers: the aggregator gathers the cloud inputs' maps (feature bodies) and sends one self-contained job.
    private readonly bool _bundled;
    private readonly (int Channels, int Height, int Width)[] _cloudShapes;
    private readonly int[] _cloudBodyBytes;
    private readonly ulong[][] _mapCheck; // a map decoded only to check it, so a broken one is dropped here, not in a job
    private readonly string[] _subscriptions;
    private readonly Sample[] _slots;
    // The slots in flight by sample id: every message and every host turn asks for a sample, the count or the next
    // deadline, and scanning all --in-flight slots for each was 8.6% of the aggregator's CPU at 512 slots (perf, 12,500/s).
    private readonly Dictionary<uint, Sample> _inFlight;
    private readonly float[] _logits, _mean;
    private readonly float[] _incoming; // scores of the message being handled, checked before they are kept
    private readonly float[] _entropy = new float[1];
    private readonly ScoreEncoding _scores;
    private uint? _newest;
    // Schedule: the next sample to tick, how many remain, ticks per ms (0: tick when an answer frees a slot) and when.
    private uint _next;
    private long _remaining;
    private double _ratePerMs, _nextTickAt, _lastFrameAt = double.NegativeInfinity;

    /// <summary>The aggregator of <paramref name="model"/>.</summary>
    public LocalAggregatorTier(DeployedModel model, ModelFingerprint fingerprint, TopicScheme topics, IMessageTransport transport,
        IServingClock clock, AggregatorSettings? settings = null, Action<string>? log = null)
        : base(new PartitionId(PartitionKind.Local), model, fingerprint, topics, transport, clock, log)
    {
        Settings = settings ?? new AggregatorSettings();
        Settings.Validate();
        RunId = Settings.RunId;
        _local = model.Local;
        _devices = model.Devices.Length;
        _edges = model.Edges.Length;
        _classes = model.Config.Classes;
        _scores = model.Scores;
        _bundled = topics.HasCloudWorkers;
        _cloudShapes = CloudTier.Shapes(model);
        _cloudBodyBytes = CloudTier.InputBodyBytes(model);
        _mapCheck = [.. _cloudShapes.Select(x => new ulong[x.Height * x.Width * Ddnn.Kernels.Binary.BitPacking.WordsFor(x.Channels)])];
        _subscriptions = [topics.StatusFilter, topics.Inbox(Id)];
        _slots = new Sample[Settings.MaxInFlight];
        for (var i = 0; i < _slots.Length; i++) _slots[i] = new Sample(_devices, _edges, _classes, _bundled ? _cloudBodyBytes : []);
        _inFlight = new Dictionary<uint, Sample>(_slots.Length);
        _logits = new float[_classes];
        _mean = new float[_classes];
        _incoming = new float[_classes];
        _tickTopic = topics.Tick;
        _edgeRequestTopic = topics.EdgeRequest;
        _cloudRequestTopic = topics.CloudRequest;
    }

    private readonly string _tickTopic, _edgeRequestTopic, _cloudRequestTopic;

    /// <summary>Thresholds, waits, run id and samples in flight.</summary>
    public AggregatorSettings Settings { get; }

    /// <summary>Called once per sample with its outcome, when it is answered (or given up: <see cref="ExitTier.None"/>).</summary>
    public Action<CascadeOutcome>? Answered { get; set; }

    /// <summary>Samples ticked and not yet answered.</summary>
    public int InFlight => _inFlight.Count;

    /// <summary>True once every scheduled sample is ticked and answered.</summary>
    public bool ScheduleDone => _remaining == 0 && InFlight == 0;

    /// <inheritdoc/>
    public override IReadOnlyList<string> Subscriptions => _subscriptions;

    /// <inheritdoc/>
    public override double? NextDeadlineMs
    {
        get
        {
            // With rate 0 _nextTickAt stays at the schedule's start: a free slot is due at once (the per-call bound left it).
            double? next = _remaining > 0 && InFlight < _slots.Length ? NextFrameAt : null;
            foreach (var s in _inFlight.Values)
                if (next is null || s.Deadline < next) next = s.Deadline;
            return next;
        }
    }

    /// <summary>When the next tick may go: when it is due, or with frames (<see cref="AggregatorSettings.TickPeriodMs"/>) not before the period after the last frame.</summary>
    private double NextFrameAt => _ratePerMs > 0 ? Math.Max(_nextTickAt, _lastFrameAt + Settings.TickPeriodMs) : _nextTickAt;

    /// <summary>How many sample ids a schedule from <paramref name="first"/> can tick: up to 2^32 − 1, the last id (an endless run).</summary>
    public static long IdsFrom(uint first) => (long)uint.MaxValue - first + 1;

    /// <summary>
    /// Ticks samples <paramref name="first"/>, <paramref name="first"/> + 1, … (<paramref name="count"/> of them):
    /// <paramref name="ratePerSecond"/> ticks per second, or with 0 a new tick whenever an answer frees one of the
    /// <see cref="AggregatorSettings.MaxInFlight"/> slots. A tick that finds every slot busy waits for one.
    /// </summary>
    public void Schedule(uint first, long count, double ratePerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (!(ratePerSecond >= 0) || double.IsInfinity(ratePerSecond)) throw new ArgumentOutOfRangeException(nameof(ratePerSecond), ratePerSecond, "must be finite and non-negative (0: as fast as answers come back).");
        // Sample ids only grow within a run: a schedule that starts at or below the last tick could never tick.
        if (_newest is { } newest && first <= newest) throw new ArgumentOutOfRangeException(nameof(first), first, $"must be above the last sample ticked ({newest}).");
        if (count > 0 && (ulong)first + (ulong)count - 1 > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(count), count, "the sample ids would pass 2^32 - 1.");
        _next = first;
        _remaining = count;
        _ratePerMs = ratePerSecond / 1000;
        _nextTickAt = Clock.NowMs;
        _lastFrameAt = double.NegativeInfinity;
        TickScheduled();
    }

    /// <summary>
    /// Starts sample <paramref name="sample"/> now: publishes its tick and waits for the devices. False when every
    /// slot is busy, or when <paramref name="sample"/> is not newer than the last sample ticked (ids only grow within a run).
    /// Throws <see cref="InvalidOperationException"/> while a <see cref="Schedule"/> runs: the schedule owns the ids.
    /// </summary>
    public bool Tick(uint sample)
    {
        if (_remaining > 0) throw new InvalidOperationException($"a schedule is ticking (next id {_next}, {_remaining} to go); wait for ScheduleDone before ticking by hand.");
        return TryTick(sample, Clock.NowMs);
    }

    /// <summary>Ticks <paramref name="sample"/>, which was due at <paramref name="dueAt"/> (its latency counts from then).</summary>
    private bool TryTick(uint sample, double dueAt)
    {
        if (_newest is { } newest && sample <= newest) return false;
        var s = Array.Find(_slots, x => x.Stage == Stage.Free);
        if (s is null) return false;
        _newest = sample;
        var now = Clock.NowMs;
        s.Start(sample, Math.Min(dueAt, now));
        _inFlight.Add(sample, s);
        var length = WireMessage.WriteTick(sample, Outgoing);
        s.TickBytes += ServingEnvelope.Bytes + length;
        Publish(ServingMessageKind.Tick, _tickTopic, length);
        if (_local is not null)
        {
            s.Stage = Stage.Local;
            s.Deadline = now + Settings.DeviceWaitMs;
            if (AllDevicesIn(s)) DecideLocal(s);
        }
        else if (_edges > 0) StartEdges(s, request: false);
        else StartCloud(s, request: false);
        return true;
    }

    /// <inheritdoc/>
    public override void OnTimer(double nowMs)
    {
        foreach (var s in _slots)
        {
            if (s.Stage == Stage.Free || s.Deadline > nowMs) continue;
            switch (s.Stage)
            {
                case Stage.Local: DecideLocal(s); break;
                case Stage.Edge: DecideEdges(s); break;
                default:
                    if (_bundled && !s.JobSent) SendJob(s);
                    else Fallback(s);
                    break;
            }
        }
        TickScheduled();
    }

    /// <inheritdoc/>
    protected override bool Reads(in ParsedTopic topic) => topic.Kind == TopicKind.Addressed && topic.Sender.Kind switch
    {
        PartitionKind.Device => _local is not null || (_bundled && _edges == 0),
        PartitionKind.Edge => true,
        PartitionKind.Cloud => true,
        _ => false,
    };

    /// <inheritdoc/>
    protected override void OnPeerStatus(PartitionId peer, bool online)
    {
        if (online) return;
        foreach (var s in _slots)
        {
            if (s.Stage == Stage.Local && peer.Kind == PartitionKind.Device && AllDevicesIn(s)) DecideLocal(s);
            else if (s.Stage == Stage.Edge && peer.Kind == PartitionKind.Edge && AllEdgesIn(s)) DecideEdges(s);
            else if (s.Stage == Stage.Cloud && peer.Kind == PartitionKind.Cloud && !AnyCloudOnline()) Fallback(s);
            else if (s.Stage == Stage.Cloud && _bundled && !s.JobSent && peer.Kind == CloudInputKind && AllMapsIn(s)) SendJob(s);
        }
        TickScheduled();
    }

    /// <inheritdoc/>
    protected override void OnData(TopicKind topic, PartitionId sender, WireHeader header, ReadOnlySpan<byte> wire)
    {
        // What can be judged from the message alone comes first (kind, exact size, contents), so a broken message is
        // counted as broken whatever sample it names; only then the sample and its stage.
        var prediction = -1;
        if (header.Kind == WireMessageKind.Features)
        {
            // Only the maps of the cloud's inputs, and only when the aggregator bundles them for cloud workers.
            if (!_bundled || sender.Kind != CloudInputKind) { Drop(DropReason.BadKind); return; }
            var (c, h, w) = _cloudShapes[sender.Index];
            if (!SizeIs(wire, WireMessage.FeaturesBytes(c, h, w))) return;
            WireMessage.ReadFeatureBody(wire[WireMessage.HeaderBytes..], c, h, w, _mapCheck[sender.Index]);
            if (Find(header.Sample) is not { } held)
            {
                Drop(_newest is not { } last || header.Sample > last ? DropReason.TooFarAhead : DropReason.Late);
                return;
            }
            OnMap(held, sender.Index, wire);
            TickScheduled();
            return;
        }
        switch (sender.Kind)
        {
            case PartitionKind.Device:
                // Without a local exit a device sends only its map (with cloud workers, to this inbox): scores are a wrong kind.
                if (_local is null) { Drop(DropReason.BadKind); return; }
                var encoding = header.Kind == WireMessageKind.ScoresUInt8 ? ScoreEncoding.UInt8 : ScoreEncoding.Float32;
                if (!SizeIs(wire, WireMessage.ScoresBytes(_classes, encoding))) return;
                WireMessage.ReadScores(wire, _incoming, _local!.DeviceScores[sender.Index]);
                if (!AllFinite(_incoming)) return;
                break;
            case PartitionKind.Edge:
                if (header.Kind != WireMessageKind.ScoresFloat32) { Drop(DropReason.BadKind); return; }
                if (!SizeIs(wire, WireMessage.ScoresBytes(_classes, ScoreEncoding.Float32))) return;
                WireMessage.ReadScores(wire, _incoming, null);
                if (!AllFinite(_incoming)) return;
                break;
            default:
                if (!SizeIs(wire, WireMessage.AnswerBytes)) return;
                prediction = WireMessage.ReadAnswer(wire, out _);
                if (prediction >= _classes) { Drop(DropReason.Malformed); return; }
                break;
        }
        var s = Find(header.Sample);
        if (s is null)
        {
            Drop(_newest is not { } newest || header.Sample > newest ? DropReason.TooFarAhead : DropReason.Late);
            return;
        }
        switch (sender.Kind)
        {
            case PartitionKind.Device: OnDeviceScores(s, sender.Index, wire.Length); break;
            case PartitionKind.Edge: OnEdgeScores(s, sender.Index, wire.Length); break;
            default: OnAnswer(s, prediction, wire.Length); break;
        }
        TickScheduled();
    }

    /// <summary>True when every score decoded into <see cref="_incoming"/> is finite; otherwise counts <see cref="DropReason.NonFinite"/>.</summary>
    private bool AllFinite(float[] scores)
    {
        foreach (var v in scores)
            if (!float.IsFinite(v)) { Drop(DropReason.NonFinite); return false; }
        return true;
    }

    private void OnDeviceScores(Sample s, int d, int bytes)
    {
        if (s.Stage != Stage.Local) { Drop(DropReason.Late); return; }
        if (s.PresentLocal[d]) { Drop(DropReason.Duplicate); return; }
        _incoming.CopyTo(s.Logits[d], 0);
        s.PresentLocal[d] = true;
        s.Inputs[d] = s.Logits[d];
        s.ToLocalBytes += bytes;
        s.ProtocolBytes += ServingEnvelope.Bytes;
        if (AllDevicesIn(s)) DecideLocal(s);
    }

    private void OnEdgeScores(Sample s, int e, int bytes)
    {
        if (s.Stage != Stage.Edge) { Drop(DropReason.Late); return; }
        if (s.EdgesAnswered[e]) { Drop(DropReason.Duplicate); return; }
        Kernels.Softmax.Forward(1, _classes, _incoming, s.EdgeProbabilities[e]);
        s.EdgesAnswered[e] = true;
        s.EdgeBytes += bytes;
        s.ProtocolBytes += ServingEnvelope.Bytes;
        if (AllEdgesIn(s)) DecideEdges(s);
    }

    /// <summary>The kind of tier whose maps the cloud fuses: the edges, or without edges the devices.</summary>
    private PartitionKind CloudInputKind => _edges > 0 ? PartitionKind.Edge : PartitionKind.Device;

    private void OnMap(Sample s, int input, ReadOnlySpan<byte> wire)
    {
        if (s.Stage != Stage.Cloud || s.JobSent) { Drop(DropReason.Late); return; }
        if (s.MapIn[input]) { Drop(DropReason.Duplicate); return; }
        wire[WireMessage.HeaderBytes..].CopyTo(s.Maps[input]);
        s.MapIn[input] = true;
        if (_edges > 0) s.EdgeBytes += wire.Length;
        else s.ToCloudBytes += wire.Length;
        s.ProtocolBytes += ServingEnvelope.Bytes;
        if (AllMapsIn(s)) SendJob(s);
    }

    /// <summary>True when every online cloud input's map for <paramref name="s"/> is in.</summary>
    private bool AllMapsIn(Sample s)
    {
        for (var i = 0; i < s.MapIn.Length; i++)
            if (!s.MapIn[i] && IsOnline(new PartitionId(CloudInputKind, i))) return false;
        return true;
    }

    /// <summary>
    /// Sends the self-contained cloud request, the maps that arrived with their bitmap, to whichever worker the broker
    /// hands it to, and waits <see cref="AggregatorSettings.CloudWaitMs"/> for the answer; without any map, falls back.
    /// </summary>
    private void SendJob(Sample s)
    {
        if (Array.IndexOf(s.MapIn, true) < 0) { Fallback(s); return; }
        s.JobSent = true;
        s.Deadline = Clock.NowMs + Settings.CloudWaitMs;
        var length = WireMessage.WriteCloudJob(s.Id, s.MapIn, s.Maps, _cloudBodyBytes, Outgoing);
        s.LocalCloudBytes += length;
        s.ProtocolBytes += ServingEnvelope.Bytes;
        Publish(ServingMessageKind.CloudJob, Topics.CloudJob, length);
    }

    private void OnAnswer(Sample s, int prediction, int bytes)
    {
        if (s.Stage != Stage.Cloud || (_bundled && !s.JobSent)) { Drop(DropReason.Late); return; }
        s.CloudPrediction = prediction;
        s.LocalCloudBytes += bytes;
        s.ProtocolBytes += ServingEnvelope.Bytes;
        Finish(s, ExitTier.Cloud, prediction);
    }

    private bool AllDevicesIn(Sample s)
    {
        for (var d = 0; d < _devices; d++)
            if (!s.PresentLocal[d] && IsOnline(new PartitionId(PartitionKind.Device, d))) return false;
        return true;
    }

    private bool AllEdgesIn(Sample s)
    {
        for (var e = 0; e < _edges; e++)
            if (!s.EdgesAnswered[e] && IsOnline(new PartitionId(PartitionKind.Edge, e))) return false;
        return true;
    }

    private void DecideLocal(Sample s)
    {
        if (Array.IndexOf(s.PresentLocal, true) >= 0)
        {
            _local!.Run(s.Inputs, _logits);
            Kernels.Softmax.NormalizedEntropy(1, _classes, _logits, _entropy);
            s.LocalPrediction = ClassScores.ArgMax(_logits);
            s.LocalEntropy = _entropy[0];
            if (s.LocalEntropy < Settings.LocalThreshold) { Finish(s, ExitTier.Local, s.LocalPrediction); return; }
        }
        if (_edges > 0) StartEdges(s, request: true);
        else StartCloud(s, request: true);
    }

    private void StartEdges(Sample s, bool request)
    {
        var now = Clock.NowMs;
        s.Stage = Stage.Edge;
        // Grouped as the edges wait: first for their devices' maps, then the aggregator for their scores.
        s.Deadline = now + Settings.EdgeMapWaitMs + Settings.EdgeScoreWaitMs;
        if (request)
        {
            var length = WireMessage.WriteRequest(0, s.Id, s.PresentLocal, Outgoing);
            s.ProtocolBytes += ServingEnvelope.Bytes + length;
            Publish(ServingMessageKind.EdgeRequest, _edgeRequestTopic, length);
        }
        if (AllEdgesIn(s)) DecideEdges(s);
    }

    private void DecideEdges(Sample s)
    {
        var answered = 0;
        Array.Clear(_mean);
        for (var e = 0; e < _edges; e++)
        {
            if (!s.EdgesAnswered[e]) continue;
            var p = s.EdgeProbabilities[e];
            for (var j = 0; j < _classes; j++) _mean[j] += p[j];
            answered++;
        }
        if (answered > 0)
        {
            var scale = 1f / answered;
            for (var j = 0; j < _classes; j++) _mean[j] *= scale;
            (s.EdgePrediction, s.EdgeEntropy) = ClassScores.OfProbabilities(_mean);
            if (s.EdgeEntropy < Settings.EdgeThreshold) { Finish(s, ExitTier.Edge, s.EdgePrediction); return; }
        }
        StartCloud(s, request: true);
    }

    private void StartCloud(Sample s, bool request)
    {
        s.Stage = Stage.Cloud;
        // With cloud workers the aggregator first gathers the maps (as the one cloud would), then sends the job.
        s.Deadline = Clock.NowMs + (_bundled ? Settings.CloudMapWaitMs : Settings.CloudWaitMs);
        if (request)
        {
            var length = WireMessage.WriteRequest(0, s.Id, s.PresentLocal, Outgoing);
            // The paper's cloud request exists with a local exit; without one the request only tells the edges to send.
            if (_local is not null) s.LocalCloudBytes += length;
            else s.ProtocolBytes += length;
            s.ProtocolBytes += ServingEnvelope.Bytes;
            Publish(ServingMessageKind.CloudRequest, _cloudRequestTopic, length);
        }
        if (!AnyCloudOnline()) Fallback(s);
        else if (_bundled && AllMapsIn(s)) SendJob(s);
    }

    private void Fallback(Sample s)
    {
        if (s.EdgePrediction >= 0) Finish(s, ExitTier.EdgeFallback, s.EdgePrediction);
        else if (s.LocalPrediction >= 0) Finish(s, ExitTier.LocalFallback, s.LocalPrediction);
        else Finish(s, ExitTier.None, -1);
    }

    private void Finish(Sample s, ExitTier tier, int prediction)
    {
        var outcome = new CascadeOutcome
        {
            Sample = s.Id, Tier = tier, Prediction = prediction, LatencyMs = Clock.NowMs - s.DueAt,
            LocalPrediction = s.LocalPrediction, LocalEntropy = s.LocalEntropy, EdgePrediction = s.EdgePrediction,
            EdgeEntropy = s.EdgeEntropy, EdgesAnswered = s.EdgesAnswered, CloudPrediction = s.CloudPrediction,
            PresentAtLocal = s.PresentLocal, PresentAtCloud = new bool[_devices], DeviceMissing = _local is not null && Array.IndexOf(s.PresentLocal, false) >= 0,
            DeviceToLocalBytes = s.ToLocalBytes, DeviceToCloudBytes = s.ToCloudBytes, EdgeBytes = s.EdgeBytes, LocalToCloudBytes = s.LocalCloudBytes,
            TickBytes = s.TickBytes, ProtocolBytes = s.ProtocolBytes,
        };
        s.Stage = Stage.Free;
        _inFlight.Remove(s.Id);
        Counters.CountAnswer(outcome.Degraded || outcome.DeviceMissing);
        Answered?.Invoke(outcome);
    }

    private void TickScheduled()
    {
        // Bounded per call: with every peer offline a tick is answered before Tick returns, so an unbounded loop would
        // tick the whole remaining schedule here; the rest is due on the host's next timer turn (NextDeadlineMs).
        var now = Clock.NowMs;
        if (_ratePerMs > 0 && NextFrameAt > now) return;
        for (var ticks = 0; ticks < _slots.Length && _remaining > 0 && InFlight < _slots.Length && (_ratePerMs == 0 || _nextTickAt <= now); ticks++)
        {
            if (!TryTick(_next, _ratePerMs > 0 ? _nextTickAt : now)) break;
            _lastFrameAt = now;
            _next++;
            _remaining--;
            if (_ratePerMs > 0) _nextTickAt += 1 / _ratePerMs;
        }
    }

    private Sample? Find(uint sample) => _inFlight.GetValueOrDefault(sample);

    /// <summary>One sample in flight; the presence arrays are fresh per sample because the outcome keeps them.</summary>
    private sealed class Sample(int devices, int edges, int classes, int[] cloudBodyBytes)
    {
        /// <summary>With cloud workers: whether the job went out, which cloud inputs' maps are in, and their bodies.</summary>
        public bool JobSent;
        public readonly bool[] MapIn = new bool[cloudBodyBytes.Length];
        public readonly byte[][] Maps = [.. cloudBodyBytes.Select(n => new byte[n])];
        public Stage Stage;
        public uint Id;
        /// <summary>When the sample was due (its schedule's time, at most the tick's): latency counts from this.</summary>
        public double DueAt, Deadline;
        public bool[] PresentLocal = [];
        public bool[] EdgesAnswered = [];
        public readonly float[][] Logits = NewArrays(devices, classes);
        public readonly float[]?[] Inputs = new float[]?[devices];
        public readonly float[][] EdgeProbabilities = NewArrays(edges, classes);
        public int LocalPrediction, EdgePrediction, CloudPrediction;
        public float LocalEntropy, EdgeEntropy;
        public long ToLocalBytes, ToCloudBytes, EdgeBytes, LocalCloudBytes, TickBytes, ProtocolBytes;

        public void Start(uint id, double dueAt)
        {
            Id = id;
            DueAt = dueAt;
            PresentLocal = new bool[devices];
            EdgesAnswered = edges == 0 ? [] : new bool[edges];
            Array.Clear(Inputs);
            JobSent = false;
            Array.Clear(MapIn);
            LocalPrediction = EdgePrediction = CloudPrediction = -1;
            LocalEntropy = EdgeEntropy = float.NaN;
            ToLocalBytes = ToCloudBytes = EdgeBytes = LocalCloudBytes = TickBytes = ProtocolBytes = 0;
        }

        private static float[][] NewArrays(int count, int length)
        {
            var arrays = new float[count][];
            for (var i = 0; i < count; i++) arrays[i] = new float[length];
            return arrays;
        }
    }
}

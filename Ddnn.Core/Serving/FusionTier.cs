using Ddnn.Core.Deploy;

namespace Ddnn.Core.Serving;

/// <summary>
/// What an edge and the cloud share: per sample, collect the feature maps of the inputs (devices, or edges), and run
/// the <see cref="FusionPartition"/> once the stage has started (request or tick) and every input that is online has
/// sent its map, or when <see cref="FusionSettings.MapWaitMs"/> has passed; with no map at all the tier stays silent.
/// Held samples are capped (<see cref="FusionSettings.MaxSamples"/>): answered ones are evicted oldest first, maps
/// without a request expire after <see cref="FusionSettings.HoldMs"/>.
/// </summary>
public abstract class FusionTier : ServingTier
{
    private enum SlotState : byte { Free, Collecting, Waiting, Done }

    private readonly FusionPartition _partition;
    private readonly PartitionId[] _inputs;
    private readonly (int Channels, int Height, int Width)[] _shapes;
    private readonly SlotState[] _state;
    private readonly uint[] _sample;
    // Which slot holds a sample: every map and start looks its sample up, and a scan of all held slots (512 at
    // --in-flight 512) was a twentieth of the cloud's time at 17,500 samples/s.
    private readonly Dictionary<uint, int> _slotOf;
    private readonly double[] _deadline;
    private readonly bool[][] _received;
    private readonly ulong[][][] _maps;
    private readonly ulong[]?[] _present;
    private readonly float[] _logits;
    private readonly NewestSample _newest;

    /// <summary>Creates the tier; <paramref name="inputs"/> are the senders of the partition's inputs, in input order.</summary>
    private protected FusionTier(PartitionId id, FusionPartition partition, PartitionId[] inputs, (int, int, int)[] shapes,
        DeployedModel model, ModelFingerprint fingerprint, TopicScheme topics, IMessageTransport transport, IServingClock clock,
        FusionSettings? settings, Action<string>? log)
        : base(id, model, fingerprint, topics, transport, clock, log)
    {
        Settings = settings ?? new FusionSettings();
        Settings.Validate();
        _newest = new NewestSample(Settings.AheadWindow);
        _partition = partition;
        _inputs = inputs;
        _shapes = shapes;
        var n = Settings.MaxSamples;
        _state = new SlotState[n];
        _sample = new uint[n];
        _slotOf = new Dictionary<uint, int>(n);
        _deadline = new double[n];
        _received = new bool[n][];
        _maps = new ulong[n][][];
        for (var s = 0; s < n; s++)
        {
            _received[s] = new bool[inputs.Length];
            _maps[s] = new ulong[inputs.Length][];
            for (var i = 0; i < inputs.Length; i++) _maps[s][i] = new ulong[partition.InputWords(i)];
        }
        _present = new ulong[]?[inputs.Length];
        _logits = new float[model.Config.Classes];
    }

    /// <summary>How this tier waits and what it holds.</summary>
    public FusionSettings Settings { get; }

    /// <summary>Samples held now (waiting or answered).</summary>
    public int HeldSamples
    {
        get
        {
            var held = 0;
            foreach (var s in _state) if (s != SlotState.Free) held++;
            return held;
        }
    }

    /// <inheritdoc/>
    public override double? NextDeadlineMs
    {
        get
        {
            double? next = null;
            for (var s = 0; s < _state.Length; s++)
                if (_state[s] is SlotState.Waiting or SlotState.Collecting && (next is null || _deadline[s] < next)) next = _deadline[s];
            return next;
        }
    }

    /// <inheritdoc/>
    public override void OnTimer(double nowMs)
    {
        for (var s = 0; s < _state.Length; s++)
        {
            if (_deadline[s] > nowMs) continue;
            if (_state[s] == SlotState.Waiting) Run(s);
            else if (_state[s] == SlotState.Collecting)
            {
                _state[s] = SlotState.Free;
                _slotOf.Remove(_sample[s]);
                Drop(DropReason.Expired);
            }
        }
    }

    /// <inheritdoc/>
    protected override void OnRunChanged()
    {
        Array.Clear(_state);
        _slotOf.Clear();
        _newest.Reset();
    }

    /// <inheritdoc/>
    protected override void OnPeerStatus(PartitionId peer, bool online)
    {
        if (online) return;
        for (var s = 0; s < _state.Length; s++)
            if (_state[s] == SlotState.Waiting) TryRun(s);
    }

    /// <summary>The stage of sample <paramref name="sample"/> starts here (request or tick): wait for the maps from now.</summary>
    private protected void OnStart(uint sample, ReadOnlySpan<byte> wire, int expectedLength)
    {
        if (!SizeIs(wire, expectedLength)) return;
        if (_newest.Value is { } newest && sample < newest && newest - sample > Settings.BehindWindow) { Drop(DropReason.TooOld); return; }
        var slot = Find(sample);
        if (slot >= 0 && _state[slot] is SlotState.Waiting or SlotState.Done) { Drop(DropReason.Duplicate); return; }
        if (slot < 0 && (slot = Allocate(sample)) < 0) return;
        _newest.Started(sample);
        _state[slot] = SlotState.Waiting;
        _deadline[slot] = Clock.NowMs + Settings.MapWaitMs;
        TryRun(slot);
    }

    /// <summary>A feature map from <paramref name="sender"/>.</summary>
    private protected void OnMap(PartitionId sender, uint sample, ReadOnlySpan<byte> wire)
    {
        var input = Array.IndexOf(_inputs, sender);
        if (input < 0) { Drop(DropReason.UnexpectedSender); return; }
        var (c, h, w) = _shapes[input];
        if (!SizeIs(wire, WireMessage.FeaturesBytes(c, h, w))) return;
        // A sample this tier holds (e.g. started far ahead, not yet the newest) takes its maps whatever the window says.
        var slot = Find(sample);
        if (slot < 0 && _newest.Latest is { } latest && sample > latest && sample - latest > Settings.AheadWindow) { Drop(DropReason.TooFarAhead); return; }
        if (slot < 0 && _newest.Value is { } newest && sample < newest && newest - sample > Settings.BehindWindow) { Drop(DropReason.TooOld); return; }
        if (slot >= 0 && _state[slot] == SlotState.Done) { Drop(DropReason.Late); return; }
        if (slot >= 0 && _received[slot][input]) { Drop(DropReason.Duplicate); return; }
        if (slot < 0)
        {
            if ((slot = Allocate(sample)) < 0) return;
            _state[slot] = SlotState.Collecting;
            _deadline[slot] = Clock.NowMs + Settings.HoldMs;
        }
        WireMessage.ReadFeatures(wire, c, h, w, _maps[slot][input]);
        _received[slot][input] = true;
        if (_state[slot] == SlotState.Waiting) TryRun(slot);
    }

    /// <summary>The request topic that starts a sample here (when the tier does not start on the tick).</summary>
    private protected abstract TopicKind StartRequest { get; }

    /// <inheritdoc/>
    protected sealed override void OnData(TopicKind topic, PartitionId sender, WireHeader header, ReadOnlySpan<byte> wire)
    {
        if (topic == TopicKind.Addressed)
        {
            if (header.Kind != WireMessageKind.Features) { Drop(DropReason.BadKind); return; }
            OnMap(sender, header.Sample, wire);
        }
        else if (topic == TopicKind.Tick) OnStart(header.Sample, wire, WireMessage.TickBytes);
        else if (topic == StartRequest) OnStart(header.Sample, wire, WireMessage.RequestBytes(Model.Devices.Length));
        else OnOtherData(topic, header, wire);
    }

    /// <summary>A message on a topic <see cref="ServingTier.Reads"/> accepts that is neither a map nor a start; none by default.</summary>
    private protected virtual void OnOtherData(TopicKind topic, WireHeader header, ReadOnlySpan<byte> wire) { }

    /// <summary>The partition ran on the maps that arrived; <paramref name="logits"/> are its exit's.</summary>
    private protected abstract void OnRan(uint sample, int slot, ReadOnlySpan<float> logits);

    /// <summary>True when sample <paramref name="sample"/> is answered here (ran or stayed silent); its slot in <paramref name="slot"/>.</summary>
    private protected bool IsDone(uint sample, out int slot)
    {
        slot = Find(sample);
        return slot >= 0 && _state[slot] == SlotState.Done;
    }

    /// <summary>Drop reason for a sample this tier holds nothing for.</summary>
    private protected DropReason Missing(uint sample) =>
        _newest.Latest is not { } newest ? DropReason.UnknownSample
        : sample > newest ? DropReason.TooFarAhead
        : newest - sample > Settings.BehindWindow ? DropReason.TooOld : DropReason.UnknownSample;

    private void TryRun(int slot)
    {
        for (var i = 0; i < _inputs.Length; i++)
            if (!_received[slot][i] && IsOnline(_inputs[i])) return;
        Run(slot);
    }

    private void Run(int slot)
    {
        _state[slot] = SlotState.Done;
        var any = false;
        for (var i = 0; i < _inputs.Length; i++)
        {
            _present[i] = _received[slot][i] ? _maps[slot][i] : null;
            any |= _received[slot][i];
        }
        if (!any) return;
        _partition.Run(_present, _logits);
        OnRan(_sample[slot], slot, _logits);
    }

    private int Find(uint sample) => _slotOf.TryGetValue(sample, out var slot) ? slot : -1;

    /// <summary>
    /// A free slot for <paramref name="sample"/>, evicting the oldest answered sample if needed, else the oldest maps
    /// that no request has asked for (counted <see cref="DropReason.Expired"/>: at a high rate the maps of samples that
    /// left at the local exit would otherwise fill every slot for <see cref="FusionSettings.HoldMs"/> and push out the
    /// samples that are asked for); −1 (counted) when all wait.
    /// </summary>
    private int Allocate(uint sample)
    {
        int free = -1, oldestDone = -1, oldestCollecting = -1;
        for (var s = 0; s < _state.Length; s++)
        {
            if (_state[s] == SlotState.Free) { free = s; break; }
            if (_state[s] == SlotState.Done && (oldestDone < 0 || _sample[s] < _sample[oldestDone])) oldestDone = s;
            if (_state[s] == SlotState.Collecting && _sample[s] < sample && (oldestCollecting < 0 || _sample[s] < _sample[oldestCollecting])) oldestCollecting = s;
        }
        var slot = free >= 0 ? free : oldestDone;
        if (slot < 0 && oldestCollecting >= 0)
        {
            Drop(DropReason.Expired);
            slot = oldestCollecting;
        }
        if (slot < 0) { Drop(DropReason.StateFull); return -1; }
        if (_state[slot] != SlotState.Free) _slotOf.Remove(_sample[slot]);
        _sample[slot] = sample;
        _slotOf[sample] = slot;
        Array.Clear(_received[slot]);
        OnSlotReset(slot);
        return slot;
    }

    /// <summary>Slot <paramref name="slot"/> now holds a new sample.</summary>
    private protected virtual void OnSlotReset(int slot) { }
}

/// <summary>
/// An edge: on the edge request (or, without a local exit, the tick) it waits for its devices' maps, runs its
/// partition on those present and sends float32 scores to the aggregator; on the cloud request it sends its map to the
/// cloud, once, if it ran for that sample.
/// </summary>
public sealed class EdgeTier : FusionTier
{
    private readonly FusionPartition _edge;
    private readonly ulong[][] _outputs;
    private readonly byte[] _sentUp;
    private readonly string _scoresTopic, _mapTopic;
    private readonly string[] _subscriptions;
    private readonly (int Channels, int Height, int Width) _outShape;

    /// <summary>Edge <paramref name="edge"/> of <paramref name="model"/>.</summary>
    public EdgeTier(DeployedModel model, int edge, ModelFingerprint fingerprint, TopicScheme topics, IMessageTransport transport,
        IServingClock clock, FusionSettings? settings = null, Action<string>? log = null)
        : base(new PartitionId(PartitionKind.Edge, CheckEdge(model, edge)), model.Edges[edge], DeviceInputs(model, edge),
            DeviceShapes(model, edge), model, fingerprint, topics, transport, clock, settings, log)
    {
        _edge = model.Edges[edge];
        var last = _edge.Blocks[^1];
        _outShape = (last.OutChannels, last.OutHeight, last.OutWidth);
        _outputs = new ulong[Settings.MaxSamples][];
        for (var s = 0; s < _outputs.Length; s++) _outputs[s] = new ulong[last.OutputWords];
        _sentUp = new byte[Settings.MaxSamples];
        _scoresTopic = topics.To(new PartitionId(PartitionKind.Local), Id);
        // With cloud workers the aggregator bundles the edges' maps into one self-contained request, so they go to it.
        _mapTopic = topics.To(new PartitionId(topics.HasCloudWorkers ? PartitionKind.Local : PartitionKind.Cloud), Id);
        _subscriptions = [topics.StatusFilter, topics.Inbox(Id), model.Local is not null ? topics.EdgeRequest : topics.Tick, topics.CloudRequest];
    }

    private static int CheckEdge(DeployedModel model, int edge)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (edge < 0 || edge >= model.Edges.Length) throw new ArgumentOutOfRangeException(nameof(edge), edge, model.Edges.Length == 0 ? "the model has no edges." : $"the model has edges 0..{model.Edges.Length - 1}.");
        if (model.Edges[edge].Blocks.Length == 0) throw new ArgumentException($"edge {edge} has no blocks, so no map to send upward.", nameof(model));
        return edge;
    }

    private static PartitionId[] DeviceInputs(DeployedModel model, int edge) =>
        [.. model.Config.Edges[edge].Devices.Select(d => new PartitionId(PartitionKind.Device, d))];

    private static (int, int, int)[] DeviceShapes(DeployedModel model, int edge) =>
        [.. model.Config.Edges[edge].Devices.Select(d => (model.Devices[d].FeatureChannels, model.Devices[d].FeatureSize.Height, model.Devices[d].FeatureSize.Width))];

    /// <inheritdoc/>
    public override IReadOnlyList<string> Subscriptions => _subscriptions;

    /// <inheritdoc/>
    protected override bool Reads(in ParsedTopic topic) => topic.Kind switch
    {
        TopicKind.Addressed => topic.Sender.Kind == PartitionKind.Device,
        TopicKind.EdgeRequest => Model.Local is not null,
        TopicKind.Tick => Model.Local is null,
        TopicKind.CloudRequest => true,
        _ => false,
    };

    /// <inheritdoc/>
    private protected override TopicKind StartRequest => TopicKind.EdgeRequest;

    /// <inheritdoc/>
    private protected override void OnOtherData(TopicKind topic, WireHeader header, ReadOnlySpan<byte> wire) =>
        OnCloudRequest(header.Sample, wire);

    private void OnCloudRequest(uint sample, ReadOnlySpan<byte> wire)
    {
        if (!SizeIs(wire, WireMessage.RequestBytes(Model.Devices.Length))) return;
        if (!IsDone(sample, out var slot)) { Drop(slot >= 0 ? DropReason.UnknownSample : Missing(sample)); return; }
        if (_sentUp[slot] == 0) return; // the edge had no device for this sample: silent, as intended
        if (_sentUp[slot] == 2) { Drop(DropReason.Duplicate); return; }
        _sentUp[slot] = 2;
        var length = WireMessage.WriteFeatures((byte)Id.Index, sample, _outputs[slot], _outShape.Channels, _outShape.Height, _outShape.Width, Outgoing);
        Publish(ServingMessageKind.EdgeFeatures, _mapTopic, length);
    }

    private protected override void OnSlotReset(int slot) => _sentUp[slot] = 0;

    private protected override void OnRan(uint sample, int slot, ReadOnlySpan<float> logits)
    {
        _edge.Features.CopyTo(_outputs[slot]);
        _sentUp[slot] = 1;
        var length = WireMessage.WriteScores((byte)Id.Index, sample, logits, Inference.ScoreEncoding.Float32, null, Outgoing);
        Publish(ServingMessageKind.EdgeScores, _scoresTopic, length);
    }
}

/// <summary>
/// The cloud: on the cloud request (or, without a local exit and edges, the tick) it waits for the maps of every
/// device (or every edge), runs its partition on those present and sends its prediction to the aggregator.
/// </summary>
public sealed class CloudTier : FusionTier
{
    private readonly string _answerTopic;
    private readonly string[] _subscriptions;

    /// <summary>The cloud of <paramref name="model"/>.</summary>
    public CloudTier(DeployedModel model, ModelFingerprint fingerprint, TopicScheme topics, IMessageTransport transport,
        IServingClock clock, FusionSettings? settings = null, Action<string>? log = null)
        : base(new PartitionId(PartitionKind.Cloud), Checked(model).Cloud, Inputs(model), Shapes(model), model, fingerprint, topics, transport,
            clock, settings, log)
    {
        _answerTopic = topics.To(new PartitionId(PartitionKind.Local), Id);
        _subscriptions = [topics.StatusFilter, topics.Inbox(Id), StartsOnTick ? topics.Tick : topics.CloudRequest];
    }

    private static DeployedModel Checked(DeployedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model;
    }

    private bool StartsOnTick => Model.Local is null && Model.Edges.Length == 0;

    /// <summary>The senders of the cloud's inputs in input order: the edges, or without edges the devices.</summary>
    internal static PartitionId[] Inputs(DeployedModel model) => model.Edges.Length > 0
        ? [.. Enumerable.Range(0, model.Edges.Length).Select(e => new PartitionId(PartitionKind.Edge, e))]
        : [.. Enumerable.Range(0, model.Devices.Length).Select(d => new PartitionId(PartitionKind.Device, d))];

    /// <summary>Bytes of each cloud input's feature body (a feature message without its header), in input order.</summary>
    internal static int[] InputBodyBytes(DeployedModel model) =>
        [.. Shapes(model).Select(x => WireMessage.FeaturesBytes(x.Item1, x.Item2, x.Item3) - WireMessage.HeaderBytes)];

    /// <summary>The (channels, height, width) of each cloud input's map, in input order.</summary>
    internal static (int, int, int)[] Shapes(DeployedModel model) => model.Edges.Length > 0
        ? [.. model.Edges.Select(e => (e.Blocks[^1].OutChannels, e.Blocks[^1].OutHeight, e.Blocks[^1].OutWidth))]
        : [.. model.Devices.Select(d => (d.FeatureChannels, d.FeatureSize.Height, d.FeatureSize.Width))];

    /// <inheritdoc/>
    public override IReadOnlyList<string> Subscriptions => _subscriptions;

    /// <inheritdoc/>
    protected override bool Reads(in ParsedTopic topic) => topic.Kind switch
    {
        TopicKind.Addressed => topic.Sender.Kind == (Model.Edges.Length > 0 ? PartitionKind.Edge : PartitionKind.Device),
        TopicKind.Tick => StartsOnTick,
        TopicKind.CloudRequest => !StartsOnTick,
        _ => false,
    };

    /// <inheritdoc/>
    private protected override TopicKind StartRequest => TopicKind.CloudRequest;

    private protected override void OnRan(uint sample, int slot, ReadOnlySpan<float> logits)
    {
        var length = WireMessage.WriteAnswer(sample, Inference.ClassScores.ArgMax(logits), Outgoing);
        Publish(ServingMessageKind.CloudAnswer, _answerTopic, length);
    }
}

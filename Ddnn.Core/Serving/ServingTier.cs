using Ddnn.Core.Deploy;

namespace Ddnn.Core.Serving;

/// <summary>
/// What every tier shares: the deployment's topics, the model fingerprint and run checks, peer liveness from the status
/// topics, the envelope on every message it publishes, and the validation of every message it receives. Untrusted
/// input never throws out of <see cref="OnMessage"/>: it is dropped and counted by <see cref="DropReason"/>.
/// One thread at a time (the host's).
/// </summary>
public abstract class ServingTier : IMessageHandler
{
    private const int MaxRefusalLines = 16;
    private readonly byte[] _out;
    private readonly bool[] _offline, _announced;
    private readonly HashSet<string> _refused = [];
    private readonly List<string> _refusals = [];
    private readonly Action<string>? _log;
    private readonly DropLog? _dropLog;
    private string? _topic;

    /// <summary>Creates tier <paramref name="id"/> of <paramref name="model"/>.</summary>
    protected ServingTier(PartitionId id, DeployedModel model, ModelFingerprint fingerprint, TopicScheme topics,
        IMessageTransport transport, IServingClock clock, Action<string>? log)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(fingerprint);
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(clock);
        Id = id;
        Model = model;
        Fingerprint = fingerprint;
        Topics = topics;
        Transport = transport;
        Clock = clock;
        _log = log;
        _dropLog = log is null ? null : new DropLog(id.ToString(), clock, log);
        _offline = new bool[model.Devices.Length + model.Edges.Length + 1 + topics.CloudTiers];
        _announced = new bool[_offline.Length];
        _out = new byte[ServingEnvelope.Bytes + LargestWireMessage(model)];
        WillTopic = topics.Status(id);
        WillPayload = StatusMessage.Offline(fingerprint);
    }

    /// <summary>This tier.</summary>
    public PartitionId Id { get; }

    /// <summary>The deployed model whose partition this tier runs.</summary>
    public DeployedModel Model { get; }

    /// <summary>The model this tier runs; peers announcing another one are refused.</summary>
    public ModelFingerprint Fingerprint { get; }

    /// <summary>The deployment's topics.</summary>
    public TopicScheme Topics { get; }

    /// <summary>Where this tier publishes.</summary>
    protected IMessageTransport Transport { get; }

    /// <summary>The tier's clock.</summary>
    protected IServingClock Clock { get; }

    /// <summary>Drops by reason, published messages and bytes.</summary>
    public ServingCounters Counters { get; } = new();

    /// <summary>The MQTT last-will topic to set at connect: this tier's status topic.</summary>
    public string WillTopic { get; }

    /// <summary>The MQTT last-will payload to set at connect (retained, QoS 1): the offline announcement.</summary>
    public byte[] WillPayload { get; }

    /// <summary>The run this tier serves: the aggregator's own, or the one the aggregator announced (null before that).</summary>
    public uint? RunId { get; protected set; }

    /// <summary>Log lines of refused peers (another model), at most 16: a host may stop with the first.</summary>
    public IReadOnlyList<string> Refusals => _refusals;

    /// <inheritdoc/>
    public abstract IReadOnlyList<string> Subscriptions { get; }

    /// <inheritdoc/>
    public abstract double? NextDeadlineMs { get; }

    /// <summary>The tag every message of the current run carries.</summary>
    protected ServingTag Tag => ServingTag.Of(Fingerprint, RunId ?? 0);

    /// <summary>Announces this tier online (retained); call once subscribed.</summary>
    public void Start() => PublishStatus(online: true);

    /// <summary>Announces this tier offline (retained), as its will would; call before a clean disconnect.</summary>
    public void Stop() => PublishStatus(online: false);

    private void PublishStatus(bool online)
    {
        var payload = StatusMessage.Write(new TierStatus(online, Fingerprint, Id.Kind == PartitionKind.Local && online ? RunId ?? 0 : 0));
        Counters.Count(ServingMessageKind.Status, payload.Length);
        var qos = ServingQos.For(ServingMessageKind.Status);
        Transport.Publish(WillTopic, payload, qos.Delivery, qos.Retain);
    }

    /// <summary>
    /// Every peer counts as offline until it announces itself online again: on reconnecting, the broker replays the
    /// retained statuses it kept, and each live tier announces itself after its own reconnect, so only a peer that
    /// went away while the broker could not tell stays offline, instead of being waited for on every sample.
    /// </summary>
    public void OnConnectionLost()
    {
        var any = false;
        foreach (var peer in Peers())
        {
            var slot = PeerSlot(peer);
            if (peer == Id || _offline[slot]) continue;
            _offline[slot] = true;
            any = true;
            OnPeerStatus(peer, false);
        }
        if (any) Log($"{Id}: lost the broker; every peer counts as offline until it announces itself again");
    }

    /// <summary>True unless <paramref name="peer"/> announced itself offline (its will or a clean stop) or another model.</summary>
    public bool IsOnline(PartitionId peer) => PeerSlot(peer) is var slot && slot >= 0 && !_offline[slot];

    /// <summary>True once <paramref name="peer"/> announced itself online with this model (a host may wait for every peer before ticking).</summary>
    public bool HasAnnounced(PartitionId peer) => PeerSlot(peer) is var slot && slot >= 0 && _announced[slot] && !_offline[slot];

    /// <summary>Every tier of the model: the devices, the aggregator, the edges and the cloud.</summary>
    protected IEnumerable<PartitionId> Peers()
    {
        for (var d = 0; d < Model.Devices.Length; d++) yield return new PartitionId(PartitionKind.Device, d);
        yield return new PartitionId(PartitionKind.Local);
        for (var e = 0; e < Model.Edges.Length; e++) yield return new PartitionId(PartitionKind.Edge, e);
        for (var k = 0; k < Topics.CloudTiers; k++) yield return new PartitionId(PartitionKind.Cloud, k);
    }

    /// <summary>True while the cloud, or any one of the cloud workers, is online.</summary>
    protected bool AnyCloudOnline()
    {
        for (var k = 0; k < Topics.CloudTiers; k++)
            if (IsOnline(new PartitionId(PartitionKind.Cloud, k))) return true;
        return false;
    }

    /// <summary>True once every other tier of the model announced itself online with this model.</summary>
    public bool AllPeersAnnounced => Peers().All(p => p == Id || HasAnnounced(p));

    /// <inheritdoc/>
    public void OnMessage(string topic, ReadOnlySpan<byte> payload)
    {
        // Named in the drop log line of anything dropped while this message is handled.
        _topic = topic;
        try { Handle(topic, payload); }
        finally { _topic = null; }
    }

    private void Handle(string topic, ReadOnlySpan<byte> payload)
    {
        if (!Topics.TryParse(topic, out var parsed) || !IsKnownTier(parsed.Tier) || !IsKnownTier(parsed.Sender)) { Drop(DropReason.BadTopic); return; }
        if (parsed.Kind == TopicKind.Status) { OnStatus(parsed.Tier, payload); return; }
        if (!Reads(parsed) || (parsed.Kind == TopicKind.Addressed && parsed.Tier != Id)) { Drop(DropReason.BadTopic); return; }
        if (!MessageBundle.IsBundle(payload))
        {
            OnEnveloped(parsed, payload);
            return;
        }
        // Checked whole before any message in it is handled: a malformed bundle is one drop, never half a delivery.
        if (MessageBundle.Count(payload) == 0) { Drop(DropReason.Malformed); return; }
        foreach (var message in MessageBundle.Messages(payload)) OnEnveloped(parsed, message);
    }

    private void OnEnveloped(in ParsedTopic parsed, ReadOnlySpan<byte> payload)
    {
        if (!ServingEnvelope.TryRead(payload, out var version, out var tag)) { Drop(DropReason.BadSize); return; }
        if (version != ServingEnvelope.Version) { Drop(DropReason.BadVersion); return; }
        if (tag.Model != Fingerprint.Tag) { Drop(DropReason.WrongModel); return; }
        if (RunId is not { } run || tag.Run != (ushort)run) { Drop(DropReason.StaleRun); return; }
        var wire = payload[ServingEnvelope.Bytes..];
        if (wire.Length < WireMessage.HeaderBytes) { Drop(DropReason.BadSize); return; }
        WireHeader header;
        try { header = WireMessage.ReadHeader(wire); }
        catch (InvalidDataException) { Drop(DropReason.BadKind); return; }
        if (!KindFits(parsed, header.Kind)) { Drop(DropReason.BadKind); return; }
        var sender = parsed.Kind == TopicKind.Addressed ? parsed.Sender : new PartitionId(PartitionKind.Local);
        // Devices, edges and cloud workers put their index in the sender byte; the aggregator and the one cloud put 0.
        if (header.Sender != sender.Index) { Drop(DropReason.SenderMismatch); return; }
        try { OnData(parsed.Kind, sender, header, wire); }
        catch (InvalidDataException) { Drop(DropReason.Malformed); }
    }

    /// <inheritdoc/>
    public abstract void OnTimer(double nowMs);

    /// <summary>True for the topic kinds (and, for addressed topics, senders) this tier reads.</summary>
    protected abstract bool Reads(in ParsedTopic topic);

    /// <summary>
    /// A message that passed topic, envelope, tag, kind and sender checks; <paramref name="wire"/> is the wire message
    /// (its header included). Sizes, sample ids and contents are the tier's to check; an
    /// <see cref="InvalidDataException"/> from a decoder counts as <see cref="DropReason.Malformed"/>.
    /// </summary>
    protected abstract void OnData(TopicKind topic, PartitionId sender, WireHeader header, ReadOnlySpan<byte> wire);

    /// <summary>A peer announced itself online or offline (its fingerprint already checked).</summary>
    protected virtual void OnPeerStatus(PartitionId peer, bool online) { }

    /// <summary>Counts a dropped message and reports it to the rate-limited drop log (when the host gave a log).</summary>
    protected void Drop(DropReason reason)
    {
        Counters.Drop(reason);
        _dropLog?.Dropped(reason, _topic);
    }

    /// <summary>True when <paramref name="wire"/> has exactly <paramref name="expected"/> bytes; otherwise counts <see cref="DropReason.BadSize"/>.</summary>
    protected bool SizeIs(ReadOnlySpan<byte> wire, int expected)
    {
        if (wire.Length == expected) return true;
        Drop(DropReason.BadSize);
        return false;
    }

    /// <summary>Where to write the wire message of the next <see cref="Publish"/> (after the envelope).</summary>
    protected Span<byte> Outgoing => _out.AsSpan(ServingEnvelope.Bytes);

    /// <summary>Publishes the envelope and the first <paramref name="wireLength"/> bytes of <see cref="Outgoing"/>.</summary>
    protected void Publish(ServingMessageKind kind, string topic, int wireLength)
    {
        ServingEnvelope.Write(Tag, _out);
        var total = ServingEnvelope.Bytes + wireLength;
        Counters.Count(kind, total);
        var qos = ServingQos.For(kind);
        Transport.Publish(topic, _out.AsSpan(0, total), qos.Delivery, qos.Retain);
    }

    /// <summary>Writes one log line (if the host gave a log).</summary>
    protected void Log(string line) => _log?.Invoke(line);

    private void OnStatus(PartitionId peer, ReadOnlySpan<byte> payload)
    {
        if (StatusMessage.TryRead(payload, out _) is not { } status) { Drop(DropReason.Malformed); return; }
        if (peer == Id)
        {
            // Its own announcement coming back is expected; anything else on its own status topic is someone else's.
            if (!status.Fingerprint.Equals(Fingerprint)) Drop(status.Online ? DropReason.RefusedPeer : DropReason.StaleStatus);
            return;
        }
        var slot = PeerSlot(peer);
        // An offline status of another model is a retained will left by an earlier deployment under this name: it says
        // nothing about the peer this deployment will run, so it is stale, not a reason to refuse that peer.
        if (!status.Online && !status.Fingerprint.Equals(Fingerprint)) { Drop(DropReason.StaleStatus); return; }
        if (!status.Fingerprint.Equals(Fingerprint))
        {
            _offline[slot] = true;
            Drop(DropReason.RefusedPeer);
            var line = $"{Id}: refused {peer}: it announces model fingerprint {status.Fingerprint.Short}, this tier runs {Fingerprint.Short}";
            if (_refusals.Count < MaxRefusalLines && _refused.Add(line))
            {
                _refusals.Add(line);
                Log(line);
            }
            OnPeerStatus(peer, false);
            return;
        }
        var wasOffline = _offline[slot];
        _offline[slot] = !status.Online;
        _announced[slot] |= status.Online;
        if (peer.Kind == PartitionKind.Local && status.Online && status.RunId != 0 && RunId != status.RunId)
        {
            RunId = status.RunId;
            OnRunChanged();
            Log($"{Id}: following run {status.RunId} of model {Fingerprint.Short}");
        }
        if (wasOffline != _offline[slot]) Log($"{Id}: {peer} is {(status.Online ? "online" : "offline")}");
        OnPeerStatus(peer, status.Online);
    }

    /// <summary>The aggregator announced a new run: per-sample state of the old one is void.</summary>
    protected virtual void OnRunChanged() { }

    private static bool KindFits(in ParsedTopic topic, WireMessageKind kind) => topic.Kind switch
    {
        TopicKind.Tick => kind == WireMessageKind.Tick,
        TopicKind.EdgeRequest or TopicKind.CloudRequest => kind == WireMessageKind.CloudRequest,
        TopicKind.CloudJob => kind == WireMessageKind.CloudJob,
        _ => topic.Sender.Kind switch
        {
            PartitionKind.Device => kind is WireMessageKind.ScoresFloat32 or WireMessageKind.ScoresUInt8 or WireMessageKind.Features,
            PartitionKind.Edge => kind is WireMessageKind.ScoresFloat32 or WireMessageKind.Features,
            PartitionKind.Cloud => kind == WireMessageKind.CloudAnswer,
            _ => false,
        },
    };

    private bool IsKnownTier(PartitionId tier) => tier == default || PeerSlot(tier) >= 0;

    private int PeerSlot(PartitionId peer) => peer.Kind switch
    {
        PartitionKind.Device => peer.Index < Model.Devices.Length ? peer.Index : -1,
        PartitionKind.Edge => peer.Index < Model.Edges.Length ? Model.Devices.Length + peer.Index : -1,
        PartitionKind.Local => peer.Index == 0 ? Model.Devices.Length + Model.Edges.Length : -1,
        PartitionKind.Cloud => peer.Index >= 0 && peer.Index < Topics.CloudTiers ? Model.Devices.Length + Model.Edges.Length + 1 + peer.Index : -1,
        _ => -1,
    };

    private static int LargestWireMessage(DeployedModel model)
    {
        var classes = model.Config.Classes;
        var device = model.Devices[0];
        var largest = Math.Max(WireMessage.ScoresBytes(classes, Inference.ScoreEncoding.Float32), WireMessage.RequestBytes(model.Devices.Length));
        largest = Math.Max(largest, WireMessage.FeaturesBytes(device.FeatureChannels, device.FeatureSize.Height, device.FeatureSize.Width));
        foreach (var edge in model.Edges)
            if (edge.Blocks.Length > 0)
            {
                var last = edge.Blocks[^1];
                largest = Math.Max(largest, WireMessage.FeaturesBytes(last.OutChannels, last.OutHeight, last.OutWidth));
            }
        // A cloud job with every cloud input's map (only the aggregator of a deployment with cloud workers sends one).
        var inputs = CloudTier.InputBodyBytes(model);
        var all = new bool[inputs.Length];
        Array.Fill(all, true);
        largest = Math.Max(largest, WireMessage.CloudJobBytes(all, inputs));
        return Math.Max(largest, WireMessage.AnswerBytes);
    }
}

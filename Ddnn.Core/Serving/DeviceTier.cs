using Ddnn.Core.Deploy;
using Ddnn.Core.Inference;

namespace Ddnn.Core.Serving;

/// <summary>
/// An end device: on each tick it reads its view of the sample, runs its <see cref="DevicePartition"/> and sends its
/// class scores to the aggregator (without a local exit: its feature map at once, to its edge or the cloud). It keeps
/// the maps of its last <see cref="DeviceSettings.KeptSamples"/> samples and sends one, once per stage, when the
/// aggregator's request for that sample comes (to its edge on the edge request, to the cloud on the cloud request when
/// the model has no edges).
/// </summary>
public sealed class DeviceTier : ServingTier
{
    private readonly DevicePartition _partition;
    private readonly IDeviceSensor _sensor;
    private readonly float[] _view, _logits;
    private readonly uint[] _samples;
    private readonly byte[] _sent; // bit 0: map sent on the edge request, bit 1: on the cloud request
    private readonly bool[] _filled;
    private readonly ulong[][] _maps;
    private readonly bool[] _requestBits;
    private readonly string _scoresTopic, _mapTopic;
    private readonly string[] _subscriptions;
    private readonly int _edge;
    private readonly NewestSample _newest;

    /// <summary>Device <paramref name="device"/> of <paramref name="model"/>, reading its views from <paramref name="sensor"/>.</summary>
    public DeviceTier(DeployedModel model, int device, ModelFingerprint fingerprint, TopicScheme topics, IMessageTransport transport,
        IServingClock clock, IDeviceSensor sensor, DeviceSettings? settings = null, Action<string>? log = null)
        : base(new PartitionId(PartitionKind.Device, CheckDevice(model, device)), model, fingerprint, topics, transport, clock, log)
    {
        ArgumentNullException.ThrowIfNull(sensor);
        Settings = settings ?? new DeviceSettings();
        ArgumentOutOfRangeException.ThrowIfLessThan(Settings.KeptSamples, 1, nameof(settings));
        Scores = Settings.Scores ?? model.Scores;
        _newest = new NewestSample(Settings.AheadWindow);
        _partition = model.Devices[device];
        _sensor = sensor;
        _view = new float[_partition.InputLength];
        _logits = new float[model.Config.Classes];
        var kept = Settings.KeptSamples;
        _samples = new uint[kept];
        _sent = new byte[kept];
        _filled = new bool[kept];
        _maps = new ulong[kept][];
        for (var i = 0; i < kept; i++) _maps[i] = new ulong[_partition.Features.Length];
        _requestBits = new bool[model.Devices.Length];
        _edge = -1;
        for (var e = 0; e < model.Edges.Length; e++)
            if (model.Config.Edges[e].Devices.Contains(device)) _edge = e;
        _scoresTopic = topics.To(new PartitionId(PartitionKind.Local), Id);
        // With cloud workers the aggregator bundles the maps into one self-contained request, so they go to it.
        _mapTopic = topics.To(_edge >= 0 ? new PartitionId(PartitionKind.Edge, _edge)
            : new PartitionId(topics.HasCloudWorkers ? PartitionKind.Local : PartitionKind.Cloud), Id);
        var subscriptions = new List<string> { topics.StatusFilter, topics.Tick };
        if (model.Local is not null) subscriptions.Add(_edge >= 0 ? topics.EdgeRequest : topics.CloudRequest);
        _subscriptions = [.. subscriptions];
    }

    private static int CheckDevice(DeployedModel model, int device)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (device < 0 || device >= model.Devices.Length) throw new ArgumentOutOfRangeException(nameof(device), device, $"the model has devices 0..{model.Devices.Length - 1}.");
        return device;
    }

    /// <summary>The settings this device serves with.</summary>
    public DeviceSettings Settings { get; }

    /// <summary>How the device sends its class scores.</summary>
    public ScoreEncoding Scores { get; }

    /// <summary>Samples whose maps this device keeps now (at most <see cref="DeviceSettings.KeptSamples"/>).</summary>
    public int HeldSamples
    {
        get
        {
            var held = 0;
            foreach (var filled in _filled) if (filled) held++;
            return held;
        }
    }

    /// <inheritdoc/>
    public override IReadOnlyList<string> Subscriptions => _subscriptions;

    /// <inheritdoc/>
    public override double? NextDeadlineMs => null;

    /// <inheritdoc/>
    public override void OnTimer(double nowMs) { }

    /// <inheritdoc/>
    protected override bool Reads(in ParsedTopic topic) => topic.Kind switch
    {
        TopicKind.Tick => true,
        TopicKind.EdgeRequest => Model.Local is not null && _edge >= 0,
        TopicKind.CloudRequest => Model.Local is not null && _edge < 0,
        _ => false,
    };

    /// <inheritdoc/>
    protected override void OnRunChanged()
    {
        Array.Clear(_filled);
        _newest.Reset();
    }

    /// <inheritdoc/>
    protected override void OnData(TopicKind topic, PartitionId sender, WireHeader header, ReadOnlySpan<byte> wire)
    {
        if (topic == TopicKind.Tick) OnTick(header.Sample, wire);
        else OnRequest(topic, header.Sample, wire);
    }

    private void OnTick(uint sample, ReadOnlySpan<byte> wire)
    {
        if (!SizeIs(wire, WireMessage.TickBytes)) return;
        if (_newest.Value is { } newest && sample <= newest)
        {
            Drop(Find(sample) >= 0 ? DropReason.Duplicate : DropReason.Late);
            return;
        }
        if (Find(sample) >= 0) { Drop(DropReason.Duplicate); return; } // a far-ahead tick, served but not yet the newest
        if (!_sensor.TryRead(Id.Index, sample, _view)) { Drop(DropReason.UnknownSample); return; }
        _newest.Started(sample);
        var slot = (int)(sample % (uint)_samples.Length);
        _partition.Run(_view, _logits);
        _partition.Features.CopyTo(_maps[slot]);
        _samples[slot] = sample;
        _filled[slot] = true;
        _sent[slot] = 0;
        if (Model.Local is not null)
        {
            var length = WireMessage.WriteScores((byte)Id.Index, sample, _logits, Scores, _partition.ScoreQuantizer, Outgoing);
            Publish(ServingMessageKind.DeviceScores, _scoresTopic, length);
        }
        else SendMap(slot, sample);
    }

    private void OnRequest(TopicKind topic, uint sample, ReadOnlySpan<byte> wire)
    {
        if (!SizeIs(wire, WireMessage.RequestBytes(Model.Devices.Length))) return;
        WireMessage.ReadRequest(wire, _requestBits);
        var slot = Find(sample);
        if (slot < 0)
        {
            Drop(_newest.Latest is not { } newest ? DropReason.UnknownSample
                : sample > newest ? DropReason.TooFarAhead
                : newest - sample >= (uint)_samples.Length ? DropReason.TooOld : DropReason.UnknownSample);
            return;
        }
        var bit = topic == TopicKind.EdgeRequest ? (byte)1 : (byte)2;
        if ((_sent[slot] & bit) != 0) { Drop(DropReason.Duplicate); return; }
        _sent[slot] |= bit;
        SendMap(slot, sample);
    }

    private void SendMap(int slot, uint sample)
    {
        var (h, w) = _partition.FeatureSize;
        var length = WireMessage.WriteFeatures((byte)Id.Index, sample, _maps[slot], _partition.FeatureChannels, h, w, Outgoing);
        Publish(ServingMessageKind.DeviceFeatures, _mapTopic, length);
    }

    private int Find(uint sample)
    {
        var slot = (int)(sample % (uint)_samples.Length);
        return _filled[slot] && _samples[slot] == sample ? slot : -1;
    }
}

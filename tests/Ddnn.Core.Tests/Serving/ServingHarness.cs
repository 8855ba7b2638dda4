using Ddnn.Core.Deploy;
using Ddnn.Core.Runtime;
using Ddnn.Core.Serving;

namespace Ddnn.Core.Tests.Serving;

/// <summary>Fixed delays per message kind; senders in <see cref="Silenced"/> reach nobody (a killed or frozen process).</summary>
internal sealed class TestLinks : ILinkModel
{
    public HashSet<PartitionId> Silenced { get; } = [];

    public bool Deliver(PartitionId from, PartitionId to, ServingMessageKind kind, ReadOnlySpan<byte> wire, out double delayMs)
    {
        delayMs = kind switch
        {
            ServingMessageKind.DeviceScores => 2 + from.Index,
            ServingMessageKind.DeviceFeatures or ServingMessageKind.EdgeFeatures or ServingMessageKind.EdgeScores => 5,
            ServingMessageKind.CloudRequest or ServingMessageKind.CloudAnswer or ServingMessageKind.CloudJob => 10,
            _ => 0,
        };
        return !Silenced.Contains(from);
    }
}

/// <summary>A whole deployment of one model on a <see cref="SimulatedNetwork"/>, every tier its own object.</summary>
internal sealed class ServingHarness : IDeviceSensor
{
    private readonly float[] _views;

    public ServingHarness(DeployedModel model, float[] views, AggregatorSettings settings, ModelFingerprint? deviceFingerprint = null,
        FusionSettings? cloudSettings = null, int cloudWorkers = 0)
    {
        Model = model;
        _views = views;
        Topics = new TopicScheme("test", cloudWorkers);
        Network = new SimulatedNetwork(Topics, Links, model.Devices.Length);
        Fingerprint = ModelFingerprint.Of(model);
        Aggregator = new LocalAggregatorTier(model, Fingerprint, Topics, Network.Connect(new PartitionId(PartitionKind.Local)), Network, settings, Log.Add)
        { Answered = Outcomes.Add };
        for (var d = 0; d < model.Devices.Length; d++)
            Devices.Add(new DeviceTier(model, d, d == 0 && deviceFingerprint is not null ? deviceFingerprint : Fingerprint, Topics,
                Network.Connect(new PartitionId(PartitionKind.Device, d)), Network, this, log: Log.Add));
        for (var e = 0; e < model.Edges.Length; e++)
            Edges.Add(new EdgeTier(model, e, Fingerprint, Topics, Network.Connect(new PartitionId(PartitionKind.Edge, e)), Network, log: Log.Add));
        // With cloud workers there is no gathering cloud: Cloud stays unset and the workers answer the bundled jobs.
        if (cloudWorkers == 0) Cloud = new CloudTier(model, Fingerprint, Topics, Network.Connect(new PartitionId(PartitionKind.Cloud)), Network, cloudSettings, Log.Add);
        for (var k = 0; k < cloudWorkers; k++)
            Workers.Add(new CloudWorkerTier(model, k, Fingerprint, Topics, Network.Connect(new PartitionId(PartitionKind.Cloud, k)), Network, cloudSettings, Log.Add));
        foreach (var tier in All) Network.Attach(tier.Id, tier);
        foreach (var tier in All) tier.Start();
        Network.RunUntilIdle();
    }

    public DeployedModel Model { get; }
    public TopicScheme Topics { get; }
    public TestLinks Links { get; } = new();
    public SimulatedNetwork Network { get; }
    public ModelFingerprint Fingerprint { get; }
    public LocalAggregatorTier Aggregator { get; }
    public List<DeviceTier> Devices { get; } = [];
    public List<EdgeTier> Edges { get; } = [];
    public CloudTier Cloud { get; } = null!;
    public List<CloudWorkerTier> Workers { get; } = [];
    public List<CascadeOutcome> Outcomes { get; } = [];
    public List<string> Log { get; } = [];
    public IEnumerable<ServingTier> All => Workers.Count > 0 ? [.. Devices, Aggregator, .. Edges, .. Workers] : [.. Devices, Aggregator, .. Edges, Cloud];

    /// <summary>Sample id s reads sample s mod count, as a served device's <c>DatasetSensor</c> does (default: ids past the views are unknown).</summary>
    public bool WrapSamples { get; set; }

    public bool TryRead(int device, uint sample, Span<float> view)
    {
        var samples = _views.Length / (Model.Devices.Length * Model.ViewLength);
        if (WrapSamples) sample %= (uint)samples;
        if (sample >= samples) return false;
        _views.AsSpan(((int)sample * Model.Devices.Length + device) * Model.ViewLength, Model.ViewLength).CopyTo(view);
        return true;
    }

    /// <summary>Ticks <paramref name="sample"/> and runs the network until idle; returns the sample's outcome.</summary>
    public CascadeOutcome Run(uint sample)
    {
        var before = Outcomes.Count;
        Network.RestartClock();
        Assert.True(Aggregator.Tick(sample));
        Network.RunUntilIdle();
        Assert.Equal(before + 1, Outcomes.Count);
        return Outcomes[^1];
    }

    /// <summary>A served message: the envelope with <paramref name="tag"/> (default: this deployment's run 1) and a wire message.</summary>
    public byte[] Message(Func<byte[], int> writeWire, ServingTag? tag = null)
    {
        var buffer = new byte[4096];
        var length = writeWire(buffer);
        var payload = new byte[ServingEnvelope.Bytes + length];
        ServingEnvelope.Write(tag ?? ServingTag.Of(Fingerprint, 1), payload);
        buffer.AsSpan(0, length).CopyTo(payload.AsSpan(ServingEnvelope.Bytes));
        return payload;
    }
}

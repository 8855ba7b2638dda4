namespace Ddnn.Core.Model;

/// <summary>Everything one DDNN forward pass produces: every exit's logits and the devices' feature maps.</summary>
public sealed class DdnnOutputs
{
    /// <summary>Gathers one forward pass's results; <see cref="Exits"/> is assembled from the logits in exit order.</summary>
    public DdnnOutputs(IReadOnlyList<Tensor> deviceLogits, Tensor? localLogits, IReadOnlyList<Tensor> edgeLogits,
        Tensor cloudLogits, IReadOnlyList<Tensor> deviceFeatures) =>
        Fill(deviceLogits, localLogits, edgeLogits, cloudLogits, deviceFeatures);

    /// <summary>An empty holder that a graph fills again on every pass (<see cref="Fill"/>).</summary>
    internal DdnnOutputs() { }

    /// <summary>Holds one pass's results, reusing this object's exit list.</summary>
    internal DdnnOutputs Fill(IReadOnlyList<Tensor> deviceLogits, Tensor? localLogits, IReadOnlyList<Tensor> edgeLogits,
        Tensor cloudLogits, IReadOnlyList<Tensor> deviceFeatures)
    {
        ArgumentNullException.ThrowIfNull(deviceLogits);
        ArgumentNullException.ThrowIfNull(edgeLogits);
        ArgumentNullException.ThrowIfNull(cloudLogits);
        ArgumentNullException.ThrowIfNull(deviceFeatures);
        DeviceLogits = deviceLogits;
        LocalLogits = localLogits;
        EdgeLogits = edgeLogits;
        CloudLogits = cloudLogits;
        DeviceFeatures = deviceFeatures;
        _exits.Clear();
        _exits.AddRange(deviceLogits);
        if (localLogits is not null) _exits.Add(localLogits);
        _exits.AddRange(edgeLogits);
        _exits.Add(cloudLogits);
        return this;
    }

    private readonly List<Tensor> _exits = [];

    /// <summary>Every exit's logits in the model's ExitNames order: devices, local (if any), edges, cloud.</summary>
    public IReadOnlyList<Tensor> Exits => _exits;

    /// <summary>Each device exit's logits (batch × classes), device 0 first.</summary>
    public IReadOnlyList<Tensor> DeviceLogits { get; private set; } = [];

    /// <summary>The local aggregator's logits, or null when the model has no local exit.</summary>
    public Tensor? LocalLogits { get; private set; }

    /// <summary>Each edge exit's logits, edge 0 first (empty without edges).</summary>
    public IReadOnlyList<Tensor> EdgeLogits { get; private set; } = [];

    /// <summary>The cloud exit's logits.</summary>
    public Tensor CloudLogits { get; private set; } = null!;

    /// <summary>Each device's last-block output (batch × f × h × w): ±1 for binary models; what a device sends upward.</summary>
    public IReadOnlyList<Tensor> DeviceFeatures { get; private set; } = [];
}

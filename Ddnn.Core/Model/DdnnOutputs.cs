namespace Ddnn.Core.Model;

/// <summary>Everything one DDNN forward pass produces: every exit's logits and the devices' feature maps.</summary>
public sealed class DdnnOutputs
{
    /// <summary>Gathers one forward pass's results; <see cref="Exits"/> is assembled from the logits in exit order.</summary>
    public DdnnOutputs(IReadOnlyList<Tensor> deviceLogits, Tensor? localLogits, IReadOnlyList<Tensor> edgeLogits,
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
        var exits = new List<Tensor>(deviceLogits.Count + edgeLogits.Count + 2);
        exits.AddRange(deviceLogits);
        if (localLogits is not null) exits.Add(localLogits);
        exits.AddRange(edgeLogits);
        exits.Add(cloudLogits);
        Exits = exits;
    }

    /// <summary>Every exit's logits in the model's ExitNames order: devices, local (if any), edges, cloud.</summary>
    public IReadOnlyList<Tensor> Exits { get; }

    /// <summary>Each device exit's logits (batch × classes), device 0 first.</summary>
    public IReadOnlyList<Tensor> DeviceLogits { get; }

    /// <summary>The local aggregator's logits, or null when the model has no local exit.</summary>
    public Tensor? LocalLogits { get; }

    /// <summary>Each edge exit's logits, edge 0 first (empty without edges).</summary>
    public IReadOnlyList<Tensor> EdgeLogits { get; }

    /// <summary>The cloud exit's logits.</summary>
    public Tensor CloudLogits { get; }

    /// <summary>Each device's last-block output (batch × f × h × w): ±1 for binary models; what a device sends upward.</summary>
    public IReadOnlyList<Tensor> DeviceFeatures { get; }
}

namespace Ddnn.Core.Serving;

/// <summary>The kinds of served messages, for QoS choices and byte counts.</summary>
public enum ServingMessageKind
{
    /// <summary>A tier's status announcement or last will (<see cref="StatusMessage"/>).</summary>
    Status,
    /// <summary>The aggregator's frame tick.</summary>
    Tick,
    /// <summary>A device's class scores to the aggregator.</summary>
    DeviceScores,
    /// <summary>A device's feature map to its edge or to the cloud.</summary>
    DeviceFeatures,
    /// <summary>The aggregator asks devices and edges for the edge stage.</summary>
    EdgeRequest,
    /// <summary>An edge's class scores to the aggregator.</summary>
    EdgeScores,
    /// <summary>An edge's feature map to the cloud.</summary>
    EdgeFeatures,
    /// <summary>The aggregator asks the cloud (and the devices or edges for their maps).</summary>
    CloudRequest,
    /// <summary>The cloud's prediction to the aggregator.</summary>
    CloudAnswer,
    /// <summary>With cloud workers: the aggregator's self-contained cloud request (the present inputs' maps) to one worker.</summary>
    CloudJob,
}

/// <summary>How one kind of message is published, and why.</summary>
/// <param name="Delivery">MQTT QoS.</param>
/// <param name="Retain">Whether the broker keeps the last one for late subscribers.</param>
/// <param name="Reason">Why.</param>
public readonly record struct QosChoice(Delivery Delivery, bool Retain, string Reason);

/// <summary>QoS and retain per message kind (documented in docs/serving.md).</summary>
public static class ServingQos
{
    private const string PerSample =
        "worth something only within its link timeout (tens of ms); MQTT resends QoS 1 only after a reconnect, too late, "
        + "so QoS 1 would add a PUBACK per message and late duplicates; a loss is handled by the timeout and the fallbacks";

    private static readonly QosChoice[] Choices =
    [
        new(Delivery.AtLeastOnce, true, "a tier that connects later (or reconnects) must learn every peer's model, run and liveness at once; the broker keeps the last announcement, and the offline will replaces it when a client goes away"),
        new(Delivery.AtMostOnce, false, "a tick is only useful now: retained, a reconnecting device would replay an old sample; " + PerSample),
        new(Delivery.AtMostOnce, false, PerSample),
        new(Delivery.AtMostOnce, false, PerSample),
        new(Delivery.AtMostOnce, false, PerSample),
        new(Delivery.AtMostOnce, false, PerSample),
        new(Delivery.AtMostOnce, false, PerSample),
        new(Delivery.AtMostOnce, false, PerSample),
        new(Delivery.AtMostOnce, false, "the aggregator falls back when it is lost; " + PerSample),
        new(Delivery.AtMostOnce, false, "one worker of the shared subscription gets it; the aggregator falls back when it or its answer is lost; " + PerSample),
    ];

    /// <summary>The choice for <paramref name="kind"/>.</summary>
    public static QosChoice For(ServingMessageKind kind) =>
        (uint)kind < (uint)Choices.Length ? Choices[(int)kind] : throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown message kind.");
}

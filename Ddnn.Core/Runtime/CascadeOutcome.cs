namespace Ddnn.Core.Runtime;

/// <summary>Where a sample's answer came from.</summary>
public enum ExitTier
{
    /// <summary>The local aggregator's exit was confident enough.</summary>
    Local,

    /// <summary>The edge level (mean softmax of the edges that answered) was confident enough.</summary>
    Edge,

    /// <summary>The cloud answered.</summary>
    Cloud,

    /// <summary>The cloud did not answer in time and the local exit answered instead (flagged degraded).</summary>
    LocalFallback,

    /// <summary>The cloud did not answer in time and the edge level answered instead (flagged degraded).</summary>
    EdgeFallback,

    /// <summary>No tier could answer (no device reached any tier in time).</summary>
    None,
}

/// <summary>The result of one sample through the cascade runtime.</summary>
public sealed record CascadeOutcome
{
    /// <summary>The sample number passed to <see cref="CascadeRuntime.Run"/>.</summary>
    public required long Sample { get; init; }
    /// <summary>The tier whose exit gave <see cref="Prediction"/>.</summary>
    public required ExitTier Tier { get; init; }

    /// <summary>The predicted class, or −1 when <see cref="Tier"/> is <see cref="ExitTier.None"/>.</summary>
    public required int Prediction { get; init; }

    /// <summary>True when the answer is not the one the healthy cascade would give by design (cloud unreachable).</summary>
    public bool Degraded => Tier is ExitTier.LocalFallback or ExitTier.EdgeFallback or ExitTier.None;

    /// <summary>
    /// True when the model has a local exit and some device's scores did not reach the aggregator in time: the answer
    /// rests on fewer devices than the model was built for (a served deployment flags such answers degraded as well).
    /// </summary>
    public bool DeviceMissing { get; init; }

    /// <summary>Simulated time from sensing to the answer, in milliseconds.</summary>
    public required double LatencyMs { get; init; }

    /// <summary>Local exit prediction and normalized entropy (−1 and NaN when no device reached the aggregator).</summary>
    public required int LocalPrediction { get; init; }
    /// <summary>Normalized entropy in [0, 1] of the local exit's softmax (NaN when no device reached the aggregator).</summary>
    public required float LocalEntropy { get; init; }

    /// <summary>Edge-level prediction and normalized entropy (−1 and NaN without edges or when no edge answered).</summary>
    public int EdgePrediction { get; init; } = -1;
    /// <summary>Normalized entropy in [0, 1] of the edge level's mean softmax (NaN without edges or when no edge answered).</summary>
    public float EdgeEntropy { get; init; } = float.NaN;

    /// <summary>Edges whose scores reached the local aggregator in time (empty without edges).</summary>
    public bool[] EdgesAnswered { get; init; } = [];

    /// <summary>Cloud prediction (−1 when the cloud did not run).</summary>
    public required int CloudPrediction { get; init; }

    /// <summary>Devices whose scores reached the local aggregator in time.</summary>
    public required bool[] PresentAtLocal { get; init; }

    /// <summary>Devices whose features reached the next tier (the cloud, or their edge) in time (all false when not asked).</summary>
    public required bool[] PresentAtCloud { get; init; }

    /// <summary>Bytes sent (lost messages included) on each kind of link for this sample.</summary>
    public required long DeviceToLocalBytes { get; init; }
    /// <summary>Device feature maps sent upward (to the cloud, or to the edges).</summary>
    public required long DeviceToCloudBytes { get; init; }

    /// <summary>Edge scores to the aggregator and edge feature maps to the cloud.</summary>
    public long EdgeBytes { get; init; }
    /// <summary>Cloud request and cloud answer between the local aggregator and the cloud (0 when the sample exits at the local or edge level).</summary>
    public required long LocalToCloudBytes { get; init; }

    /// <summary>The sample's frame tick (envelope included), apart from the paper's per-device bytes.</summary>
    public long TickBytes { get; init; }

    /// <summary>
    /// What the serving protocol adds to the paper's messages counted above: the 5-byte envelope of each of them,
    /// the edge request, and the cloud request of a model without a local exit.
    /// </summary>
    public long ProtocolBytes { get; init; }
}

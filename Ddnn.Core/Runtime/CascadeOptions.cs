using Ddnn.Core.Inference;

namespace Ddnn.Core.Runtime;

/// <summary>Settings of a <see cref="CascadeRuntime"/>: exit threshold, score encoding, links, seed and scripted faults.</summary>
public sealed record CascadeOptions
{
    /// <summary>A sample exits locally when the local exit's normalized entropy is strictly below this.</summary>
    public double LocalThreshold { get; init; } = 0.8;

    /// <summary>How class scores travel from the devices to the local aggregator; null: as the model was exported (<see cref="Deploy.LocalPartition.Scores"/>).</summary>
    public ScoreEncoding? Scores { get; init; }

    /// <summary>With edges: the edge level (mean softmax of the edges that answered) exits when its normalized entropy is below this.</summary>
    public double EdgeThreshold { get; init; } = 0.8;

    /// <summary>Device → local aggregator (the device exit's class scores).</summary>
    public LinkSpec DeviceToLocal { get; init; } = LinkSpec.DefaultDeviceToLocal;

    /// <summary>Device → its edge (feature maps), models with edges.</summary>
    public LinkSpec DeviceToEdge { get; init; } = LinkSpec.DefaultDeviceToEdge;

    /// <summary>Edge → local aggregator (the edge's class scores), models with edges.</summary>
    public LinkSpec EdgeToLocal { get; init; } = LinkSpec.DefaultEdgeToLocal;

    /// <summary>Edge → cloud (the edge's feature map), models with edges.</summary>
    public LinkSpec EdgeToCloud { get; init; } = LinkSpec.DefaultEdgeToCloud;
    /// <summary>Device → cloud (feature maps), models without edges.</summary>
    public LinkSpec DeviceToCloud { get; init; } = LinkSpec.DefaultDeviceToCloud;
    /// <summary>Local aggregator ↔ cloud: the cloud request out and the cloud's answer back.</summary>
    public LinkSpec LocalToCloud { get; init; } = LinkSpec.DefaultLocalToCloud;

    /// <summary>Seed of the message-loss draws.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Scripted device and cloud failures by sample (none by default).</summary>
    public FaultScript Faults { get; init; } = FaultScript.None;
}

namespace Ddnn.Core.Deploy;

/// <summary>The tier a partition runs on.</summary>
public enum PartitionKind : uint
{
    /// <summary>An end device: the first blocks on the sensor input and the device exit.</summary>
    Device = 2,
    /// <summary>The local aggregator that fuses the device exits' class scores.</summary>
    Local = 3,
    /// <summary>An edge node that fuses the feature maps of its devices.</summary>
    Edge = 4,
    /// <summary>The cloud, which fuses the feature maps of every device (or every edge) and gives the last exit.</summary>
    Cloud = 5,
}

/// <summary>One partition of a deployed model: its tier and, for devices and edges, its index.</summary>
public readonly record struct PartitionId(PartitionKind Kind, int Index = 0)
{
    /// <summary>
    /// "dev{d}", "local", "edge{e}" or "cloud" (also the partition's file name stem); a served cloud worker k &gt; 0 of a
    /// deployment with several (docs/serving.md, scale-out) is "cloud{k}", worker 0 the plain "cloud".
    /// </summary>
    public override string ToString() => Kind switch
    {
        PartitionKind.Device => $"dev{Index}",
        PartitionKind.Local => "local",
        PartitionKind.Edge => $"edge{Index}",
        _ => Index == 0 ? "cloud" : $"cloud{Index}",
    };

    /// <summary>Every partition of <paramref name="model"/>: devices, local (if any), edges, cloud.</summary>
    public static IReadOnlyList<PartitionId> AllOf(DeployedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var ids = new List<PartitionId>();
        for (var d = 0; d < model.Devices.Length; d++) ids.Add(new(PartitionKind.Device, d));
        if (model.Local is not null) ids.Add(new(PartitionKind.Local));
        for (var e = 0; e < model.Edges.Length; e++) ids.Add(new(PartitionKind.Edge, e));
        ids.Add(new(PartitionKind.Cloud));
        return ids;
    }
}

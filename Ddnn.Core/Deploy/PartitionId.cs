namespace Ddnn.Core.Deploy;

/// <summary>The tier a partition runs on.</summary>
public enum PartitionKind : uint
{
    Device = 2,
    Local = 3,
    Edge = 4,
    Cloud = 5,
}

/// <summary>One partition of a deployed model: its tier and, for devices and edges, its index.</summary>
public readonly record struct PartitionId(PartitionKind Kind, int Index = 0)
{
    /// <summary>"dev{d}", "local", "edge{e}" or "cloud" (also the partition's file name stem).</summary>
    public override string ToString() => Kind switch
    {
        PartitionKind.Device => $"dev{Index}",
        PartitionKind.Local => "local",
        PartitionKind.Edge => $"edge{Index}",
        _ => "cloud",
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

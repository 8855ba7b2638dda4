using Ddnn.Core.Model;

namespace Ddnn.Core.Deploy;

/// <summary>The partitions read from one deploy file, with the configuration they belong to.</summary>
public sealed class DeployBundle
{
    private readonly Dictionary<PartitionId, object> _parts = [];
    private readonly string _source;

    internal DeployBundle(DdnnConfig config, string source)
    {
        Config = config;
        _source = source;
    }

    /// <summary>The model configuration stored in the file; every partition was exported from a model of it.</summary>
    public DdnnConfig Config { get; }

    /// <summary>The partitions present, in file order.</summary>
    public IReadOnlyCollection<PartitionId> Partitions => _parts.Keys;

    internal void Add(PartitionId id, object partition)
    {
        if (!_parts.TryAdd(id, partition)) throw new InvalidDataException($"{_source}: partition {id} appears twice.");
    }

    /// <summary>A device partition, or null when the file does not hold it.</summary>
    public DevicePartition? Device(int index) => _parts.GetValueOrDefault(new PartitionId(PartitionKind.Device, index)) as DevicePartition;

    /// <summary>The local aggregator partition, or null when the file does not hold it.</summary>
    public LocalPartition? Local => _parts.GetValueOrDefault(new PartitionId(PartitionKind.Local)) as LocalPartition;

    /// <summary>Edge <paramref name="index"/>'s partition, or null when the file does not hold it.</summary>
    public FusionPartition? Edge(int index) => _parts.GetValueOrDefault(new PartitionId(PartitionKind.Edge, index)) as FusionPartition;

    /// <summary>The cloud partition, or null when the file does not hold it.</summary>
    public FusionPartition? Cloud => _parts.GetValueOrDefault(new PartitionId(PartitionKind.Cloud)) as FusionPartition;

    /// <summary>Merges the partitions of another file of the same configuration (e.g. one file per partition).</summary>
    /// <exception cref="InvalidDataException">The configurations differ or a partition appears twice.</exception>
    public DeployBundle Merge(DeployBundle other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (DdnnConfigJson.Serialize(other.Config) != DdnnConfigJson.Serialize(Config))
            throw new InvalidDataException($"{other._source}: its configuration differs from {_source}'s.");
        foreach (var (id, part) in other._parts) Add(id, part);
        return this;
    }

    /// <summary>The whole model; every partition must be present.</summary>
    /// <exception cref="InvalidDataException">A partition is missing (named).</exception>
    public DeployedModel ToModel()
    {
        var devices = new DevicePartition[Config.Devices];
        for (var d = 0; d < devices.Length; d++) devices[d] = Device(d) ?? throw Missing($"dev{d}");
        var local = Config.HasLocalExit ? Local ?? throw Missing("local") : null;
        var edges = new FusionPartition[Config.Edges.Count];
        for (var e = 0; e < edges.Length; e++) edges[e] = Edge(e) ?? throw Missing($"edge{e}");
        var cloud = Cloud ?? throw Missing("cloud");
        try
        {
            return new DeployedModel(Config, devices, local, edges, cloud);
        }
        catch (ArgumentException e)
        {
            // Partitions that each load cleanly can still disagree with one another (files from different exports).
            throw new InvalidDataException($"{_source}: {e.Message}", e);
        }
    }

    private InvalidDataException Missing(string part) => new($"{_source}: partition {part} is missing; a whole model needs every partition.");
}

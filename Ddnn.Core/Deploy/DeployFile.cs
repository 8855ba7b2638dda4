using Ddnn.Core.IO;
using Ddnn.Core.Model;

namespace Ddnn.Core.Deploy;

/// <summary>
/// Packed deploy files (<c>.ddnnp</c>): a <see cref="DdnnFileKind.PackedModel"/> holds every partition of an exported
/// model, a <see cref="DdnnFileKind.PackedPartition"/> exactly one; both start with the <see cref="ConfigSection"/>,
/// followed by partition sections (device/edge index = device/edge number) whose payloads <see cref="PartitionCodec"/> encodes.
/// </summary>
/// <remarks>
/// The container (<see cref="DdnnFile"/>) catches truncation, corruption, wrong versions and kinds and unknown or
/// misplaced sections; on top, this checks that the configuration builds, that every partition's shapes equal those the
/// configuration exports to, that no partition appears twice and (for a whole model) that none is missing.
/// </remarks>
public static class DeployFile
{
    /// <summary>Writes the whole model (every partition) atomically.</summary>
    public static void Save(DeployedModel model, string path) =>
        DdnnFile.Save(path, DdnnFileKind.PackedModel, Sections(model, PartitionId.AllOf(model)));

    /// <summary>Writes one partition (with the configuration) atomically.</summary>
    public static void SavePartition(DeployedModel model, PartitionId id, string path) =>
        DdnnFile.Save(path, DdnnFileKind.PackedPartition, Sections(model, [id]));

    /// <summary>Reads a packed whole-model file.</summary>
    /// <exception cref="InvalidDataException">Anything is wrong, including a single-partition file given here.</exception>
    public static DeployedModel Load(string path) => FromContents(DdnnFile.Read(path, DdnnFileKind.PackedModel)).ToModel();

    /// <summary>Reads a packed whole-model or single-partition file.</summary>
    public static DeployBundle LoadBundle(string path) => FromContents(DdnnFile.Read(path, DdnnFileKind.PackedModel, DdnnFileKind.PackedPartition));

    /// <summary>
    /// Reads a deploy file that holds exactly one device partition (a <c>dev&lt;d&gt;.ddnnp</c> of <c>ddnn export</c>): what
    /// an end device loads. Its configuration is checked against the partition as for any deploy file.
    /// </summary>
    /// <exception cref="InvalidDataException">Anything is wrong with the file, or it holds no or several device partitions.</exception>
    public static DevicePartition LoadDevice(string path)
    {
        var bundle = LoadBundle(path);
        var devices = bundle.Partitions.Where(p => p.Kind == PartitionKind.Device).ToArray();
        if (devices.Length != 1)
            throw new InvalidDataException($"{path}: holds {devices.Length} device partitions ({string.Join(", ", bundle.Partitions)}); a device loads its own file, dev<d>.ddnnp of an export.");
        return bundle.Device(devices[0].Index)!;
    }

    /// <summary>The bytes of a packed whole-model file.</summary>
    public static byte[] Serialize(DeployedModel model) =>
        DdnnFile.Serialize(DdnnFileKind.PackedModel, Sections(model, PartitionId.AllOf(model)));

    /// <summary>The bytes of a packed single-partition file.</summary>
    public static byte[] Serialize(DeployedModel model, PartitionId id) =>
        DdnnFile.Serialize(DdnnFileKind.PackedPartition, Sections(model, [id]));

    /// <summary>Parses and validates packed whole-model or partition bytes; <paramref name="source"/> names them in errors.</summary>
    /// <exception cref="InvalidDataException">Anything is wrong with the bytes.</exception>
    public static DeployBundle Deserialize(byte[] bytes, string source = "<memory>") =>
        FromContents(DdnnFile.Parse(bytes, source, DdnnFileKind.PackedModel, DdnnFileKind.PackedPartition));

    /// <summary>Decodes verified packed contents; a whole-model file must hold every partition.</summary>
    public static DeployBundle FromContents(DdnnFileContents contents)
    {
        ArgumentNullException.ThrowIfNull(contents);
        if (contents.Kind is not (DdnnFileKind.PackedModel or DdnnFileKind.PackedPartition))
            throw new InvalidDataException($"{contents.Source}: is a {contents.Kind.Describe()} file, not a packed model or partition.");
        var configSection = contents.Single(SectionType.Config);
        var config = ConfigSection.Read(configSection);
        var expected = ExpectedShapes(config, configSection);
        var bundle = new DeployBundle(config, contents.Source);
        foreach (var section in contents.Sections)
        {
            if (section.Type == SectionType.Config) continue;
            var id = new PartitionId(KindOf(section.Type), section.Index > int.MaxValue ? -1 : (int)section.Index);
            var reader = section.Reader();
            bundle.Add(id, ReadPartition(reader, id, expected));
            reader.ExpectEnd();
        }
        if (contents.Kind == DdnnFileKind.PackedModel) bundle.ToModel();
        return bundle;
    }

    private static object ReadPartition(PayloadReader r, PartitionId id, DeployedModel expected)
    {
        switch (id.Kind)
        {
            case PartitionKind.Device:
                if (id.Index < 0 || id.Index >= expected.Devices.Length) throw r.Error($"device index {id.Index} is outside 0..{expected.Devices.Length - 1}.");
                return PartitionCodec.ReadDevice(r, expected.Devices[id.Index]);
            case PartitionKind.Local:
                if (id.Index != 0 || expected.Local is null) throw r.Error("the configuration has no local aggregator (or the index is not 0).");
                return PartitionCodec.ReadLocal(r, expected.Local);
            case PartitionKind.Edge:
                if (id.Index < 0 || id.Index >= expected.Edges.Length) throw r.Error($"edge index {id.Index} is outside the configuration's {expected.Edges.Length} edges.");
                return PartitionCodec.ReadFusion(r, expected.Edges[id.Index]);
            default:
                if (id.Index != 0) throw r.Error($"cloud index must be 0, got {id.Index}.");
                return PartitionCodec.ReadFusion(r, expected.Cloud);
        }
    }

    /// <summary>The partitions the configuration exports to (zero parameters): the shapes every section must have.</summary>
    private static DeployedModel ExpectedShapes(DdnnConfig config, FileSection section)
    {
        var model = ConfigSection.Build(config, section);
        try
        {
            return DdnnExporter.Export(model);
        }
        catch (ArgumentException e)
        {
            throw section.Error($"the configuration cannot be deployed: {e.Message}");
        }
    }

    private static FileSection[] Sections(DeployedModel model, IReadOnlyList<PartitionId> partitions)
    {
        ArgumentNullException.ThrowIfNull(model);
        var sections = new List<FileSection> { ConfigSection.Of(model.Config) };
        foreach (var id in partitions)
        {
            var w = new PayloadWriter();
            switch (id.Kind)
            {
                case PartitionKind.Device: PartitionCodec.WriteDevice(w, At(model.Devices, id)); break;
                case PartitionKind.Local: PartitionCodec.WriteLocal(w, model.Local ?? throw new ArgumentException("the model has no local aggregator.", nameof(partitions))); break;
                case PartitionKind.Edge: PartitionCodec.WriteFusion(w, At(model.Edges, id)); break;
                case PartitionKind.Cloud: PartitionCodec.WriteFusion(w, model.Cloud); break;
                default: throw new ArgumentException($"unknown partition kind {id.Kind}.", nameof(partitions));
            }
            sections.Add(FileSection.Of(SectionTypeOf(id.Kind), (uint)id.Index, w.ToArray()));
        }
        return sections.ToArray();
    }

    private static SectionType SectionTypeOf(PartitionKind kind) => kind switch
    {
        PartitionKind.Device => SectionType.DevicePartition,
        PartitionKind.Local => SectionType.LocalPartition,
        PartitionKind.Edge => SectionType.EdgePartition,
        _ => SectionType.CloudPartition,
    };

    private static PartitionKind KindOf(SectionType type) => type switch
    {
        SectionType.DevicePartition => PartitionKind.Device,
        SectionType.LocalPartition => PartitionKind.Local,
        SectionType.EdgePartition => PartitionKind.Edge,
        SectionType.CloudPartition => PartitionKind.Cloud,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a partition section."),
    };

    private static T At<T>(T[] items, PartitionId id) =>
        id.Index >= 0 && id.Index < items.Length ? items[id.Index] : throw new ArgumentException($"{id} does not exist in the model.", nameof(id));
}

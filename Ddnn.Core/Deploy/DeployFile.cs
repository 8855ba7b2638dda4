using System.Buffers.Binary;
using System.Text;
using Ddnn.Core.Model;
using Ddnn.Core.State;

namespace Ddnn.Core.Deploy;

/// <summary>
/// The deploy file: one versioned, sectioned, little-endian binary format for a whole exported model or a single
/// partition. Layout: magic "DDNNDEPL", uint32 version, uint32 section count, uint32 CRC-32 of those 16 bytes; then
/// per section uint32 type, uint32 index, uint32 payload length, the payload, uint32 CRC-32 of the section's
/// 12-byte header and payload. Section 0 is the configuration (type 1, UTF-8 JSON); partitions follow (types
/// <see cref="PartitionKind"/>, index = device or edge number). Nothing may follow the last section.
/// </summary>
/// <remarks>
/// Every byte is covered by a checksum, so a corrupt byte or a cut always gives an <see cref="InvalidDataException"/>
/// naming the file; so do a wrong version, an unknown or repeated section, and partitions whose shapes do not fit
/// the stored configuration (checked against the partitions that configuration exports to).
/// </remarks>
public static class DeployFile
{
    /// <summary>The 8 magic bytes.</summary>
    public static ReadOnlySpan<byte> Magic => "DDNNDEPL"u8;

    /// <summary>The only version this code reads and writes.</summary>
    public const uint Version = 1;

    private const uint ConfigSection = 1;
    private const int HeaderLength = 20, SectionHeaderLength = 12;

    /// <summary>Writes the whole model (every partition) atomically.</summary>
    public static void Save(DeployedModel model, string path) =>
        AtomicFile.WriteAllBytes(path, Serialize(model, PartitionId.AllOf(model)));

    /// <summary>Writes one partition (with the configuration) atomically.</summary>
    public static void SavePartition(DeployedModel model, PartitionId id, string path) =>
        AtomicFile.WriteAllBytes(path, Serialize(model, [id]));

    /// <summary>Reads a file that must hold every partition.</summary>
    public static DeployedModel Load(string path) => Deserialize(ReadFile(path), path).ToModel();

    /// <summary>Reads a file holding any set of partitions (a single-partition file, or a whole model).</summary>
    public static DeployBundle LoadBundle(string path) => Deserialize(ReadFile(path), path);

    /// <summary>The file bytes for <paramref name="partitions"/> of <paramref name="model"/>.</summary>
    public static byte[] Serialize(DeployedModel model, IReadOnlyList<PartitionId> partitions)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(partitions);
        using var stream = new MemoryStream();
        var header = new byte[HeaderLength];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), Version);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), (uint)(partitions.Count + 1));
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), Crc32.Compute(header.AsSpan(0, 16)));
        stream.Write(header);
        WriteSection(stream, ConfigSection, 0, Encoding.UTF8.GetBytes(DdnnConfigJson.Serialize(model.Config)));
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
            WriteSection(stream, (uint)id.Kind, (uint)id.Index, w.ToArray());
        }
        return stream.ToArray();
    }

    /// <summary>Parses and validates file bytes; <paramref name="source"/> names the file in errors.</summary>
    /// <exception cref="InvalidDataException">Anything is wrong with the bytes.</exception>
    public static DeployBundle Deserialize(byte[] bytes, string source = "<memory>")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new InvalidDataException($"{source}: not a DDNN deploy file (bad magic).");
        if (bytes.Length < HeaderLength) throw new InvalidDataException($"{source}: truncated header ({bytes.Length} bytes, needs {HeaderLength}).");
        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        if (version != Version) throw new InvalidDataException($"{source}: deploy file version {version} is not supported (expected {Version}).");
        if (Crc32.Compute(bytes.AsSpan(0, 16)) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(16)))
            throw new InvalidDataException($"{source}: header checksum mismatch (corrupt header).");
        var count = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12));
        if (count < 1 || count > 1 << 16) throw new InvalidDataException($"{source}: section count {count} is out of range.");

        var position = HeaderLength;
        DeployBundle? bundle = null;
        DeployedModel? expected = null;
        for (var s = 0; s < count; s++)
        {
            if (bytes.Length - position < SectionHeaderLength)
                throw new InvalidDataException($"{source}: truncated: section {s} of {count} starts at byte {position} but the file has {bytes.Length} bytes.");
            var type = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position));
            var index = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position + 4));
            var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position + 8));
            var payloadAt = position + SectionHeaderLength;
            if (length > (uint)(bytes.Length - payloadAt) || bytes.Length - payloadAt - (long)length < 4)
                throw new InvalidDataException($"{source}: truncated: section {s} declares {length} payload bytes but only {bytes.Length - payloadAt} bytes remain.");
            var crcAt = payloadAt + (int)length;
            if (Crc32.Compute(bytes.AsSpan(position, SectionHeaderLength + (int)length)) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(crcAt)))
                throw new InvalidDataException($"{source}: section {s} checksum mismatch (corrupt byte).");
            var where = $"{source}: section {s}";
            if (type == ConfigSection)
            {
                if (s != 0) throw new InvalidDataException($"{where}: a second configuration section.");
                var config = ParseConfig(bytes.AsSpan(payloadAt, (int)length), where);
                expected = ExpectedShapes(config, where);
                bundle = new DeployBundle(config, source);
            }
            else
            {
                if (bundle is null || expected is null) throw new InvalidDataException($"{source}: section 0 must be the configuration, found type {type}.");
                if (type is < (uint)PartitionKind.Device or > (uint)PartitionKind.Cloud)
                    throw new InvalidDataException($"{where}: unknown section type {type}.");
                var id = new PartitionId((PartitionKind)type, index > int.MaxValue ? -1 : (int)index);
                var reader = new PayloadReader(bytes, payloadAt, (int)length, $"{where} ({id})");
                bundle.Add(id, ReadPartition(reader, id, expected));
                if (!reader.AtEnd) throw reader.Error("unread bytes after the partition.");
            }
            position = crcAt + 4;
        }
        if (position != bytes.Length) throw new InvalidDataException($"{source}: {bytes.Length - position} unexpected bytes after the last section.");
        return bundle!;
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

    private static DdnnConfig ParseConfig(ReadOnlySpan<byte> payload, string where)
    {
        try
        {
            return DdnnConfigJson.Parse(new UTF8Encoding(false, true).GetString(payload), where);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or DecoderFallbackException or System.Text.Json.JsonException)
        {
            throw new InvalidDataException($"{where}: invalid configuration: {e.Message}", e);
        }
    }

    /// <summary>The partitions the configuration exports to (zero parameters): the shapes every section must have.</summary>
    private static DeployedModel ExpectedShapes(DdnnConfig config, string where)
    {
        try
        {
            return DdnnExporter.Export(new DdnnModel(config));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{where}: the configuration cannot be deployed: {e.Message}", e);
        }
    }

    private static T At<T>(T[] items, PartitionId id) =>
        id.Index >= 0 && id.Index < items.Length ? items[id.Index] : throw new ArgumentException($"{id} does not exist in the model.", nameof(id));

    private static void WriteSection(Stream stream, uint type, uint index, byte[] payload)
    {
        var header = new byte[SectionHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, type);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), index);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), (uint)payload.Length);
        var crc = Crc32.Append(Crc32.Compute(header), payload);
        stream.Write(header);
        stream.Write(payload);
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(tail, crc);
        stream.Write(tail);
    }

    private static byte[] ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"DDNN deploy file not found: {path}", path);
        return File.ReadAllBytes(path);
    }
}

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

    public DdnnConfig Config { get; }

    /// <summary>The partitions present, in file order.</summary>
    public IReadOnlyCollection<PartitionId> Partitions => _parts.Keys;

    internal void Add(PartitionId id, object partition)
    {
        if (!_parts.TryAdd(id, partition)) throw new InvalidDataException($"{_source}: partition {id} appears twice.");
    }

    /// <summary>A device partition, or null when the file does not hold it.</summary>
    public DevicePartition? Device(int index) => _parts.GetValueOrDefault(new PartitionId(PartitionKind.Device, index)) as DevicePartition;

    public LocalPartition? Local => _parts.GetValueOrDefault(new PartitionId(PartitionKind.Local)) as LocalPartition;

    public FusionPartition? Edge(int index) => _parts.GetValueOrDefault(new PartitionId(PartitionKind.Edge, index)) as FusionPartition;

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
        return new DeployedModel(Config, devices, local, edges, Cloud ?? throw Missing("cloud"));
    }

    private InvalidDataException Missing(string part) => new($"{_source}: partition {part} is missing; a whole model needs every partition.");
}

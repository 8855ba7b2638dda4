using System.Buffers.Binary;
using System.Text;
using Ddnn.Core.Layers;

namespace Ddnn.Core.State;

/// <summary>
/// Saves and loads a module's parameters and buffers, bit for bit. Format (little-endian), version 1:
/// magic "DDNNSTAT", uint32 version, int32 tensor count, then per tensor: int32 name byte length, UTF-8 name,
/// byte kind (0 parameter, 1 buffer), int32 rank, int32 dims, float32 values, uint32 CRC-32 of the record
/// (from the name length through the values); finally a uint32 CRC-32 of every preceding byte.
/// Writes go to a temporary file that is renamed over the target.
/// </summary>
public static class ModuleState
{
    /// <summary>The file's first eight bytes.</summary>
    public static ReadOnlySpan<byte> Magic => "DDNNSTAT"u8;

    /// <summary>The format version this code writes and reads.</summary>
    public const uint Version = 1;

    private const byte KindParameter = 0;
    private const byte KindBuffer = 1;

    /// <summary>Writes every parameter and buffer of <paramref name="module"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(Module module, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = Serialize(module);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Loads <paramref name="path"/> into <paramref name="module"/>. Every parameter and buffer must be present
    /// with the same kind and shape and nothing else may be; on any error the module is left unchanged.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt, or does not match the module.</exception>
    public static void Load(Module module, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = File.ReadAllBytes(path);
        Deserialize(module, bytes, path);
    }

    /// <summary>The bytes <see cref="Save"/> writes.</summary>
    public static byte[] Serialize(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var entries = Entries(module);
        var size = Magic.Length + 4 + 4 + 4;
        var nameBytes = new byte[entries.Count][];
        for (var i = 0; i < entries.Count; i++)
        {
            nameBytes[i] = Encoding.UTF8.GetBytes(entries[i].Name);
            size += 4 + nameBytes[i].Length + 1 + 4 + 4 * entries[i].Tensor.Rank + 4 * entries[i].Tensor.Length + 4;
        }
        var buffer = new byte[size];
        var span = buffer.AsSpan();
        Magic.CopyTo(span);
        var pos = Magic.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(span[pos..], Version); pos += 4;
        BinaryPrimitives.WriteInt32LittleEndian(span[pos..], entries.Count); pos += 4;
        for (var i = 0; i < entries.Count; i++)
        {
            var start = pos;
            var (_, tensor, isBuffer) = entries[i];
            BinaryPrimitives.WriteInt32LittleEndian(span[pos..], nameBytes[i].Length); pos += 4;
            nameBytes[i].CopyTo(span[pos..]); pos += nameBytes[i].Length;
            span[pos++] = isBuffer ? KindBuffer : KindParameter;
            BinaryPrimitives.WriteInt32LittleEndian(span[pos..], tensor.Rank); pos += 4;
            foreach (var d in tensor.Shape) { BinaryPrimitives.WriteInt32LittleEndian(span[pos..], d); pos += 4; }
            foreach (var v in tensor.Data) { BinaryPrimitives.WriteSingleLittleEndian(span[pos..], v); pos += 4; }
            BinaryPrimitives.WriteUInt32LittleEndian(span[pos..], Crc32.Compute(span[start..pos])); pos += 4;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(span[pos..], Crc32.Compute(span[..pos]));
        return buffer;
    }

    /// <summary>Loads bytes produced by <see cref="Serialize"/>; <paramref name="source"/> names the data in errors.</summary>
    public static void Deserialize(Module module, ReadOnlySpan<byte> bytes, string source = "<memory>")
    {
        ArgumentNullException.ThrowIfNull(module);
        var reader = new Reader(bytes, source);
        if (bytes.Length < Magic.Length || !bytes[..Magic.Length].SequenceEqual(Magic))
            throw new InvalidDataException($"{source}: not a Ddnn module state file (bad magic).");
        reader.Skip(Magic.Length);
        var version = reader.UInt32("version");
        if (version != Version)
            throw new InvalidDataException($"{source}: format version {version} is not supported (expected {Version}).");
        if (bytes.Length < 4 + reader.Position)
            throw new InvalidDataException($"{source}: truncated header.");
        var storedFileCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes[^4..]);
        var count = reader.Int32("tensor count");
        var entries = Entries(module);
        var byName = new Dictionary<string, (Tensor Tensor, bool IsBuffer)>(entries.Count);
        foreach (var e in entries) byName[e.Name] = (e.Tensor, e.IsBuffer);
        if (count < 0) throw new InvalidDataException($"{source}: negative tensor count {count}.");
        var loaded = new List<(Tensor Target, float[] Values)>(count);
        var seen = new HashSet<string>();
        for (var i = 0; i < count; i++)
        {
            var start = reader.Position;
            var nameLength = reader.Int32($"name length of tensor #{i}");
            if (nameLength < 0 || nameLength > 4096) throw new InvalidDataException($"{source}: tensor #{i} has an invalid name length {nameLength}.");
            var name = Encoding.UTF8.GetString(reader.Bytes(nameLength, $"name of tensor #{i}"));
            var kind = reader.Byte($"kind of '{name}'");
            var rank = reader.Int32($"rank of '{name}'");
            if (rank < 0 || rank > 16) throw new InvalidDataException($"{source}: tensor '{name}' has an invalid rank {rank}.");
            var shape = new int[rank];
            long volume = 1;
            for (var d = 0; d < rank; d++)
            {
                shape[d] = reader.Int32($"shape of '{name}'");
                if (shape[d] < 0) throw new InvalidDataException($"{source}: tensor '{name}' has a negative dimension.");
                volume *= shape[d];
                if (volume > int.MaxValue) throw new InvalidDataException($"{source}: tensor '{name}' is too large.");
            }
            var raw = reader.Bytes(checked((int)volume * 4), $"values of '{name}'");
            var crcEnd = reader.Position;
            var storedCrc = reader.UInt32($"checksum of '{name}'");
            if (Crc32.Compute(bytes[start..crcEnd]) != storedCrc)
                throw new InvalidDataException($"{source}: tensor '{name}' is corrupt (checksum mismatch).");
            if (!byName.TryGetValue(name, out var target))
                throw new InvalidDataException($"{source}: tensor '{name}' does not exist in {module.GetType().Name}.");
            if (!seen.Add(name)) throw new InvalidDataException($"{source}: tensor '{name}' appears twice.");
            var expectedKind = target.IsBuffer ? KindBuffer : KindParameter;
            if (kind != expectedKind)
                throw new InvalidDataException($"{source}: '{name}' is stored as a {(kind == KindBuffer ? "buffer" : "parameter")} but the module has a {(target.IsBuffer ? "buffer" : "parameter")}.");
            if (!ShapeUtil.Equal(shape, target.Tensor.Shape))
                throw new InvalidDataException($"{source}: '{name}' has shape {ShapeUtil.Format(shape)} in the file but {target.Tensor.ShapeText} in the module.");
            var values = new float[volume];
            for (var k = 0; k < values.Length; k++) values[k] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * k)..]);
            loaded.Add((target.Tensor, values));
        }
        if (reader.Remaining != 4)
            throw new InvalidDataException($"{source}: {reader.Remaining - 4} unexpected bytes after the last tensor.");
        if (Crc32.Compute(bytes[..^4]) != storedFileCrc)
            throw new InvalidDataException($"{source}: file checksum mismatch (corrupt).");
        foreach (var e in entries)
            if (!seen.Contains(e.Name))
                throw new InvalidDataException($"{source}: '{e.Name}' {e.Tensor.ShapeText} of {module.GetType().Name} is missing from the file.");
        foreach (var (target, values) in loaded) values.CopyTo(target.Data, 0);
    }

    private static List<(string Name, Tensor Tensor, bool IsBuffer)> Entries(Module module)
    {
        var list = new List<(string, Tensor, bool)>();
        foreach (var p in module.NamedParameters()) list.Add((p.Name, p.Parameter, false));
        foreach (var b in module.NamedBuffers()) list.Add((b.Name, b.Tensor, true));
        return list;
    }

    /// <summary>Bounds-checked little-endian reader that names the missing field on truncation.</summary>
    private ref struct Reader(ReadOnlySpan<byte> bytes, string source)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        public int Position { get; private set; }
        public readonly int Remaining => _bytes.Length - Position;

        public void Skip(int n) => Position += n;

        public ReadOnlySpan<byte> Bytes(int n, string what)
        {
            // The final 4 bytes are the file checksum, never tensor data.
            if (n < 0 || Position + n > _bytes.Length - 4)
                throw new InvalidDataException($"{source}: truncated while reading {what}.");
            var s = _bytes.Slice(Position, n);
            Position += n;
            return s;
        }

        public byte Byte(string what) => Bytes(1, what)[0];
        public int Int32(string what) => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4, what));
        public uint UInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4, what));
    }
}

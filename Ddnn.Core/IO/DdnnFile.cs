using System.Buffers.Binary;
using Ddnn.Core.State;

namespace Ddnn.Core.IO;

/// <summary>
/// The one binary container every Ddnn file uses (trainable model, packed model or partition, training checkpoint,
/// module state), told apart by the kind in its header. Little-endian throughout:
/// <code>
/// header (32 bytes): magic "DDNNFILE" | uint32 format version | uint32 kind | uint32 section count
///                    | uint64 file length | uint32 CRC-32 of the 28 bytes before it
/// per section:       uint32 type | uint32 index | uint32 payload length | payload | uint32 CRC-32 of type..payload
/// </code>
/// Nothing follows the last section. Reading checks, in order: magic, header length, version, header checksum, kind
/// (known, and one the caller accepts), file length, then each section's bounds, checksum and type, then the kind's
/// <see cref="FileLayout"/>; every failure is an <see cref="InvalidDataException"/> naming the path and the problem.
/// Every byte is under a checksum, so a flipped byte or a cut anywhere is always caught.
/// </summary>
public static class DdnnFile
{
    /// <summary>The 8 magic bytes.</summary>
    public static ReadOnlySpan<byte> Magic => "DDNNFILE"u8;

    /// <summary>The only format version this code reads and writes.</summary>
    public const uint Version = 1;

    /// <summary>Header bytes, including its checksum.</summary>
    public const int HeaderLength = 32;

    /// <summary>Bytes a section adds around its payload (12-byte section header, 4-byte checksum).</summary>
    public const int SectionOverhead = 16;

    /// <summary>Magic numbers of the per-purpose formats this container replaced, recognised only to say so.</summary>
    private static readonly (string Magic, string What)[] Retired =
    [
        ("DDNNMODL", "model file"), ("DDNNDEPL", "deploy file"), ("DDNNSTAT", "module state file"), ("DDNNCKPT", "training checkpoint"),
    ];

    /// <summary>Reads and verifies <paramref name="path"/>, which must be one of the <paramref name="accepted"/> kinds.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">Anything is wrong with the file; the message names the path.</exception>
    public static DdnnFileContents Read(string path, params DdnnFileKind[] accepted)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckAccepted(accepted);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{string.Join(" or ", accepted.Select(k => k.Describe()))} file not found: {path}", path);
        return Parse(File.ReadAllBytes(path), path, accepted);
    }

    /// <summary>Verifies file bytes; <paramref name="source"/> names them in errors. The sections share <paramref name="bytes"/>.</summary>
    /// <exception cref="InvalidDataException">Anything is wrong with the bytes.</exception>
    public static DdnnFileContents Parse(byte[] bytes, string source, params DdnnFileKind[] accepted)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(source);
        CheckAccepted(accepted);
        var kind = CheckHeader(bytes, source, accepted, out var count);
        var sections = new List<FileSection>((int)count);
        var types = new List<SectionType>((int)count);
        var position = HeaderLength;
        for (var s = 0; s < count; s++)
        {
            if (bytes.Length - position < SectionOverhead)
                throw new InvalidDataException($"{source}: truncated: section {s} of {count} starts at byte {position}, but only {bytes.Length - position} bytes remain.");
            var type = (SectionType)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position));
            var index = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position + 4));
            var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position + 8));
            var payloadAt = position + 12;
            if (length > (uint)(bytes.Length - payloadAt - 4))
                throw new InvalidDataException($"{source}: section {s} declares {length} payload bytes, but only {bytes.Length - payloadAt - 4} remain before its checksum.");
            var crcAt = payloadAt + (int)length;
            if (Crc32.Compute(bytes.AsSpan(position, 12 + (int)length)) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(crcAt)))
                throw new InvalidDataException($"{source}: section {s} checksum mismatch (corrupt byte).");
            if (!type.IsKnown()) throw new InvalidDataException($"{source}: section {s} has unknown section type {(uint)type}.");
            sections.Add(new FileSection(type, index, bytes.AsMemory(payloadAt, (int)length), $"{source}: section {s} ({type.Describe()} {index})"));
            types.Add(type);
            position = crcAt + 4;
        }
        if (position != bytes.Length)
            throw new InvalidDataException($"{source}: {bytes.Length - position} unexpected bytes after the last section.");
        if (FileLayout.Problem(kind, types) is { } problem) throw new InvalidDataException($"{source}: {problem}.");
        return new DdnnFileContents(source, kind, sections);
    }

    /// <summary>The file bytes for <paramref name="sections"/> (type, index, payload); the layout must fit <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentException">The sections do not form a <paramref name="kind"/> file.</exception>
    public static byte[] Serialize(DdnnFileKind kind, IReadOnlyList<FileSection> sections)
    {
        ArgumentNullException.ThrowIfNull(sections);
        if (!FileLayout.IsKnown(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown file kind.");
        var types = sections.Select(s => s.Type).ToArray();
        foreach (var type in types)
            if (!type.IsKnown()) throw new ArgumentException($"unknown section type {(uint)type}.", nameof(sections));
        if (FileLayout.Problem(kind, types) is { } problem) throw new ArgumentException($"not a valid {kind.Describe()} file: {problem}.", nameof(sections));
        long size = HeaderLength;
        foreach (var s in sections) size += SectionOverhead + s.Payload.Length;
        if (size > Array.MaxLength) throw new ArgumentException($"the file would be {size} bytes, more than one array can hold.", nameof(sections));
        var bytes = new byte[size];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), Version);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), (uint)kind);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), (uint)sections.Count);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(20), (ulong)size);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(28), Crc32.Compute(bytes.AsSpan(0, 28)));
        var position = HeaderLength;
        foreach (var s in sections)
        {
            var start = position;
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(position), (uint)s.Type);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(position + 4), s.Index);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(position + 8), (uint)s.Payload.Length);
            s.Payload.Span.CopyTo(bytes.AsSpan(position + 12));
            position += 12 + s.Payload.Length;
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(position), Crc32.Compute(bytes.AsSpan(start, position - start)));
            position += 4;
        }
        return bytes;
    }

    /// <summary>Writes <see cref="Serialize"/>'s bytes to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public static void Save(string path, DdnnFileKind kind, IReadOnlyList<FileSection> sections)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = Serialize(kind, sections);
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    private static void CheckAccepted(DdnnFileKind[] accepted)
    {
        if (accepted is not { Length: > 0 }) throw new ArgumentException("at least one accepted file kind is needed.", nameof(accepted));
    }

    private static DdnnFileKind CheckHeader(byte[] bytes, string source, DdnnFileKind[] accepted, out uint count)
    {
        var magicLength = Math.Min(bytes.Length, Magic.Length);
        if (!bytes.AsSpan(0, magicLength).SequenceEqual(Magic[..magicLength]))
        {
            foreach (var (magic, what) in Retired)
                if (bytes.Length >= 8 && bytes.AsSpan(0, 8).SequenceEqual(System.Text.Encoding.ASCII.GetBytes(magic)))
                    throw new InvalidDataException($"{source}: a {what} in the retired {magic} format, which this build no longer reads; re-create it with the current ddnn (train / export).");
            throw new InvalidDataException($"{source}: not a Ddnn file (bad magic; expected \"DDNNFILE\").");
        }
        if (bytes.Length < HeaderLength)
            throw new InvalidDataException($"{source}: truncated header ({bytes.Length} of {HeaderLength} bytes).");
        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        if (version != Version)
            throw new InvalidDataException($"{source}: file format version {version} is not supported (this build reads version {Version}).");
        if (Crc32.Compute(bytes.AsSpan(0, 28)) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(28)))
            throw new InvalidDataException($"{source}: header checksum mismatch (corrupt header).");
        var kind = (DdnnFileKind)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12));
        if (!FileLayout.IsKnown(kind)) throw new InvalidDataException($"{source}: unknown file kind {(uint)kind}.");
        if (Array.IndexOf(accepted, kind) < 0)
            throw new InvalidDataException(
                $"{source}: is a {kind.Describe()} file, but a {string.Join(" or ", accepted.Select(k => k.Describe()))} file is expected here.");
        var declared = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(20));
        if (declared > (ulong)bytes.Length)
            throw new InvalidDataException($"{source}: truncated: the header declares {declared} bytes, but the file has {bytes.Length}.");
        if (declared < (ulong)bytes.Length)
            throw new InvalidDataException($"{source}: {(ulong)bytes.Length - declared} unexpected bytes after the declared end of the file ({declared} bytes).");
        count = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(16));
        if (count > (uint)((bytes.Length - HeaderLength) / SectionOverhead))
            throw new InvalidDataException($"{source}: section count {count} cannot fit in {bytes.Length} bytes.");
        return kind;
    }
}

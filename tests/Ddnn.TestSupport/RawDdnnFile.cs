using System.Buffers.Binary;

namespace Ddnn.TestSupport;

/// <summary>
/// An independent reading of the Ddnn file container (docs/file-format.md) for tests: take a valid file apart, change
/// any header field or section, and put it back together with correct checksums, so a test reaches the check it means.
/// </summary>
public sealed class RawDdnnFile
{
    public const int HeaderLength = 32;

    public byte[] Magic { get; set; } = "DDNNFILE"u8.ToArray();
    public uint Version { get; set; } = 1;
    public uint Kind { get; set; }

    /// <summary>The header's file length; null: the real length of <see cref="Build"/>'s output.</summary>
    public ulong? DeclaredLength { get; set; }

    public List<RawSection> Sections { get; } = [];

    /// <summary>Takes apart a valid file.</summary>
    public static RawDdnnFile Parse(byte[] bytes)
    {
        var file = new RawDdnnFile
        {
            Magic = bytes[..8],
            Version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)),
            Kind = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12)),
        };
        var count = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(16));
        var at = HeaderLength;
        for (var s = 0; s < count; s++)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8));
            file.Sections.Add(new RawSection(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at)),
                BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 4)), bytes.AsSpan(at + 12, length).ToArray()));
            at += 12 + length + 4;
        }
        Assert.Equal(bytes.Length, at);
        return file;
    }

    /// <summary>The file bytes with correct checksums.</summary>
    public byte[] Build()
    {
        var size = HeaderLength + Sections.Sum(s => 16 + s.Payload.Length);
        var bytes = new byte[size];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), Version);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), Kind);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), (uint)Sections.Count);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(20), DeclaredLength ?? (ulong)size);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(28), Crc32(bytes.AsSpan(0, 28)));
        var at = HeaderLength;
        foreach (var (type, index, payload) in Sections)
        {
            var start = at;
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), type);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at + 4), index);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at + 8), (uint)payload.Length);
            payload.CopyTo(bytes, at + 12);
            at += 12 + payload.Length;
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), Crc32(bytes.AsSpan(start, at - start)));
            at += 4;
        }
        return bytes;
    }

    /// <summary>CRC-32 (IEEE, reflected 0xEDB88320), bit by bit: deliberately not the engine's table-driven code.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        var c = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            c ^= b;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }
}

/// <summary>One section of a <see cref="RawDdnnFile"/>.</summary>
public sealed record RawSection(uint Type, uint Index, byte[] Payload);

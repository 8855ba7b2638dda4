namespace Ddnn.Core.IO;

/// <summary>One typed section of a Ddnn file: its type, index and payload, and where it came from (for errors).</summary>
public sealed class FileSection(SectionType type, uint index, ReadOnlyMemory<byte> payload, string where)
{
    /// <summary>A section to write; its errors (if read back in memory) name it by type and index.</summary>
    public static FileSection Of(SectionType type, uint index, byte[] payload) => new(type, index, payload, $"{type.Describe()} {index}");

    /// <summary>What the payload encodes, and so how it is decoded.</summary>
    public SectionType Type { get; } = type;

    /// <summary>Device/edge number, tensor or optimizer-slot position; 0 for singleton sections.</summary>
    public uint Index { get; } = index;

    /// <summary>The section body that <see cref="Reader"/> decodes; in a section read from a file, its checksum has been verified.</summary>
    public ReadOnlyMemory<byte> Payload { get; } = payload;

    /// <summary>"path: section n (type index)", the prefix of errors about this section.</summary>
    public string Where { get; } = where;

    /// <summary>A fresh reader over the payload whose errors start with <see cref="Where"/>.</summary>
    public PayloadReader Reader() => new(Payload, Where);

    /// <summary>An exception about this section: <paramref name="message"/> prefixed with <see cref="Where"/>.</summary>
    public InvalidDataException Error(string message) => new($"{Where}: {message}");

    /// <summary>Throws unless the index is <paramref name="expected"/>.</summary>
    public void ExpectIndex(uint expected)
    {
        if (Index != expected) throw Error($"{Type.Describe()} section has index {Index}, expected {expected}.");
    }
}

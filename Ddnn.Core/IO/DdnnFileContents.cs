namespace Ddnn.Core.IO;

/// <summary>A Ddnn file whose header, checksums and section layout have been verified; the payloads are its users' to decode.</summary>
public sealed class DdnnFileContents(string source, DdnnFileKind kind, IReadOnlyList<FileSection> sections)
{
    /// <summary>The path (or a name for in-memory bytes) that errors mention.</summary>
    public string Source { get; } = source;

    /// <summary>What the header says this file holds, which fixes the sections it may contain.</summary>
    public DdnnFileKind Kind { get; } = kind;

    /// <summary>Every section in file order.</summary>
    public IReadOnlyList<FileSection> Sections { get; } = sections;

    /// <summary>The one section of <paramref name="type"/> (the layout guarantees there is exactly one where this is asked).</summary>
    public FileSection Single(SectionType type)
    {
        FileSection? found = null;
        foreach (var s in Sections)
            if (s.Type == type) found = found is null ? s : throw s.Error($"a second {type.Describe()} section.");
        return found ?? throw new InvalidDataException($"{Source}: no {type.Describe()} section.");
    }

    /// <summary>The sections of <paramref name="type"/> in file order.</summary>
    public IReadOnlyList<FileSection> All(SectionType type) => Sections.Where(s => s.Type == type).ToArray();
}

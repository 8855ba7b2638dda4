using System.Buffers.Binary;
using Ddnn.Core.IO;
using Ddnn.TestSupport;

namespace Ddnn.Core.Tests.IO;

/// <summary>The shared container: its exact bytes, its layouts per kind, atomic writes and the errors it owns.</summary>
public sealed class DdnnFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddnn-file-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static FileSection[] StateSections(params byte[][] payloads) =>
        payloads.Select((p, i) => FileSection.Of(SectionType.Tensor, (uint)i, p)).ToArray();

    [Fact]
    public void BytesFollowTheDocumentedLayout()
    {
        var bytes = DdnnFile.Serialize(DdnnFileKind.ModuleState, StateSections([1, 2, 3], []));
        Assert.Equal(32 + (16 + 3) + 16, bytes.Length);
        Assert.Equal("DDNNFILE"u8.ToArray(), bytes[..8]);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        Assert.Equal((uint)DdnnFileKind.ModuleState, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12)));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(16)));
        Assert.Equal((ulong)bytes.Length, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(20)));
        Assert.Equal(RawDdnnFile.Crc32(bytes.AsSpan(0, 28)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(28)));
        Assert.Equal(6u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(32)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(36)));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(40)));
        Assert.Equal([1, 2, 3], bytes[44..47]);
        Assert.Equal(RawDdnnFile.Crc32(bytes.AsSpan(32, 15)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(47)));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(55)));
        Assert.Equal(bytes, RawDdnnFile.Parse(bytes).Build());
        Assert.Equal(0xCBF43926u, RawDdnnFile.Crc32("123456789"u8));
    }

    [Fact]
    public void ParseReturnsEverySectionAsWritten()
    {
        var bytes = DdnnFile.Serialize(DdnnFileKind.ModuleState, StateSections([1, 2, 3], [], [9]));
        var contents = DdnnFile.Parse(bytes, "mem", DdnnFileKind.ModuleState);
        Assert.Equal(DdnnFileKind.ModuleState, contents.Kind);
        Assert.Equal([0u, 1u, 2u], contents.Sections.Select(s => s.Index));
        Assert.Equal([[1, 2, 3], [], [9]], contents.Sections.Select(s => s.Payload.ToArray()));
        Assert.Equal("mem: section 2 (tensor 2)", contents.Sections[2].Where);
    }

    [Fact]
    public void AFileOfAnotherKindIsNamedAsSuch()
    {
        var bytes = DdnnFile.Serialize(DdnnFileKind.ModuleState, StateSections([1]));
        var error = Assert.Throws<InvalidDataException>(() => DdnnFile.Parse(bytes, "x.ddnn", DdnnFileKind.TrainableModel));
        Assert.Equal("x.ddnn: is a module state file, but a trainable model file is expected here.", error.Message);
        error = Assert.Throws<InvalidDataException>(() => DdnnFile.Parse(bytes, "x.ddnn", DdnnFileKind.PackedModel, DdnnFileKind.PackedPartition));
        Assert.Contains("but a packed whole model or packed partition file is expected here", error.Message);
    }

    [Theory]
    [InlineData(DdnnFileKind.TrainableModel, new uint[] { 6, 6 }, "section 0 is a tensor section, but a trainable model file needs 1 configuration section there")]
    [InlineData(DdnnFileKind.TrainableModel, new uint[] { 1 }, "the trainable model file ends after 1 sections without at least 1 tensor sections")]
    [InlineData(DdnnFileKind.TrainableModel, new uint[] { 1, 6, 1 }, "section 2 is a configuration section out of place")]
    [InlineData(DdnnFileKind.PackedPartition, new uint[] { 1, 2, 2 }, "section 2 is a device partition section out of place")]
    [InlineData(DdnnFileKind.PackedModel, new uint[] { 1, 2, 5, 6 }, "section 3 is a tensor section, which a packed whole model file cannot hold")]
    [InlineData(DdnnFileKind.TrainingCheckpoint, new uint[] { 1, 6, 8 }, "section 1 is a tensor section, but a training checkpoint file needs 1 training progress section there")]
    [InlineData(DdnnFileKind.TrainingCheckpoint, new uint[] { 1, 7, 6, 8, 6 }, "section 4 is a tensor section out of place")]
    [InlineData(DdnnFileKind.ModuleState, new uint[] { 6, 1 }, "section 1 is a configuration section, which a module state file cannot hold")]
    public void SectionsOutOfLayoutAreReportedAndNeverWritten(DdnnFileKind kind, uint[] types, string message)
    {
        var raw = new RawDdnnFile { Kind = (uint)kind };
        foreach (var t in types) raw.Sections.Add(new RawSection(t, 0, [7]));
        var error = Assert.Throws<InvalidDataException>(() => DdnnFile.Parse(raw.Build(), "f", kind));
        Assert.StartsWith($"f: {message}", error.Message);
        var sections = types.Select(t => FileSection.Of((SectionType)t, 0, [7])).ToArray();
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => DdnnFile.Serialize(kind, sections)).Message);
    }

    [Fact]
    public void EveryGenericDamageIsReportedByTheContainer()
    {
        var valid = DdnnFile.Serialize(DdnnFileKind.ModuleState, StateSections([1, 2, 3], [4, 5]));
        FileDamage.AssertEachIsReported(FileDamage.Cases(valid, (uint)DdnnFileKind.PackedModel, (uint)SectionType.Config),
            Path.Combine(_dir, "damaged.ddnn"), p => DdnnFile.Read(p, DdnnFileKind.ModuleState));
    }

    [Fact]
    public void SaveReplacesTheFileWholeAndLeavesNoTemporaryFile()
    {
        var path = Path.Combine(_dir, "a.ddnn");
        DdnnFile.Save(path, DdnnFileKind.ModuleState, StateSections([1]));
        DdnnFile.Save(path, DdnnFileKind.ModuleState, StateSections([2, 3]));
        Assert.Equal([path], Directory.GetFiles(_dir));
        Assert.Equal([2, 3], DdnnFile.Read(path, DdnnFileKind.ModuleState).Sections[0].Payload.ToArray());
        Assert.Throws<ArgumentException>(() => DdnnFile.Save(path, DdnnFileKind.TrainableModel, StateSections([9])));
        Assert.Equal([2, 3], DdnnFile.Read(path, DdnnFileKind.ModuleState).Sections[0].Payload.ToArray());
    }

    [Fact]
    public void AMissingFileIsFileNotFound()
    {
        var error = Assert.Throws<FileNotFoundException>(() => DdnnFile.Read(Path.Combine(_dir, "none.ddnn"), DdnnFileKind.TrainableModel));
        Assert.Contains("trainable model file not found", error.Message);
    }
}

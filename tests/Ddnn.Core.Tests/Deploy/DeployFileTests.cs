using System.Buffers.Binary;
using System.Text;
using Ddnn.Core.Deploy;
using Ddnn.Core.Model;
using Ddnn.Core.State;
using Ddnn.Core.Tests.Model;
using FsCheck.Xunit;

namespace Ddnn.Core.Tests.Deploy;

/// <summary>The deploy file: round trips, and a clean <see cref="InvalidDataException"/> for every kind of damage.</summary>
public sealed class DeployFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddnn-deploy-").FullName;

    private static readonly Lazy<(DdnnModel Model, DeployedModel Deployed, byte[] Bytes)> Small = new(() =>
    {
        var model = DeployTestModels.Create(DdnnBuilder.Devices(2).Input(1, 8, 8).Classes(3).DeviceBlocks(4)
            .LocalExit(Aggregation.Concat).Edge([0], Aggregation.Concat, 4).Edge([1], Aggregation.MaxPool, 4).Cloud(Aggregation.Concat, 4), 7);
        var deployed = DdnnExporter.Export(model);
        return (model, deployed, DeployFile.Serialize(deployed, PartitionId.AllOf(deployed)));
    });

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [MemberData(nameof(PackedInferenceTests.Configs), MemberType = typeof(PackedInferenceTests))]
    public void CheckpointExportLoadGivesTheSamePredictions(string name, DdnnBuilder builder)
    {
        var trained = DeployTestModels.Create(builder, 11);
        var checkpoint = Path.Combine(_dir, "model.ddnn");
        DdnnModelFile.Save(trained, checkpoint);
        var restored = DdnnModelFile.Load(checkpoint);
        restored.Eval();
        var path = Path.Combine(_dir, "model.ddnnp");
        DeployFile.Save(DdnnExporter.Export(restored), path);
        var loaded = DeployFile.Load(path);
        var direct = DdnnExporter.Export(trained);

        var config = trained.Config;
        var views = ModelTestData.Views(config, 6, 12);
        var length = config.Devices * direct.ViewLength;
        for (var s = 0; s < 6; s++)
        {
            var sample = views.Data.AsSpan(s * length, length);
            var a = direct.Infer(sample);
            var b = loaded.Infer(sample);
            for (var e = 0; e < a.Exits.Length; e++)
                Assert.True(a.Exits[e].AsSpan().SequenceEqual(b.Exits[e]), $"{name}: exit {e} differs after the round trip");
            for (var d = 0; d < a.DeviceFeatures.Length; d++)
                Assert.True(a.DeviceFeatures[d].AsSpan().SequenceEqual(b.DeviceFeatures[d]), $"{name}: device {d} features differ");
        }
    }

    [Fact]
    public void SinglePartitionFilesMergeIntoTheWholeModel()
    {
        var (_, deployed, bytes) = Small.Value;
        DeployBundle? merged = null;
        foreach (var id in PartitionId.AllOf(deployed))
        {
            var path = Path.Combine(_dir, id + ".ddnnp");
            DeployFile.SavePartition(deployed, id, path);
            var bundle = DeployFile.LoadBundle(path);
            Assert.Equal([id], bundle.Partitions);
            merged = merged is null ? bundle : merged.Merge(bundle);
        }
        var whole = merged!.ToModel();
        Assert.Equal(bytes, DeployFile.Serialize(whole, PartitionId.AllOf(whole)));
        var partial = DeployFile.LoadBundle(Path.Combine(_dir, "dev0.ddnnp"));
        var error = Assert.Throws<InvalidDataException>(partial.ToModel);
        Assert.Contains("partition dev1 is missing", error.Message);
    }

    [Fact]
    public void TruncatedFileIsReported()
    {
        var bytes = Small.Value.Bytes;
        var error = Load(bytes[..(bytes.Length - 10)]);
        Assert.Contains("truncated", error.Message);
        Assert.Contains("cut.ddnnp", error.Message);
    }

    [Fact]
    public void CorruptByteIsReported()
    {
        var bytes = (byte[])Small.Value.Bytes.Clone();
        bytes[bytes.Length / 2] ^= 0x10;
        Assert.Contains("checksum mismatch", Load(bytes).Message);
    }

    [Fact]
    public void WrongVersionIsReported()
    {
        var bytes = (byte[])Small.Value.Bytes.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 2);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), Crc32.Compute(bytes.AsSpan(0, 16)));
        Assert.Contains("version 2 is not supported", Load(bytes).Message);
    }

    [Fact]
    public void UnknownSectionIsReported()
    {
        var sections = Sections(Small.Value.Bytes);
        sections.Add((9, 0, [1, 2, 3]));
        Assert.Contains("unknown section type 9", Load(Build(sections)).Message);
    }

    [Fact]
    public void RepeatedPartitionIsReported()
    {
        var sections = Sections(Small.Value.Bytes);
        sections.Add(sections[1]);
        Assert.Contains("appears twice", Load(Build(sections)).Message);
    }

    [Fact]
    public void PartitionOfAnotherShapeIsReported()
    {
        var other = DdnnExporter.Export(DeployTestModels.Create(DdnnBuilder.Devices(2).Input(1, 8, 8).Classes(3).DeviceBlocks(6)
            .LocalExit(Aggregation.Concat).Edge([0], Aggregation.Concat, 4).Edge([1], Aggregation.MaxPool, 4).Cloud(Aggregation.Concat, 4), 8));
        var foreign = Sections(DeployFile.Serialize(other, [new PartitionId(PartitionKind.Device, 0)]))[1];
        var sections = Sections(Small.Value.Bytes);
        sections[1] = foreign;
        var error = Load(Build(sections));
        Assert.Contains("dev0 block 0", error.Message);
        Assert.Contains("configuration needs", error.Message);
    }

    [Fact]
    public void NonZeroTailBitsAreReported()
    {
        var sections = Sections(Small.Value.Bytes);
        var (type, index, payload) = sections[1];
        // dev0 payload: block count, then block 0's 7 ints and a flag, then the weight count and the first weight word.
        var firstWord = 4 + 7 * 4 + 1 + 4;
        payload = (byte[])payload.Clone();
        payload[firstWord + 7] |= 0x80;
        sections[1] = (type, index, payload);
        Assert.Contains("tails must be zero", Load(Build(sections)).Message);
    }

    [Fact]
    public void BadConfigurationIsReported()
    {
        var sections = Sections(Small.Value.Bytes);
        sections[0] = (1, 0, Encoding.UTF8.GetBytes("{\"devices\": -3}"));
        Assert.Contains("invalid configuration", Load(Build(sections)).Message);
    }

    [Fact]
    public void LoaderOpensCheckpointsWholeFilesAndPartitionDirectories()
    {
        var (model, deployed, bytes) = Small.Value;
        var checkpoint = Path.Combine(_dir, "trained.ddnn");
        DdnnModelFile.Save(model, checkpoint);
        var partitions = Directory.CreateDirectory(Path.Combine(_dir, "parts")).FullName;
        foreach (var id in PartitionId.AllOf(deployed)) DeployFile.SavePartition(deployed, id, Path.Combine(partitions, id + DeployedModelLoader.Extension));
        var whole = Path.Combine(_dir, "whole.ddnnp");
        File.WriteAllBytes(whole, bytes);
        foreach (var path in new[] { checkpoint, partitions, whole })
        {
            var loaded = DeployedModelLoader.Load(path);
            Assert.Equal(bytes, DeployFile.Serialize(loaded, PartitionId.AllOf(loaded)));
        }
        var junk = Path.Combine(_dir, "junk.bin");
        File.WriteAllBytes(junk, new byte[64]);
        Assert.Contains("neither a DDNN checkpoint", Assert.Throws<InvalidDataException>(() => DeployedModelLoader.Load(junk)).Message);
    }

    [Fact]
    public void MissingFileIsReported() =>
        Assert.Throws<FileNotFoundException>(() => DeployFile.Load(Path.Combine(_dir, "absent.ddnnp")));

    [Property(MaxTest = 300)]
    public void FlippingAnyByteGivesACleanError(uint position, byte mask)
    {
        var bytes = (byte[])Small.Value.Bytes.Clone();
        bytes[position % (uint)bytes.Length] ^= mask == 0 ? (byte)1 : mask;
        Assert.Throws<InvalidDataException>(() => DeployFile.Deserialize(bytes, "flipped"));
    }

    [Property(MaxTest = 200)]
    public void CuttingTheFileAnywhereGivesACleanError(uint length)
    {
        var bytes = Small.Value.Bytes;
        Assert.Throws<InvalidDataException>(() => DeployFile.Deserialize(bytes[..(int)(length % (uint)bytes.Length)], "cut"));
    }

    [Fact]
    public void AppendedBytesAreReported()
    {
        var bytes = Small.Value.Bytes.Concat(new byte[] { 0 }).ToArray();
        Assert.Contains("unexpected bytes after the last section", Load(bytes).Message);
    }

    private InvalidDataException Load(byte[] bytes)
    {
        var path = Path.Combine(_dir, "cut.ddnnp");
        File.WriteAllBytes(path, bytes);
        return Assert.Throws<InvalidDataException>(() => DeployFile.Load(path));
    }

    /// <summary>The (type, index, payload) of every section of a valid file.</summary>
    private static List<(uint Type, uint Index, byte[] Payload)> Sections(byte[] bytes)
    {
        var list = new List<(uint, uint, byte[])>();
        var count = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12));
        var at = 20;
        for (var s = 0; s < count; s++)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8));
            list.Add((BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 4)),
                bytes.AsSpan(at + 12, length).ToArray()));
            at += 12 + length + 4;
        }
        return list;
    }

    /// <summary>A file with valid checksums around arbitrary sections.</summary>
    private static byte[] Build(List<(uint Type, uint Index, byte[] Payload)> sections)
    {
        var output = new List<byte>();
        var header = new byte[20];
        DeployFile.Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), DeployFile.Version);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), (uint)sections.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), Crc32.Compute(header.AsSpan(0, 16)));
        output.AddRange(header);
        foreach (var (type, index, payload) in sections)
        {
            var head = new byte[12];
            BinaryPrimitives.WriteUInt32LittleEndian(head, type);
            BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(4), index);
            BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(8), (uint)payload.Length);
            var crc = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(crc, Crc32.Append(Crc32.Compute(head), payload));
            output.AddRange(head);
            output.AddRange(payload);
            output.AddRange(crc);
        }
        return output.ToArray();
    }
}

using System.Text;
using Ddnn.Core.Deploy;
using Ddnn.Core.Model;
using Ddnn.Core.IO;
using Ddnn.Core.Tests.Model;
using Ddnn.TestSupport;
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
        return (model, deployed, DeployFile.Serialize(deployed));
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
        Assert.Equal(bytes, DeployFile.Serialize(whole));
        var partial = DeployFile.LoadBundle(Path.Combine(_dir, "dev0.ddnnp"));
        var error = Assert.Throws<InvalidDataException>(partial.ToModel);
        Assert.Contains("partition dev1 is missing", error.Message);
    }

    [Fact]
    public void EveryGenericDamageOfAWholeModelFileIsReported() =>
        FileDamage.AssertEachIsReported(FileDamage.Cases(Small.Value.Bytes, (uint)DdnnFileKind.TrainableModel, (uint)SectionType.Tensor),
            Path.Combine(_dir, "damaged.ddnnp"), p => DeployFile.Load(p));

    [Fact]
    public void EveryGenericDamageOfAPartitionFileIsReported()
    {
        var (_, deployed, _) = Small.Value;
        FileDamage.AssertEachIsReported(FileDamage.Cases(DeployFile.Serialize(deployed, new PartitionId(PartitionKind.Edge, 1)),
                (uint)DdnnFileKind.ModuleState, (uint)SectionType.OptimizerSlot),
            Path.Combine(_dir, "damaged-edge1.ddnnp"), p => DeployFile.LoadBundle(p));
    }

    [Fact]
    public void APartitionFileWhereAWholeModelIsExpectedIsNamedAsSuch()
    {
        var path = Path.Combine(_dir, "dev0.ddnnp");
        DeployFile.SavePartition(Small.Value.Deployed, new PartitionId(PartitionKind.Device, 0), path);
        var error = Assert.Throws<InvalidDataException>(() => DeployFile.Load(path));
        Assert.Equal($"{path}: is a packed partition file, but a packed whole model file is expected here.", error.Message);
        error = Assert.Throws<InvalidDataException>(() => DeployedModelLoader.Load(path));
        Assert.Contains("holds only partition dev0", error.Message);
    }

    [Fact]
    public void AWholeModelFileMissingAPartitionIsReported()
    {
        var raw = RawDdnnFile.Parse(Small.Value.Bytes);
        raw.Sections.RemoveAt(2);
        Assert.Contains("partition dev1 is missing", Load(raw.Build()).Message);
    }

    [Fact]
    public void APartitionIndexOutsideTheConfigurationIsReported()
    {
        var raw = RawDdnnFile.Parse(Small.Value.Bytes);
        raw.Sections[2] = raw.Sections[2] with { Index = 7 };
        Assert.Contains("device index 7 is outside 0..1", Load(raw.Build()).Message);
    }

    [Fact]
    public void RepeatedPartitionIsReported()
    {
        var raw = RawDdnnFile.Parse(Small.Value.Bytes);
        raw.Sections.Add(raw.Sections[1]);
        Assert.Contains("partition dev0 appears twice", Load(raw.Build()).Message);
    }

    [Fact]
    public void PartitionOfAnotherShapeIsReported()
    {
        var other = DdnnExporter.Export(DeployTestModels.Create(DdnnBuilder.Devices(2).Input(1, 8, 8).Classes(3).DeviceBlocks(6)
            .LocalExit(Aggregation.Concat).Edge([0], Aggregation.Concat, 4).Edge([1], Aggregation.MaxPool, 4).Cloud(Aggregation.Concat, 4), 8));
        var foreign = RawDdnnFile.Parse(DeployFile.Serialize(other, new PartitionId(PartitionKind.Device, 0))).Sections[1];
        var raw = RawDdnnFile.Parse(Small.Value.Bytes);
        raw.Sections[1] = foreign;
        var error = Load(raw.Build());
        Assert.Contains("dev0 block 0", error.Message);
        Assert.Contains("configuration needs", error.Message);
    }

    [Fact]
    public void NonZeroTailBitsAreReported()
    {
        var raw = RawDdnnFile.Parse(Small.Value.Bytes);
        var (type, index, payload) = raw.Sections[1];
        // dev0 payload: block count, then block 0's 7 ints and a flag, then the weight count and the first weight word.
        var firstWord = 4 + 7 * 4 + 1 + 4;
        payload = (byte[])payload.Clone();
        payload[firstWord + 7] |= 0x80;
        raw.Sections[1] = new RawSection(type, index, payload);
        Assert.Contains("tails must be zero", Load(raw.Build()).Message);
    }

    [Fact]
    public void BadConfigurationIsReported()
    {
        var raw = RawDdnnFile.Parse(Small.Value.Bytes);
        raw.Sections[0] = new RawSection(1, 0, Encoding.UTF8.GetBytes("{\"devices\": -3}"));
        Assert.Contains("section 0 (configuration 0): invalid configuration", Load(raw.Build()).Message);
    }

    [Fact]
    public void PartitionsFromDifferentExportsAreReported()
    {
        var (_, deployed, _) = Small.Value;
        var other = DdnnExporter.Export(DeployTestModels.Create(DdnnBuilder.Devices(2).Input(1, 8, 8).Classes(3).DeviceBlocks(4)
            .LocalExit(Aggregation.Concat).Edge([0], Aggregation.Concat, 4).Edge([1], Aggregation.MaxPool, 4).Cloud(Aggregation.Concat, 4), 8));
        var dir = Directory.CreateDirectory(Path.Combine(_dir, "mixed")).FullName;
        foreach (var id in PartitionId.AllOf(deployed))
            DeployFile.SavePartition(id.ToString() == "dev0" ? other : deployed, id, Path.Combine(dir, id + DeployedModelLoader.Extension));
        var error = Assert.Throws<InvalidDataException>(() => DeployedModelLoader.Load(dir));
        Assert.Contains("score ranges for device 0", error.Message);
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
            Assert.Equal(bytes, DeployFile.Serialize(loaded));
        }
        var junk = Path.Combine(_dir, "junk.bin");
        File.WriteAllBytes(junk, new byte[64]);
        Assert.Contains("bad magic", Assert.Throws<InvalidDataException>(() => DeployedModelLoader.Load(junk)).Message);
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

    private InvalidDataException Load(byte[] bytes)
    {
        var path = Path.Combine(_dir, "cut.ddnnp");
        File.WriteAllBytes(path, bytes);
        return Assert.Throws<InvalidDataException>(() => DeployFile.Load(path));
    }
}

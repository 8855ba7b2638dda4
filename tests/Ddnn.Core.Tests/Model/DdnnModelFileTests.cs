using System.Text;
using Ddnn.Core.Deploy;
using Ddnn.Core.IO;
using Ddnn.Core.Model;
using Ddnn.TestSupport;
using FsCheck.Xunit;

namespace Ddnn.Core.Tests.Model;

/// <summary>The DDNN checkpoint file: round trip, configuration checks and corruption.</summary>
public sealed class DdnnModelFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ddnn-model-file-" + Guid.NewGuid().ToString("N"));

    public DdnnModelFileTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static DdnnConfig Config() => DdnnBuilder.Devices(3).Input(1, 8, 8).Classes(4).DeviceBlocks(2, 3)
        .LocalExit(Aggregation.Concat).Edge([0, 2], Aggregation.MaxPool, 4).Edge([1], Aggregation.Concat, 4).Cloud(Aggregation.Concat, 4).Build();

    private DdnnModel TrainedModel(string file, out string path)
    {
        var config = Config();
        var model = ModelTestData.Randomize(new DdnnModel(config), 41);
        model.Forward(ModelTestData.Views(config, 4, 42)); // moves the BN running statistics away from their defaults
        path = Path.Combine(_dir, file);
        DdnnModelFile.Save(model, path);
        return model;
    }

    [Fact]
    public void LoadRestoresConfigurationAndEveryTensorBitForBit()
    {
        var model = TrainedModel("m.ddnn", out var path);
        var loaded = DdnnModelFile.Load(path);
        Assert.Equal(DdnnConfigJson.Serialize(model.Config), DdnnConfigJson.Serialize(loaded.Config));
        var expected = model.StateTensors();
        var actual = loaded.StateTensors();
        Assert.Equal(expected.Select(t => t.Name), actual.Select(t => t.Name));
        for (var i = 0; i < expected.Count; i++) Assert.Equal(expected[i].Tensor.ToArray(), actual[i].Tensor.ToArray());
        Assert.Equal(DdnnConfigJson.Serialize(model.Config), DdnnConfigJson.Serialize(DdnnModelFile.ReadConfig(path)));

        model.Eval();
        loaded.Eval();
        using var _ = Autograd.NoGrad();
        var views = ModelTestData.Views(model.Config, 3, 43);
        var a = model.Forward(views);
        var b = loaded.Forward(views);
        for (var i = 0; i < a.Exits.Count; i++) Assert.Equal(a.Exits[i].ToArray(), b.Exits[i].ToArray());
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void LoadIntoAModelOfTheSameConfigurationRestoresItsState()
    {
        var model = TrainedModel("m.ddnn", out var path);
        var target = new DdnnModel(Config());
        DdnnModelFile.LoadInto(target, path);
        Assert.Equal(model.StateTensors().Select(t => t.Tensor.ToArray()), target.StateTensors().Select(t => t.Tensor.ToArray()));
    }

    [Fact]
    public void LoadIntoAModelOfAnotherConfigurationNamesTheDifferenceAndChangesNothing()
    {
        TrainedModel("m.ddnn", out var path);
        var other = new DdnnModel(Config() with { Classes = 5 });
        var e = Assert.Throws<InvalidDataException>(() => DdnnModelFile.LoadInto(other, path));
        Assert.Contains(path, e.Message);
        Assert.Contains("another configuration", e.Message);
        Assert.Contains("classes: model 5, file 4", e.Message);
        Assert.All(other.NamedParameters().Where(p => p.Name.EndsWith("conv.weight", StringComparison.Ordinal)),
            p => Assert.All(p.Parameter.ToArray(), v => Assert.Equal(0f, v)));
    }

    [Fact]
    public void EveryGenericDamageIsReported()
    {
        TrainedModel("m.ddnn", out var path);
        FileDamage.AssertEachIsReported(FileDamage.Cases(File.ReadAllBytes(path), (uint)DdnnFileKind.TrainingCheckpoint, (uint)SectionType.CloudPartition),
            Path.Combine(_dir, "bad.ddnn"), p => DdnnModelFile.Load(p));
        Assert.Throws<FileNotFoundException>(() => DdnnModelFile.Load(Path.Combine(_dir, "missing.ddnn")));
    }

    [Fact]
    public void APackedFileWhereATrainableModelIsExpectedIsNamedAsSuch()
    {
        var model = TrainedModel("m.ddnn", out _);
        model.Eval();
        var path = Path.Combine(_dir, "cloud.ddnnp");
        DeployFile.SavePartition(DdnnExporter.Export(model), new PartitionId(PartitionKind.Cloud), path);
        var e = Assert.Throws<InvalidDataException>(() => DdnnModelFile.Load(path));
        Assert.Equal($"{path}: is a packed partition file, but a trainable model file is expected here.", e.Message);
    }

    [Fact]
    public void ATensorOfAnotherShapeIsReportedAndNamed()
    {
        var model = new DdnnModel(Config());
        var other = new DdnnModel(Config() with { Classes = 5 });
        var raw = RawDdnnFile.Parse(DdnnModelFile.Serialize(model));
        var foreign = RawDdnnFile.Parse(DdnnModelFile.Serialize(other));
        var at = raw.Sections.FindIndex(s => s.Type == (uint)SectionType.Tensor && Encoding.UTF8.GetString(s.Payload).Contains("cloud_exit", StringComparison.Ordinal));
        Assert.True(at > 0);
        raw.Sections[at] = foreign.Sections[at];
        var e = Assert.Throws<InvalidDataException>(() => DdnnModelFile.Deserialize(raw.Build(), "edited.ddnn"));
        Assert.StartsWith($"edited.ddnn: section {at} (tensor {at - 1}): ", e.Message);
        Assert.Contains("in the file but", e.Message);
    }

    [Fact]
    public void MissingRepeatedAndMisnumberedTensorsAreReported()
    {
        var bytes = DdnnModelFile.Serialize(new DdnnModel(Config()));
        var raw = RawDdnnFile.Parse(bytes);
        raw.Sections.RemoveAt(raw.Sections.Count - 1);
        Assert.Contains("is missing from the file", Assert.Throws<InvalidDataException>(() => DdnnModelFile.Deserialize(raw.Build(), "m")).Message);
        raw = RawDdnnFile.Parse(bytes);
        raw.Sections[2] = raw.Sections[1] with { Index = 1 };
        Assert.Contains("appears twice", Assert.Throws<InvalidDataException>(() => DdnnModelFile.Deserialize(raw.Build(), "m")).Message);
        raw = RawDdnnFile.Parse(bytes);
        raw.Sections[2] = raw.Sections[2] with { Index = 5 };
        Assert.Contains("tensor section has index 5, expected 1", Assert.Throws<InvalidDataException>(() => DdnnModelFile.Deserialize(raw.Build(), "m")).Message);
    }

    [Fact]
    public void AStoredConfigurationThatIsInvalidIsRejected()
    {
        // Re-encode a valid file with "classes": 1 and correct checksums: the configuration check must catch it.
        var model = new DdnnModel(DdnnBuilder.Devices(1).Input(1, 4, 4).Classes(2).Cloud(Aggregation.Concat, 2).Build());
        var raw = RawDdnnFile.Parse(DdnnModelFile.Serialize(model));
        var json = Encoding.UTF8.GetString(raw.Sections[0].Payload);
        Assert.Contains("\"classes\": 2", json);
        raw.Sections[0] = raw.Sections[0] with { Payload = Encoding.UTF8.GetBytes(json.Replace("\"classes\": 2", "\"classes\": 1", StringComparison.Ordinal)) };
        var e = Assert.Throws<InvalidDataException>(() => DdnnModelFile.Deserialize(raw.Build(), "edited.ddnn"));
        Assert.StartsWith("edited.ddnn: section 0 (configuration 0): invalid configuration", e.Message);
        Assert.Contains("classes must be at least 2", e.Message);
    }

    [Fact]
    public void SerializingTheLoadedModelGivesTheSameBytes()
    {
        TrainedModel("m.ddnn", out var path);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(bytes, DdnnModelFile.Serialize(DdnnModelFile.Load(path)));
    }

    private static readonly Lazy<byte[]> SmallFile = new(() =>
    {
        var config = DdnnBuilder.Devices(2).Input(1, 4, 4).Classes(3).DeviceBlocks(2).LocalExit(Aggregation.MaxPool).Cloud(Aggregation.Concat, 2).Build();
        return DdnnModelFile.Serialize(ModelTestData.Randomize(new DdnnModel(config), 5));
    });

    [Property(MaxTest = 150)]
    public void FlippingOrCuttingBytesGivesACleanErrorOrTheIdenticalModel(uint position, byte mask, bool cut)
        => FileDamage.AssertFlipOrCutIsCleanOrIdentical(SmallFile.Value, position, mask, cut, "fuzzed.ddnn",
            (bytes, path) => DdnnModelFile.Serialize(DdnnModelFile.Deserialize(bytes, path)));
}

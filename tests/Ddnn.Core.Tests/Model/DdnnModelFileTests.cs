using Ddnn.Core.Model;

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
    public void CorruptTruncatedAndForeignFilesAreRejectedNamingThePath()
    {
        TrainedModel("m.ddnn", out var path);
        var bytes = File.ReadAllBytes(path);

        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 0x40;
        AssertRejected(flipped, "checksum");

        AssertRejected(bytes.AsSpan(0, bytes.Length - 7).ToArray(), "");
        AssertRejected(bytes.AsSpan(0, 10).ToArray(), "truncated");

        var foreign = (byte[])bytes.Clone();
        "NOTAMODL"u8.CopyTo(foreign);
        AssertRejected(foreign, "not a DDNN model file");

        Assert.Throws<FileNotFoundException>(() => DdnnModelFile.Load(Path.Combine(_dir, "missing.ddnn")));
    }

    [Fact]
    public void AStoredConfigurationThatIsInvalidIsRejected()
    {
        // Re-encode a valid file with "classes": 1 and a correct checksum: the configuration check must catch it.
        var model = new DdnnModel(DdnnBuilder.Devices(1).Input(1, 4, 4).Classes(2).Cloud(Aggregation.Concat, 2).Build());
        var bytes = DdnnModelFile.Serialize(model);
        var text = System.Text.Encoding.UTF8.GetString(bytes);
        var at = text.IndexOf("\"classes\": 2", StringComparison.Ordinal);
        Assert.True(at > 0);
        bytes[at + "\"classes\": ".Length] = (byte)'1';
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Ddnn.Core.State.Crc32.Compute(bytes.AsSpan(0, bytes.Length - 4)));
        var e = Assert.Throws<InvalidDataException>(() => DdnnModelFile.Deserialize(bytes, "edited.ddnn"));
        Assert.Contains("edited.ddnn", e.Message);
        Assert.Contains("classes must be at least 2", e.Message);
    }

    private void AssertRejected(byte[] bytes, string fragment)
    {
        var path = Path.Combine(_dir, "bad.ddnn");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => DdnnModelFile.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(fragment, e.Message);
    }
}

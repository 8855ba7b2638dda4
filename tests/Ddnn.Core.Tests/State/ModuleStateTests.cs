using Ddnn.Core;
using Ddnn.Core.Layers;
using Ddnn.Core.IO;
using Ddnn.Core.Randomness;
using Ddnn.Core.State;
using Ddnn.TestSupport;
using FsCheck.Xunit;

namespace Ddnn.Core.Tests.State;

/// <summary>Save/load round trip bit for bit, atomic writes, and clear errors on bad files.</summary>
public sealed class ModuleStateTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ddnn-state-" + Guid.NewGuid().ToString("N"));

    public ModuleStateTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Sequential Model() => new(new ConvPoolBNSign(1, 4), new Flatten(), new BinaryLinearBN(4 * 4 * 4, 3));

    private static void Randomize(Module m, ulong seed)
    {
        var rng = new SeededRandom(seed);
        foreach (var t in m.StateTensors())
            for (var i = 0; i < t.Tensor.Length; i++) t.Tensor.Data[i] = (float)rng.NextGaussian();
    }

    [Property(MaxTest = 10)]
    public void SaveLoadRoundTripsBitForBitAndGivesTheSameOutputs(int seed)
    {
        var a = Model();
        Randomize(a, (ulong)(uint)seed);
        a.StateTensors()[0].Tensor.Data[0] = -0f;
        a.StateTensors()[1].Tensor.Data[0] = BitConverter.Int32BitsToSingle(0x7FC00123); // NaN payload survives
        var path = Path.Combine(_dir, $"m{seed}.ddnn");
        ModuleState.Save(a, path);
        var b = Model();
        ModuleState.Load(b, path);
        var sa = a.StateTensors();
        var sb = b.StateTensors();
        for (var k = 0; k < sa.Count; k++)
            for (var i = 0; i < sa[k].Tensor.Length; i++)
                Assert.Equal(BitConverter.SingleToInt32Bits(sa[k].Tensor.Data[i]), BitConverter.SingleToInt32Bits(sb[k].Tensor.Data[i]));
        // Outputs in eval mode agree bit for bit (NaN bias aside, use a clean copy).
        a.StateTensors()[1].Tensor.Data[0] = 0.25f;
        b.StateTensors()[1].Tensor.Data[0] = 0.25f;
        a.Eval(); b.Eval();
        var x = Tensor.Zeros(2, 1, 8, 8);
        var rng = new SeededRandom(7);
        for (var i = 0; i < x.Length; i++) x.Data[i] = (float)rng.NextDouble();
        Assert.Equal(a.Forward(x).ToArray(), b.Forward(x).ToArray());
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void TruncatedFileIsRejectedAndModuleUnchanged()
    {
        var a = Model();
        Randomize(a, 1);
        var path = Path.Combine(_dir, "t.ddnn");
        ModuleState.Save(a, path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var b = Model();
        var before = b.StateTensors()[0].Tensor.ToArray();
        var ex = Assert.Throws<InvalidDataException>(() => ModuleState.Load(b, path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("truncated: the header declares", ex.Message);
        Assert.Equal(before, b.StateTensors()[0].Tensor.ToArray());
    }

    [Fact]
    public void CorruptByteIsDetected()
    {
        var a = Model();
        Randomize(a, 2);
        var bytes = ModuleState.Serialize(a);
        bytes[bytes.Length / 2] ^= 0x10;
        var ex = Assert.Throws<InvalidDataException>(() => ModuleState.Deserialize(Model(), bytes, "x.ddnn"));
        Assert.Contains("x.ddnn", ex.Message);
    }

    [Fact]
    public void ShapeMismatchNamesTensorAndBothShapes()
    {
        var bytes = ModuleState.Serialize(new Sequential(new ConvPoolBNSign(1, 4)));
        var ex = Assert.Throws<InvalidDataException>(() => ModuleState.Deserialize(new Sequential(new ConvPoolBNSign(2, 4)), bytes, "s.ddnn"));
        Assert.Contains("'0.conv.weight' has shape (4,1,3,3) in the file but (4,2,3,3) in the module", ex.Message);
    }

    [Fact]
    public void MissingAndUnknownTensorsAreReported()
    {
        var bytes = ModuleState.Serialize(new Sequential(new ConvPoolBNSign(1, 4)));
        var ex = Assert.Throws<InvalidDataException>(() => ModuleState.Deserialize(new Sequential(new ConvPoolBNSign(1, 4), new BinaryLinearBN(4, 2)), bytes));
        Assert.Contains("'1.fc.weight' (2,4)", ex.Message);
        Assert.Contains("missing", ex.Message);
        ex = Assert.Throws<InvalidDataException>(() => ModuleState.Deserialize(new Sequential(new BinaryLinearBN(4, 2)), bytes));
        Assert.Contains("'0.conv.weight' does not exist", ex.Message);
    }

    [Fact]
    public void EveryGenericDamageIsReported()
    {
        var a = Model();
        Randomize(a, 3);
        FileDamage.AssertEachIsReported(FileDamage.Cases(ModuleState.Serialize(a), (uint)DdnnFileKind.TrainableModel, (uint)SectionType.Config),
            Path.Combine(_dir, "bad.ddnn"), p => ModuleState.Load(Model(), p));
    }

    [Fact]
    public void ATensorStoredAsTheWrongKindIsReported()
    {
        var raw = RawDdnnFile.Parse(ModuleState.Serialize(new Sequential(new ConvPoolBNSign(1, 4))));
        var last = raw.Sections[^1];
        var payload = (byte[])last.Payload.Clone();
        var nameLength = BitConverter.ToInt32(payload, 0);
        payload[4 + nameLength] = 0; // a buffer marked as a parameter
        raw.Sections[^1] = last with { Payload = payload };
        var ex = Assert.Throws<InvalidDataException>(() => ModuleState.Deserialize(new Sequential(new ConvPoolBNSign(1, 4)), raw.Build(), "k.ddnn"));
        Assert.Contains("is stored as a parameter but the module has a buffer", ex.Message);
    }

    [Fact]
    public void SaveOverwritesAtomically()
    {
        var path = Path.Combine(_dir, "o.ddnn");
        var a = Model();
        Randomize(a, 5);
        ModuleState.Save(a, path);
        Randomize(a, 6);
        ModuleState.Save(a, path);
        var b = Model();
        ModuleState.Load(b, path);
        Assert.Equal(a.StateTensors()[0].Tensor.ToArray(), b.StateTensors()[0].Tensor.ToArray());
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Crc32MatchesTheStandardCheckValue()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
    }
}

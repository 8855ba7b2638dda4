using Ddnn.Kernels.Binary;

namespace Ddnn.Kernels.Tests.Binary;

public class EbnnBlockTests
{
    /// <summary>(C, H, W, Cout, pool kernel, pool stride, pool padding): device pool k3 s2 p1, cloud pool k3 s1 p1, others; rows of one and two 16-lane vectors and a 16-lane tail.</summary>
    public static TheoryData<int, int, int, int, int, int, int> Shapes() => new()
    {
        { 1, 7, 9, 5, 3, 2, 1 },
        { 63, 6, 5, 7, 3, 1, 1 },
        { 64, 5, 5, 64, 3, 2, 1 },
        { 65, 9, 4, 66, 3, 2, 1 },
        { 130, 3, 3, 3, 2, 2, 0 },
        { 16, 11, 10, 16, 3, 2, 1 },
        { 1, 16, 16, 4, 3, 2, 1 },
        { 2, 6, 33, 5, 3, 2, 1 },
        { 1, 5, 32, 9, 3, 1, 1 },
    };

    /// <summary>Each shape on every kernel path.</summary>
    public static IEnumerable<object[]> ShapesOnEveryPath() => KernelPathCases.OnEveryPath(Shapes());

    [SkippableTheory]
    [MemberData(nameof(ShapesOnEveryPath))]
    public void BinaryBlockEqualsFloatConvPoolThenSignTest(int c, int h, int w, int cout, int pk, int ps, int pp, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var conv = new BinaryConvGeometry(2, c, h, w, cout, 3, 3, 1, 1);
        var pool = new PoolGeometry(pk, ps, pp);
        var random = new Random(c * 13 + cout);
        var input = BinaryReference.RandomSigns(random, conv.InputLength);
        var weights = BinaryReference.RandomSigns(random, cout * c * 9);
        var thresholds = BinaryReference.RandomThresholds(random, cout, 2 * MathF.Sqrt(9 * c));
        var expected = Reference(input, weights, new float[cout], conv, pool, (ch, x) => thresholds[ch].Fires((int)x));

        var packedInput = new ulong[conv.PackedInputLength];
        var packedWeights = new ulong[conv.PackedWeightsLength];
        BitPacking.PackNchw(input, conv.Batch, c, h, w, packedInput);
        BitPacking.PackConvWeights(weights, cout, c, 3, 3, packedWeights);
        var output = new ulong[EbnnBlock.OutputLength(conv, pool)];
        EbnnBlock.BinaryConvPoolSign(packedInput, packedWeights, conv, pool, thresholds, output);
        AssertSigns(expected, output, conv, pool, $"binary block {conv}, pool {pool}, path {path}");
    }

    [SkippableTheory]
    [MemberData(nameof(ShapesOnEveryPath))]
    public void FloatBlockEqualsFloatConvPoolThenSignTest(int c, int h, int w, int cout, int pk, int ps, int pp, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var conv = new BinaryConvGeometry(2, c, h, w, cout, 3, 3, 1, 1);
        var pool = new PoolGeometry(pk, ps, pp);
        var random = new Random(c * 17 + cout);
        var input = BinaryReference.RandomFloats(random, conv.InputLength);
        var latent = BinaryReference.RandomFloats(random, cout * c * 9);
        var bias = BinaryReference.RandomFloats(random, cout);
        var thresholds = BinaryReference.RandomFloatThresholds(random, cout, 2 * MathF.Sqrt(c));
        var expected = Reference(input, latent.Select(BinaryReference.Sign).ToArray(), bias, conv, pool, (ch, x) => thresholds[ch].Fires(x));

        var packedWeights = new ulong[conv.PackedWeightsLength];
        BitPacking.PackConvWeights(latent, cout, c, 3, 3, packedWeights);
        var output = new ulong[EbnnBlock.OutputLength(conv, pool)];
        EbnnBlock.FloatConvPoolSign(input, packedWeights, bias, conv, pool, thresholds, output);
        AssertSigns(expected, output, conv, pool, $"float block {conv}, pool {pool}, path {path}");
    }

    [Fact]
    public void BadShapesAreRejected()
    {
        var conv = new BinaryConvGeometry(1, 3, 6, 6, 4, 3, 3, 1, 1);
        var pool = new PoolGeometry(3, 2, 1);
        var length = EbnnBlock.OutputLength(conv, pool);
        Assert.Equal(9, length);
        var error = Assert.Throws<ArgumentException>(() => EbnnBlock.BinaryConvPoolSign(new ulong[conv.PackedInputLength],
            new ulong[conv.PackedWeightsLength], conv, pool, new SignThreshold[3], new ulong[length]));
        Assert.Equal("thresholds", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => EbnnBlock.FloatConvPoolSign(new float[conv.InputLength],
            new ulong[conv.PackedWeightsLength], new float[4], conv, pool, new FloatSignThreshold[4], new ulong[length + 1]));
        Assert.Equal("output", error.ParamName);
        Assert.Contains("Hp=3, Wp=3", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>("padding", () => new PoolGeometry(3, 2, 3));
    }

    private static float[] Reference(float[] input, float[] signWeights, float[] bias, BinaryConvGeometry conv, PoolGeometry pool,
        Func<int, float, bool> fires)
    {
        var pre = BinaryReference.Conv(input, signWeights, bias, conv);
        var pooled = BinaryReference.MaxPool(pre, conv.Batch, conv.OutChannels, conv.OutHeight, conv.OutWidth, pool, out var hp, out var wp);
        return BinaryReference.ThresholdSigns(pooled, conv.OutChannels, hp * wp, fires);
    }

    private static void AssertSigns(float[] expected, ulong[] packed, BinaryConvGeometry conv, PoolGeometry pool, string what)
    {
        int hp = pool.OutputSize(conv.OutHeight), wp = pool.OutputSize(conv.OutWidth);
        var actual = new float[expected.Length];
        BitPacking.UnpackToNchw(packed, conv.Batch, conv.OutChannels, hp, wp, actual);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(expected[i] == actual[i], $"{what}: sign[{i}] = {actual[i]}, float pipeline gives {expected[i]}");
        var words = BitPacking.WordsFor(conv.OutChannels);
        if (conv.OutChannels % 64 != 0)
            for (var i = words - 1; i < packed.Length; i += words)
                Assert.Equal(0UL, packed[i] >> (conv.OutChannels % 64));
    }
}

using Ddnn.Kernels.Binary;

namespace Ddnn.Kernels.Tests.Binary;

public class FloatBinaryConv2dTests
{
    public static TheoryData<int, int, int, int, int, int, int> Shapes() => new()
    {
        { 3, 9, 11, 5, 3, 1, 1 },
        { 1, 5, 4, 2, 3, 2, 1 },
        { 65, 4, 5, 3, 3, 1, 0 },
        { 2, 7, 6, 4, 5, 3, 2 },
        { 3, 17, 37, 16, 3, 1, 1 },
        { 2, 5, 70, 3, 3, 1, 0 },
        { 1, 6, 16, 4, 3, 1, 1 },
        { 2, 5, 20, 5, 3, 1, 1 },
        { 1, 4, 47, 7, 3, 1, 1 },
    };

    /// <summary>Each shape on every kernel path: rows of 16-lane vectors, with moved-back tails (20, 37, 47, 70).</summary>
    public static IEnumerable<object[]> ShapesOnEveryPath() => KernelPathCases.OnEveryPath(Shapes());

    [SkippableTheory]
    [MemberData(nameof(ShapesOnEveryPath))]
    public void EqualsFloatConvWithSignWeightsOnEveryPath(int c, int h, int w, int cout, int k, int stride, int pad, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var g = new BinaryConvGeometry(2, c, h, w, cout, k, k, stride, pad);
        var random = new Random(c + h * 31 + w * 7);
        var latent = BinaryReference.RandomFloats(random, cout * c * k * k);
        var signs = latent.Select(BinaryReference.Sign).ToArray();
        var packedWeights = new ulong[g.PackedWeightsLength];
        BitPacking.PackConvWeights(latent, cout, c, k, k, packedWeights);
        var bias = BinaryReference.RandomFloats(random, cout);

        // Dyadic inputs: exact for any summation order. Non-dyadic: exact because the documented order matches the oracle.
        foreach (var input in new[] { BinaryReference.RandomDyadic(random, g.InputLength), BinaryReference.RandomFloats(random, g.InputLength, 3f) })
        {
            var expected = BinaryReference.Conv(input, signs, bias, g);
            var output = new float[g.OutputLength];
            EbnnBlock.FloatBinaryConv(input, packedWeights, bias, g, output);
            for (var i = 0; i < output.Length; i++)
                Assert.True(expected[i] == output[i], $"{g}, path {path}: output[{i}] = {output[i]:R}, float conv gives {expected[i]:R}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(KernelPaths.Every), MemberType = typeof(KernelPaths))]
    public void RandomShapesEqualFloatConvWithSignWeightsOnEveryPath(KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var random = new Random(2026);
        for (var shape = 0; shape < 60; shape++)
        {
            int c = random.Next(1, 4), h = random.Next(1, 9), w = random.Next(1, 81), cout = random.Next(1, 10);
            int k = random.Next(1, 4), stride = random.Next(1, 3), pad = random.Next(0, k);
            if (w + 2 * pad < k || h + 2 * pad < k) continue;
            var g = new BinaryConvGeometry(1, c, h, w, cout, k, k, stride, pad);
            var latent = BinaryReference.RandomFloats(random, cout * c * k * k);
            var packedWeights = new ulong[g.PackedWeightsLength];
            BitPacking.PackConvWeights(latent, cout, c, k, k, packedWeights);
            var bias = BinaryReference.RandomFloats(random, cout);
            var input = BinaryReference.RandomFloats(random, g.InputLength, 3f);
            var expected = BinaryReference.Conv(input, latent.Select(BinaryReference.Sign).ToArray(), bias, g);
            var output = new float[g.OutputLength];
            EbnnBlock.FloatBinaryConv(input, packedWeights, bias, g, output);
            for (var i = 0; i < output.Length; i++)
                Assert.True(expected[i] == output[i], $"{g}, path {path}: output[{i}] = {output[i]:R}, float conv gives {expected[i]:R}");
        }
    }

    [Fact]
    public void BadInputsAreRejected()
    {
        var g = new BinaryConvGeometry(1, 3, 4, 4, 2, 3, 3, 1, 1);
        var error = Assert.Throws<ArgumentException>(() =>
            EbnnBlock.FloatBinaryConv(new float[47], new ulong[g.PackedWeightsLength], new float[2], g, new float[g.OutputLength]));
        Assert.Equal("input", error.ParamName);
        Assert.Contains("C=3, H=4, W=4", error.Message);
        error = Assert.Throws<ArgumentException>(() =>
            EbnnBlock.FloatBinaryConv(new float[48], new ulong[g.PackedWeightsLength], new float[3], g, new float[g.OutputLength]));
        Assert.Equal("bias", error.ParamName);
    }
}

using Ddnn.Kernels.Binary;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Ddnn.Kernels.Tests.Binary;

public class BitPackingTests
{
    [Property(MaxTest = 60)]
    public Property PackThenUnpackGivesTheSigns() =>
        Prop.ForAll(
            Gen.Choose(1, 3).Zip(Gen.Choose(1, 140)).Zip(Gen.Choose(1, 5).Zip(Gen.Choose(1, 5))).Zip(Gen.Choose(0, int.MaxValue)).ToArbitrary(),
            t =>
            {
                var (((batch, channels), (height, width)), seed) = t;
                var random = new Random(seed);
                var input = BinaryReference.RandomFloats(random, batch * channels * height * width);
                var packed = new ulong[batch * height * width * BitPacking.WordsFor(channels)];
                BitPacking.PackNchw(input, batch, channels, height, width, packed);
                var output = new float[input.Length];
                BitPacking.UnpackToNchw(packed, batch, channels, height, width, output);
                return input.Select(BinaryReference.Sign).SequenceEqual(output) && TailBitsAreZero(packed, channels);
            });

    [SkippableTheory]
    [MemberData(nameof(KernelPaths.Every), MemberType = typeof(KernelPaths))]
    public void LayoutIsNhwcWithChannelBitsAlongWords(KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        const int channels = 70, height = 2, width = 3;
        var input = new float[channels * height * width];
        Array.Fill(input, -1f);
        input[(65 * height + 1) * width + 2] = 0.5f; // c = 65, h = 1, w = 2
        input[(3 * height + 0) * width + 1] = 2f;    // c = 3, h = 0, w = 1
        var packed = new ulong[height * width * 2];
        BitPacking.PackNchw(input, 1, channels, height, width, packed);
        var expected = new ulong[packed.Length];
        expected[((1 * width) + 2) * 2 + 1] = 1UL << 1;
        expected[((0 * width) + 1) * 2 + 0] = 1UL << 3;
        Assert.Equal(expected, packed);
    }

    [Fact]
    public void NegativeZeroPacksAsPlusOneAndNaNAsMinusOne()
    {
        Assert.Equal(1UL, BitPacking.SignBit(-0f));
        Assert.Equal(1UL, BitPacking.SignBit(0f));
        Assert.Equal(0UL, BitPacking.SignBit(float.NaN));
        Assert.Equal(0UL, BitPacking.SignBit(-1e-30f));
        var packed = new ulong[1];
        BitPacking.PackRows([-0f, -1f, 0f, float.NaN], 1, 4, packed);
        Assert.Equal(0b0101UL, packed[0]);
    }

    [Fact]
    public void ConvWeightsPackPerTapWithChannelBits()
    {
        var random = new Random(5);
        const int cout = 3, cin = 67, kh = 2, kw = 3;
        var weights = BinaryReference.RandomFloats(random, cout * cin * kh * kw);
        var packed = new ulong[cout * kh * kw * 2];
        BitPacking.PackConvWeights(weights, cout, cin, kh, kw, packed);
        for (var o = 0; o < cout; o++)
        for (var c = 0; c < cin; c++)
        for (var t = 0; t < kh * kw; t++)
        {
            var bit = (packed[(o * kh * kw + t) * 2 + c / 64] >> (c % 64)) & 1;
            Assert.Equal(BitPacking.SignBit(weights[(o * cin + c) * kh * kw + t]), bit);
        }
        Assert.True(TailBitsAreZero(packed, cin));
    }

    /// <summary>Row lengths around the 16-, 8- and 4-value compares and the 64-bit word, on every kernel path.</summary>
    public static IEnumerable<object[]> RowBitsOnEveryPath() =>
        KernelPathCases.OnEveryPath(new[] { 1, 15, 63, 64, 65, 128, 300 }.Select(bits => new object[] { bits }));

    [SkippableTheory]
    [MemberData(nameof(RowBitsOnEveryPath))]
    public void RowsPackInOrderWithZeroTail(int bits, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var random = new Random(bits);
        var values = BinaryReference.RandomFloats(random, 3 * bits);
        float[] specials = [-0f, 0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, -float.Epsilon, float.Epsilon];
        for (var i = 0; i < values.Length; i += 3) values[i] = specials[random.Next(specials.Length)];
        var words = BitPacking.WordsFor(bits);
        var packed = new ulong[3 * words];
        BitPacking.PackRows(values, 3, bits, packed);
        for (var r = 0; r < 3; r++)
        for (var b = 0; b < 64 * words; b++)
        {
            var bit = (packed[r * words + b / 64] >> (b % 64)) & 1;
            Assert.Equal(b < bits ? BitPacking.SignBit(values[r * bits + b]) : 0UL, bit);
        }
    }

    [Fact]
    public void WrongLengthsNameTheParameterAndShape()
    {
        var error = Assert.Throws<ArgumentException>(() => BitPacking.PackNchw(new float[10], 1, 2, 2, 3, new ulong[6]));
        Assert.Equal("input", error.ParamName);
        Assert.Contains("(1, 2, 2, 3)", error.Message);
        error = Assert.Throws<ArgumentException>(() => BitPacking.PackNchw(new float[12], 1, 2, 2, 3, new ulong[5]));
        Assert.Equal("packed", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => BitPacking.UnpackToNchw(new ulong[6], 1, 2, 2, 3, new float[11]));
        Assert.Equal("output", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => BitPacking.PackConvWeights(new float[18], 2, 1, 3, 3, new ulong[17]));
        Assert.Equal("packed", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>("channels", () => BitPacking.PackNchw(new float[0], 1, 0, 2, 3, new ulong[0]));
        Assert.Throws<ArgumentOutOfRangeException>("bits", () => BitPacking.WordsFor(-1));
    }

    private static bool TailBitsAreZero(ulong[] packed, int channels)
    {
        var words = BitPacking.WordsFor(channels);
        if (channels % 64 == 0) return true;
        var mask = ~0UL << (channels % 64);
        for (var i = words - 1; i < packed.Length; i += words)
            if ((packed[i] & mask) != 0) return false;
        return true;
    }
}

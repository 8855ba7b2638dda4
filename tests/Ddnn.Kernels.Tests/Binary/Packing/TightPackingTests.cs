using Ddnn.Kernels.Binary;

namespace Ddnn.Kernels.Tests.Binary;

public class TightPackingTests
{
    public static TheoryData<int, int> Shapes()
    {
        var data = new TheoryData<int, int>();
        foreach (var pixels in new[] { 0, 1, 3, 16, 17, 64, 100, 136, 200 })
        foreach (var channels in new[] { 1, 2, 3, 4, 7, 8, 16, 31, 32, 63, 64, 65, 70, 128 })
            data.Add(pixels, channels);
        return data;
    }

    /// <summary>Each shape on every kernel path.</summary>
    public static IEnumerable<object[]> ShapesOnEveryPath() => KernelPathCases.OnEveryPath(Shapes());

    [SkippableTheory]
    [MemberData(nameof(ShapesOnEveryPath))]
    public void TightBitIsChannelOfPixelAndTailBitsAreIgnoredOnEveryPath(int pixels, int channels, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var random = new Random(pixels * 1000 + channels);
        var perPixel = BitPacking.WordsFor(channels);
        var packed = new ulong[pixels * perPixel];
        for (var i = 0; i < packed.Length; i++) packed[i] = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
        var expected = new ulong[TightPacking.Words(pixels, channels)];
        for (var p = 0; p < pixels; p++)
        for (var c = 0; c < channels; c++)
        {
            var bit = (packed[p * perPixel + (c >> 6)] >> (c & 63)) & 1;
            var at = (long)p * channels + c;
            expected[at >> 6] |= bit << (int)(at & 63);
        }
        var tight = new ulong[TightPacking.Words(pixels, channels)];
        Array.Fill(tight, ulong.MaxValue); // every word must be written
        TightPacking.Tighten(packed, pixels, channels, tight);
        Assert.Equal(expected, tight);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void LoosenUndoesTightenWithZeroTailBits(int pixels, int channels)
    {
        var random = new Random(pixels * 1000 + channels + 7);
        var perPixel = BitPacking.WordsFor(channels);
        var tight = new ulong[TightPacking.Words(pixels, channels)];
        for (var i = 0; i < tight.Length; i++) tight[i] = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
        var expected = new ulong[pixels * perPixel];
        for (var p = 0; p < pixels; p++)
        for (var c = 0; c < channels; c++)
        {
            var at = (long)p * channels + c;
            var bit = (tight[at >> 6] >> (int)(at & 63)) & 1;
            expected[p * perPixel + (c >> 6)] |= bit << (c & 63);
        }
        var packed = new ulong[pixels * perPixel];
        Array.Fill(packed, ulong.MaxValue); // every word must be written, tail bits cleared
        TightPacking.Loosen(tight, pixels, channels, packed);
        Assert.Equal(expected, packed);
        // Bits past pixels·channels in the last tight word are not part of the map.
        var back = new ulong[tight.Length];
        TightPacking.Tighten(packed, pixels, channels, back);
        var bits = (long)pixels * channels;
        if (bits % 64 != 0) tight[^1] &= (1UL << (int)(bits % 64)) - 1;
        Assert.Equal(tight, back);
    }

    [Fact]
    public void WrongLengthsAreRejected()
    {
        Assert.Throws<ArgumentException>("packed", () => TightPacking.Tighten(new ulong[3], 4, 4, new ulong[1]));
        Assert.Throws<ArgumentException>("tight", () => TightPacking.Tighten(new ulong[4], 4, 4, new ulong[2]));
        Assert.Throws<ArgumentOutOfRangeException>("channels", () => TightPacking.Words(4, 0));
        Assert.Throws<ArgumentException>("packed", () => TightPacking.Loosen(new ulong[1], 4, 4, new ulong[3]));
        Assert.Throws<ArgumentException>("tight", () => TightPacking.Loosen(new ulong[2], 4, 4, new ulong[4]));
    }
}

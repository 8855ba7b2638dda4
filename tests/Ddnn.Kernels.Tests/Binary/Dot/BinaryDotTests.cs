using System.Numerics;
using Ddnn.Kernels.Binary;

namespace Ddnn.Kernels.Tests.Binary;

public class BinaryDotTests
{
    /// <summary>
    /// 0..150 words (every vector tail of the 128-, 256- and 512-bit counters), then lengths around the 512-bit
    /// Harley-Seal block of 128 words and its multiples.
    /// </summary>
    private static IEnumerable<int> Lengths() =>
        Enumerable.Range(0, 151).Concat([255, 256, 257, 383, 384, 385, 511, 512, 513, 1031]);

    [SkippableTheory]
    [MemberData(nameof(KernelPaths.Every), MemberType = typeof(KernelPaths))]
    public void XorPopCountMatchesNaiveCountForEveryLength(KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var random = new Random(11);
        foreach (var words in Lengths())
        {
            // Offset by one word so the SIMD paths also see unaligned starts.
            var a = BinaryReference.RandomWords(random, words + 1);
            var b = BinaryReference.RandomWords(random, words + 1);
            long expected = 0;
            for (var i = 1; i <= words; i++) expected += BitOperations.PopCount(a[i] ^ b[i]);
            Assert.True(expected == BinaryDot.XorPopCount(a.AsSpan(1), b.AsSpan(1)), $"path {path}, {words} words");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(KernelPaths.Every), MemberType = typeof(KernelPaths))]
    public void DotEqualsFloatDotOfSigns(KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var random = new Random(12);
        for (var bits = 1; bits <= 300; bits++)
        {
            var x = BinaryReference.RandomFloats(random, bits);
            var y = BinaryReference.RandomFloats(random, bits);
            var px = new ulong[BitPacking.WordsFor(bits)];
            var py = new ulong[px.Length];
            BitPacking.PackRows(x, 1, bits, px);
            BitPacking.PackRows(y, 1, bits, py);
            long expected = 0;
            for (var i = 0; i < bits; i++) expected += (long)(BinaryReference.Sign(x[i]) * BinaryReference.Sign(y[i]));
            Assert.Equal(expected, BinaryDot.Dot(px, py, bits));
        }
    }

    [SkippableTheory]
    [MemberData(nameof(KernelPaths.Every), MemberType = typeof(KernelPaths))]
    public void AllBitsDifferingOverLongRunsDoNotOverflowNarrowAccumulators(KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        // 2^17 + 64·5 + 7 bits: byte and 16-bit lane sums would wrap; the answer must be exactly -K.
        const int bits = (1 << 17) + 64 * 5 + 7;
        var words = BitPacking.WordsFor(bits);
        var a = new ulong[words];
        var b = new ulong[words];
        Array.Fill(a, ulong.MaxValue);
        a[^1] = (1UL << (bits % 64)) - 1;
        Assert.Equal(bits, BinaryDot.XorPopCount(a, b));
        Assert.Equal(-bits, BinaryDot.Dot(a, b, bits));
    }

    [SkippableTheory]
    [MemberData(nameof(KernelPaths.Every), MemberType = typeof(KernelPaths))]
    public void XorPopCountsEqualOneCountPerRowAcrossTheShortVectorLimit(KernelPath path)
    {
        KernelPaths.SkipUnsupported(path);
        var random = new Random(13);
        foreach (var words in new[] { 1, 3, 4, BinaryDot.ShortWords, BinaryDot.ShortWords + 1, 37, 129 })
        foreach (var rows in new[] { 1, 2, 10, 17 })
        {
            var vector = BinaryReference.RandomWords(random, words);
            var matrix = BinaryReference.RandomWords(random, rows * words);
            var counts = new int[rows];
            using (KernelDispatch.Use(path))
                BinaryDot.XorPopCounts(vector, matrix, counts);
            for (var r = 0; r < rows; r++)
                Assert.Equal(BinaryDot.XorPopCount(vector, matrix.AsSpan(r * words, words)), counts[r]);
        }
    }

    [Fact]
    public void XorPopCountsRejectsRowsThatDoNotFit()
    {
        var error = Assert.Throws<ArgumentException>(() => BinaryDot.XorPopCounts(new ulong[4], new ulong[39], new int[10]));
        Assert.Equal("rows", error.ParamName);
        Assert.Contains("40", error.Message);
        error = Assert.Throws<ArgumentException>(() => BinaryDot.XorPopCounts([], new ulong[4], new int[1]));
        Assert.Equal("vector", error.ParamName);
    }

    [Fact]
    public void MismatchedSpansAreRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => BinaryDot.XorPopCount(new ulong[3], new ulong[4]));
        Assert.Equal("b", error.ParamName);
        Assert.Contains("3", error.Message);
        error = Assert.Throws<ArgumentException>(() => BinaryDot.Dot(new ulong[2], new ulong[2], 129));
        Assert.Equal("a", error.ParamName);
    }
}

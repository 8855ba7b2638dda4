using System.Numerics;
using Ddnn.Kernels.Binary;

namespace Ddnn.Kernels.Tests.Binary;

public class BinaryGemmTests
{
    [SkippableTheory]
    [MemberData(nameof(KernelPaths.Every), MemberType = typeof(KernelPaths))]
    public void EveryPathMatchesTheFloatProductOfSignsForEveryK(KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var random = new Random(21);
        for (var bits = 1; bits <= 300; bits++)
        {
            int m = 1 + bits % 5, n = 1 + (bits * 7) % 9;
            var a = BinaryReference.RandomFloats(random, m * bits);
            var b = BinaryReference.RandomFloats(random, n * bits);
            var words = BitPacking.WordsFor(bits);
            var pa = new ulong[m * words];
            var pb = new ulong[n * words];
            BitPacking.PackRows(a, m, bits, pa);
            BitPacking.PackRows(b, n, bits, pb);
            var c = new int[m * n];
            BinaryGemm.Multiply(pa, m, pb, n, bits, c);
            for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                var expected = 0;
                for (var k = 0; k < bits; k++)
                    expected += (int)(BinaryReference.Sign(a[i * bits + k]) * BinaryReference.Sign(b[j * bits + k]));
                Assert.True(expected == c[i * n + j], $"path {path}, K={bits}, C[{i},{j}] = {c[i * n + j]}, expected {expected}");
            }
        }
    }

    /// <summary>
    /// Row lengths in words across the short-row limit (16), the 512-bit vector (8 words) and its 1..7-word tails, the
    /// byte-counter widening block (31 vectors) and the Harley-Seal block (128 words) of the edge dots.
    /// </summary>
    public static TheoryData<KernelPath, int> LongRowsOnEveryPath()
    {
        var data = new TheoryData<KernelPath, int>();
        foreach (var path in Enum.GetValues<KernelPath>())
            foreach (var words in Enumerable.Range(1, 40).Concat([63, 64, 65, 127, 128, 129, 247, 248, 249, 256, 263]))
                data.Add(path, words);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(LongRowsOnEveryPath))]
    public void LongRowsMatchNaiveCountsForShapesOffTheTileOnOneAndTwoThreads(KernelPath path, int words)
    {
        using var scope = KernelPaths.Enter(path);
        var random = new Random(23 + words);
        // (m, n): whole 2x4 tiles, odd rows, columns past a tile and past a 64-column block.
        foreach (var (m, n) in new[] { (1, 1), (2, 4), (3, 5), (5, 9), (4, 70) })
        {
            var a = BinaryReference.RandomWords(random, m * words);
            var b = BinaryReference.RandomWords(random, n * words);
            var bits = 64 * words;
            foreach (var threads in new[] { 1, 2 })
            {
                var c = new int[m * n];
                using (KernelParallelism.Use(threads))
                    BinaryGemm.Multiply(a, m, b, n, words, bits, c);
                for (var i = 0; i < m; i++)
                for (var j = 0; j < n; j++)
                {
                    var differing = 0;
                    for (var w = 0; w < words; w++) differing += BitOperations.PopCount(a[i * words + w] ^ b[j * words + w]);
                    Assert.True(bits - 2 * differing == c[i * n + j],
                        $"path {path}, {words} words, m={m}, n={n}, {threads} threads: C[{i},{j}] = {c[i * n + j]}, expected {bits - 2 * differing}");
                }
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(KernelPaths.Every), MemberType = typeof(KernelPaths))]
    public void LargeProblemSplitAcrossThreadsEqualsOneDotAtATime(KernelPath path)
    {
        KernelPaths.SkipUnsupported(path);
        // Large enough to be split over four threads.
        var random = new Random(22);
        const int m = 37, n = 301, bits = 4096 + 17;
        var words = BitPacking.WordsFor(bits);
        var pa = new ulong[m * words];
        var pb = new ulong[n * words];
        BitPacking.PackRows(BinaryReference.RandomFloats(random, m * bits), m, bits, pa);
        BitPacking.PackRows(BinaryReference.RandomFloats(random, n * bits), n, bits, pb);
        var actual = new int[m * n];
        using (KernelDispatch.Use(path))
        using (KernelParallelism.Use(4))
            BinaryGemm.Multiply(pa, m, pb, n, bits, actual);
        using (KernelDispatch.Use(KernelPath.Scalar))
            for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
                Assert.Equal(BinaryDot.Dot(pa.AsSpan(i * words, words), pb.AsSpan(j * words, words), bits), actual[i * n + j]);
    }

    [SkippableTheory]
    [MemberData(nameof(KernelPaths.Every), MemberType = typeof(KernelPaths))]
    public void AllDifferingBitsGiveMinusKWithoutOverflow(KernelPath path)
    {
        KernelPaths.SkipUnsupported(path);
        const int bits = (1 << 16) * 3 + 129;
        var words = BitPacking.WordsFor(bits);
        var a = new ulong[2 * words];
        var b = new ulong[3 * words];
        for (var r = 0; r < 2; r++)
        {
            a.AsSpan(r * words, words).Fill(ulong.MaxValue);
            a[r * words + words - 1] = (1UL << (bits % 64)) - 1;
        }
        var c = new int[6];
        using (KernelDispatch.Use(path))
            BinaryGemm.Multiply(a, 2, b, 3, bits, c);
        Assert.All(c, v => Assert.Equal(-bits, v));
    }

    [Fact]
    public void PaddedRowsUseTheGivenBitCount()
    {
        // Two words per row but only 70 real bits: equal rows give +70.
        var a = new ulong[] { 0x0F, 0x3 };
        var c = new int[1];
        BinaryGemm.Multiply(a, 1, a, 1, 2, 70, c);
        Assert.Equal(70, c[0]);
    }

    [Fact]
    public void BadShapesAreRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => BinaryGemm.Multiply(new ulong[3], 2, new ulong[6], 3, 128, new int[6]));
        Assert.Equal("a", error.ParamName);
        Assert.Contains("m=2, words=2", error.Message);
        error = Assert.Throws<ArgumentException>(() => BinaryGemm.Multiply(new ulong[4], 2, new ulong[6], 3, 65, new int[5]));
        Assert.Equal("c", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>("bits", () => BinaryGemm.Multiply(new ulong[2], 1, new ulong[2], 1, 2, 129, new int[1]));
        Assert.Throws<ArgumentOutOfRangeException>("m", () => BinaryGemm.Multiply(new ulong[2], 0, new ulong[2], 1, 64, new int[1]));
    }
}

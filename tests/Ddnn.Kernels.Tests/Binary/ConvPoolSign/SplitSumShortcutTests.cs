using Ddnn.Kernels.Binary;

namespace Ddnn.Kernels.Tests.Binary;

/// <summary>
/// The split-sum shortcut of <see cref="PreparedFloatBlock"/> (shared window sums plus minority taps, trusted only
/// outside a proven error margin): on every path its bits must equal the exact-order block
/// (<see cref="EbnnBlock"/>'s FloatConvPoolSign, which never takes the shortcut) for generic float inputs, where the
/// two summation orders really do round differently, and it must hand cells that sit on their bound back to the exact
/// order instead of guessing.
/// </summary>
public class SplitSumShortcutTests
{
    /// <summary>(Cin, H, W, Cout, pool k, s, p): the device shape, widths around 4/8/16-lane vectors and the 64-bit row mask.</summary>
    public static TheoryData<int, int, int, int, int, int, int> Shapes() => new()
    {
        { 1, 16, 16, 4, 3, 2, 1 },
        { 1, 16, 16, 16, 3, 2, 1 },
        { 1, 5, 4, 3, 3, 2, 1 },
        { 1, 7, 9, 5, 2, 2, 0 },
        { 2, 6, 13, 7, 3, 1, 1 },
        { 3, 4, 17, 4, 3, 2, 1 },
        { 1, 3, 31, 9, 2, 2, 0 },
        { 2, 5, 62, 2, 3, 2, 1 },
        { 1, 8, 3, 1, 3, 2, 1 },
        { 2, 6, 16, 5, 3, 2, 1 },
        { 1, 7, 24, 4, 3, 2, 1 },
        { 1, 9, 32, 4, 3, 2, 1 },
        { 1, 6, 48, 5, 3, 2, 1 },
        { 1, 5, 40, 4, 3, 2, 1 },
        { 2, 6, 20, 4, 3, 1, 1 },
        { 1, 13, 16, 6, 3, 2, 1 },
        { 2, 21, 16, 3, 3, 1, 1 },
        { 1, 9, 64, 4, 2, 2, 0 },
        { 1, 10, 63, 5, 3, 1, 0 },
        { 2, 12, 16, 4, 2, 2, 0 },
        { 1, 11, 16, 3, 3, 2, 1 },
        { 1, 6, 33, 4, 3, 2, 1 },
    };

    /// <summary>Each shape on every kernel path: the fused preparation on 8- and 16-lane rows (16, 24, 32, 40, 48), rows of 16 in steps of eight, four and one.</summary>
    public static IEnumerable<object[]> ShapesOnEveryPath() => KernelPathCases.OnEveryPath(Shapes());

    /// <summary>(kernel, padding): no padding (the input itself is the padded image), wider and narrower kernels.</summary>
    public static IEnumerable<object[]> KernelsAndPaddingsOnEveryPath() =>
        KernelPathCases.OnEveryPath(new[] { (3, 0), (5, 2), (1, 0), (2, 1) }.Select(c => new object[] { c.Item1, c.Item2 }));

    /// <summary>Rows of 12 (padded, then summed) and of whole 8- and 16-lane vectors (padded, measured and summed in one pass).</summary>
    public static IEnumerable<object[]> PreparationWidthsOnEveryPath() =>
        KernelPathCases.OnEveryPath(new[] { 12, 16, 32 }.Select(w => new object[] { w }));

    [SkippableTheory]
    [MemberData(nameof(ShapesOnEveryPath))]
    public void GenericFloatInputsGiveTheExactOrderBitsOnEveryPath(int cin, int h, int w, int cout, int k, int s, int p, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var random = new Random(cin * 1000 + h * 100 + w * 7 + cout);
        var (conv, pool, weights, bias, thresholds) = RandomBlock(random, 3, cin, h, w, cout, k, s, p);
        var block = EbnnBlock.PrepareFloat(weights, bias, thresholds, conv, pool);
        Assert.True(block.UsesSplitSums);
        var units = conv.Batch * ((cout + 3) / 4);
        var shortcutUnits = 0;
        for (var trial = 0; trial < 20; trial++)
        {
            var input = BinaryReference.RandomFloats(random, conv.InputLength, 1 + trial);
            var scalar = AssertSameAsExactOrder(block, input, weights, bias, thresholds, conv, pool, KernelPath.Scalar, $"trial {trial}");
            var recomputed = AssertSameAsExactOrder(block, input, weights, bias, thresholds, conv, pool, path, $"trial {trial}");
            // Every path computes the same values, so the margin test recomputes the same groups.
            Assert.Equal(scalar, recomputed);
            shortcutUnits += units - (int)recomputed;
        }
        // The comparison above cannot pass by always falling back: most units must have been decided by the shortcut.
        Assert.True(shortcutUnits > 20 * units / 2, $"the shortcut decided only {shortcutUnits} of {20 * units} units");
    }

    [SkippableTheory]
    [MemberData(nameof(KernelsAndPaddingsOnEveryPath))]
    public void OtherKernelsAndPaddingsGiveTheExactOrderBitsOnEveryPath(int kernel, int padding, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var random = new Random(kernel * 10 + padding);
        var (conv, pool, weights, bias, thresholds) = RandomBlock(random, 2, 2, 9, 16, 6, 2, 2, 0, kernel, padding);
        var block = EbnnBlock.PrepareFloat(weights, bias, thresholds, conv, pool);
        Assert.True(block.UsesSplitSums);
        for (var trial = 0; trial < 5; trial++)
        {
            var input = BinaryReference.RandomFloats(random, conv.InputLength, 2);
            if (trial == 4) input[3] = float.NaN;
            var scalar = AssertSameAsExactOrder(block, input, weights, bias, thresholds, conv, pool, KernelPath.Scalar, $"k{kernel} p{padding} trial {trial}");
            var recomputed = AssertSameAsExactOrder(block, input, weights, bias, thresholds, conv, pool, path, $"k{kernel} p{padding} trial {trial}");
            Assert.Equal(scalar, recomputed);
            if (trial == 4) Assert.True(recomputed >= 2, "a NaN input sends its image's groups to the exact order");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(KernelPaths.Every), MemberType = typeof(KernelPaths))]
    public void CellsOnTheirBoundAreRecomputedInTheExactOrder(KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var random = new Random(11);
        var (conv, pool, weights, bias, _) = RandomBlock(random, 1, 1, 16, 16, 4, 3, 2, 1);
        var input = BinaryReference.RandomFloats(random, conv.InputLength);
        var values = new float[conv.OutputLength];
        EbnnBlock.FloatBinaryConv(input, weights, bias, conv, values, new float[EbnnBlock.FloatBinaryConvScratchLength(conv)]);
        for (var trial = 0; trial < 12; trial++)
        {
            // Each channel's bound is one of its own exact-order outputs, or the float next to it: the shortcut cannot
            // tell those apart from the real value and must not guess.
            var thresholds = new FloatSignThreshold[conv.OutChannels];
            for (var c = 0; c < thresholds.Length; c++)
            {
                var v = values[c * conv.OutHeight * conv.OutWidth + random.Next(conv.OutHeight * conv.OutWidth)];
                var bound = (trial % 3) switch { 0 => v, 1 => MathF.BitIncrement(v), _ => MathF.BitDecrement(v) };
                thresholds[c] = new FloatSignThreshold(bound, random.Next(2) == 0);
            }
            var block = EbnnBlock.PrepareFloat(weights, bias, thresholds, conv, pool);
            var recomputed = AssertSameAsExactOrder(block, input, weights, bias, thresholds, conv, pool, path, $"trial {trial}");
            Assert.Equal(1, recomputed);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(PreparationWidthsOnEveryPath))]
    public void NonFiniteAndHugeInputsNeverTakeTheShortcut(int width, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var random = new Random(12);
        var (conv, pool, weights, bias, thresholds) = RandomBlock(random, 2, 1, 9, width, 6, 3, 2, 1);
        var block = EbnnBlock.PrepareFloat(weights, bias, thresholds, conv, pool);
        foreach (var special in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 3e30f, -1e38f })
        {
            var input = BinaryReference.RandomFloats(random, conv.InputLength);
            input[random.Next(input.Length / 2)] = special; // image 0 only
            var recomputed = AssertSameAsExactOrder(block, input, weights, bias, thresholds, conv, pool, path, $"input {special}");
            Assert.Equal(2, recomputed); // both groups of image 0, none of image 1
        }
    }

    [SkippableTheory]
    [MemberData(nameof(KernelPaths.Every), MemberType = typeof(KernelPaths))]
    public void GroupsWithTwoSidedOrInfiniteTestsKeepTheExactOrder(KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var random = new Random(13);
        var (conv, pool, weights, bias, thresholds) = RandomBlock(random, 1, 1, 8, 8, 8, 3, 2, 1);
        thresholds[1] = new FloatSignThreshold(float.NegativeInfinity, false); // fires for every non-NaN value
        var block = EbnnBlock.PrepareFloat(weights, bias, thresholds, conv, pool);
        Assert.True(block.UsesSplitSums); // the second group still can
        var input = BinaryReference.RandomFloats(random, conv.InputLength);
        AssertSameAsExactOrder(block, input, weights, bias, thresholds, conv, pool, path, "first group ineligible");

        thresholds[5] = new FloatSignThreshold(float.NaN, false);
        Assert.False(EbnnBlock.PrepareFloat(weights, bias, thresholds, conv, pool).UsesSplitSums);
        var strided = new BinaryConvGeometry(1, 1, 8, 8, 8, 3, 3, 2, 1);
        var fresh = RandomBlock(random, 1, 1, 8, 8, 8, 3, 2, 1);
        Assert.False(EbnnBlock.PrepareFloat(fresh.Weights, fresh.Bias, fresh.Thresholds, strided, pool).UsesSplitSums);
    }

    [SkippableTheory]
    [MemberData(nameof(KernelPaths.Every), MemberType = typeof(KernelPaths))]
    public void RandomShapesGiveTheExactOrderBitsOnEveryPath(KernelPath path)
    {
        KernelPaths.SkipUnsupported(path);
        var random = new Random(2026);
        (int K, int S, int P)[] pools = [(2, 2, 0), (3, 2, 1), (3, 1, 1), (2, 1, 0), (1, 1, 0)];
        for (var shape = 0; shape < 60; shape++)
        {
            int cin = random.Next(1, 4), h = random.Next(1, 21), w = random.Next(1, 63), cout = random.Next(1, 10);
            var (k, s, p) = pools[random.Next(pools.Length)];
            if (w + 2 * p < k || h + 2 * p < k) continue;
            var (conv, pool, weights, bias, thresholds) = RandomBlock(random, 2, cin, h, w, cout, k, s, p);
            var block = EbnnBlock.PrepareFloat(weights, bias, thresholds, conv, pool);
            var input = BinaryReference.RandomFloats(random, conv.InputLength, 2f);
            var scalar = AssertSameAsExactOrder(block, input, weights, bias, thresholds, conv, pool, KernelPath.Scalar, $"shape {shape}");
            var recomputed = AssertSameAsExactOrder(block, input, weights, bias, thresholds, conv, pool, path, $"shape {shape}");
            Assert.Equal(scalar, recomputed);
        }
    }

    private static (BinaryConvGeometry Conv, PoolGeometry Pool, FloatBinaryConvWeights Weights, float[] Bias, FloatSignThreshold[] Thresholds)
        RandomBlock(Random random, int batch, int cin, int h, int w, int cout, int k, int s, int p, int kernel = 3, int padding = 1)
    {
        var conv = new BinaryConvGeometry(batch, cin, h, w, cout, kernel, kernel, 1, padding);
        var pool = new PoolGeometry(k, s, p);
        var taps = cin * kernel * kernel;
        var latent = BinaryReference.RandomFloats(random, cout * taps);
        // Some channels all +1 or all −1: empty minorities on both sides.
        for (var t = 0; t < taps && cout > 2; t++) (latent[t], latent[taps + t]) = (1f, -1f);
        var packed = new ulong[conv.PackedWeightsLength];
        BitPacking.PackConvWeights(latent, cout, cin, kernel, kernel, packed);
        var bias = BinaryReference.RandomFloats(random, cout, 0.5f);
        var thresholds = new FloatSignThreshold[cout];
        for (var c = 0; c < cout; c++) thresholds[c] = new FloatSignThreshold((float)(random.NextDouble() * 3 - 1.5), random.Next(2) == 0);
        return (conv, pool, new FloatBinaryConvWeights(packed, cout, cin, kernel, kernel), bias, thresholds);
    }

    /// <summary>Runs the block on <paramref name="path"/>, asserts its bits equal the exact-order block's, returns the recomputed units.</summary>
    private static long AssertSameAsExactOrder(PreparedFloatBlock block, float[] input, FloatBinaryConvWeights weights, float[] bias,
        FloatSignThreshold[] thresholds, BinaryConvGeometry conv, PoolGeometry pool, KernelPath path, string what)
    {
        var scratch = new float[block.ScratchLength];
        var expected = new ulong[block.OutputLength];
        var actual = new ulong[block.OutputLength];
        Array.Fill(actual, ulong.MaxValue); // every word must be written
        FloatBlockStats stats;
        using (KernelDispatch.Use(path))
        {
            EbnnBlock.FloatConvPoolSign(input, weights, bias, conv, pool, thresholds, expected, scratch);
            stats = block.Run(input, actual, scratch);
        }
        Assert.True(expected.AsSpan().SequenceEqual(actual), $"{what}: split sums differ from the exact order on {path} ({conv})");
        Assert.InRange(stats.SplitSumGroupsRecomputed, 0, stats.SplitSumGroupsTried);
        return stats.SplitSumGroupsRecomputed;
    }
}

using System.Runtime.Intrinsics.X86;
using Ddnn.Kernels.Binary;

namespace Ddnn.Kernels.Tests.Binary;

/// <summary>
/// <see cref="PreparedFloatBlock"/> and the register path it shares with the fused float block: channel groups whose
/// tests are all one-sided are thresholded straight from the conv sums, which must give the window-max test and the
/// scalar twin's bits on every path, NaN and infinite inputs included.
/// </summary>
public class PreparedFloatBlockTests
{
    private static readonly FloatSignThreshold[] OneSidedKinds =
    [
        new(0.5f, false), new(-0.5f, true), new(float.NegativeInfinity, false), new(float.NaN, false),
        new(float.PositiveInfinity, true), new(0f, true), new(-0f, false), new(float.PositiveInfinity, false),
        new(float.NegativeInfinity, true),
    ];

    /// <summary>(W, Cout): row widths around the 4-, 8- and 16-lane vectors and up to the 64-bit row mask, channel counts cycling.</summary>
    public static TheoryData<int, int> Shapes()
    {
        var data = new TheoryData<int, int>();
        int[] widths = [2, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 48, 62];
        int[] outChannels = [1, 2, 3, 4, 5, 7, 8, 9, 13];
        for (var i = 0; i < widths.Length; i++) data.Add(widths[i], outChannels[i % outChannels.Length]);
        return data;
    }

    /// <summary>Each shape on every kernel path.</summary>
    public static IEnumerable<object[]> ShapesOnEveryPath() => KernelPathCases.OnEveryPath(Shapes());

    [SkippableTheory]
    [MemberData(nameof(ShapesOnEveryPath))]
    public void OneSidedGroupsGiveTheWindowMaxTestAndTheScalarTwinOnEveryPath(int w, int cout, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        foreach (var (k, s, p) in new[] { (3, 2, 1), (3, 1, 1), (2, 2, 0) })
        {
            if (w + 2 * p < k) continue;
            const int batch = 2;
            var conv = new BinaryConvGeometry(batch, 2, 5, w, cout, 3, 3, 1, 1);
            var pool = new PoolGeometry(k, s, p);
            var random = new Random(w * 31 + cout * 7 + k + s + p);
            var input = BinaryReference.RandomDyadic(random, conv.InputLength);
            for (var i = random.Next(5); i < input.Length; i += 17 + random.Next(30))
                input[i] = random.Next(3) switch { 0 => float.NaN, 1 => float.PositiveInfinity, _ => float.NegativeInfinity };
            var latent = BinaryReference.RandomFloats(random, cout * 2 * 9);
            var bias = BinaryReference.RandomDyadic(random, cout);
            var thresholds = new FloatSignThreshold[cout];
            for (var c = 0; c < cout; c++)
                thresholds[c] = random.Next(3) == 0
                    ? OneSidedKinds[random.Next(OneSidedKinds.Length)]
                    : new((float)(random.NextDouble() * 4 - 2), random.Next(2) == 0);
            var pre = BinaryReference.Conv(input, latent.Select(BinaryReference.Sign).ToArray(), bias, conv);
            var pooled = BinaryReference.MaxPool(pre, batch, cout, conv.OutHeight, conv.OutWidth, pool, out var hp, out var wp);
            var expected = new float[pooled.Length];
            for (var n = 0; n < batch; n++)
            for (var c = 0; c < cout; c++)
            for (var i = 0; i < hp * wp; i++)
            {
                var at = (n * cout + c) * hp * wp + i;
                expected[at] = thresholds[c].Fires(pooled[at]) ? 1f : -1f;
            }

            var packed = new ulong[conv.PackedWeightsLength];
            BitPacking.PackConvWeights(latent, cout, 2, 3, 3, packed);
            var weights = new FloatBinaryConvWeights(packed, cout, 2, 3, 3);
            var block = EbnnBlock.PrepareFloat(weights, bias, thresholds, conv, pool);
            var scratch = new float[block.ScratchLength];
            var scalar = new ulong[block.OutputLength];
            using (KernelDispatch.Use(KernelPath.Scalar))
                block.Run(input, scalar, scratch);
            var what = $"width {w}, Cout {cout}, pool {pool}";
            AssertSigns(expected, scalar, batch, cout, hp, wp, $"{what}, scalar twin");
            var output = new ulong[scalar.Length];
            Array.Fill(output, ulong.MaxValue); // every word must be written
            block.Run(input, output, scratch);
            Assert.True(scalar.AsSpan().SequenceEqual(output), $"{what}, prepared block on {path}");
            Array.Fill(output, ulong.MaxValue);
            EbnnBlock.FloatConvPoolSign(input, weights, bias, conv, pool, thresholds, output, scratch);
            Assert.True(scalar.AsSpan().SequenceEqual(output), $"{what}, FloatConvPoolSign on {path}");
        }
    }

    /// <summary>(batch, H, W, Cout, pool k): the 4-channel device map whose pooling writes the tight bits itself, and others.</summary>
    public static TheoryData<int, int, int, int, int> TightShapes() => new()
    {
        { 1, 16, 16, 4, 3 }, { 2, 16, 16, 4, 3 }, { 1, 16, 16, 3, 3 }, { 2, 16, 16, 16, 3 }, { 1, 9, 13, 4, 2 }, { 1, 16, 16, 4, 2 },
        { 2, 8, 32, 4, 3 },
    };

    /// <summary>Each tight shape on every kernel path.</summary>
    public static IEnumerable<object[]> TightShapesOnEveryPath() => KernelPathCases.OnEveryPath(TightShapes());

    [SkippableTheory]
    [MemberData(nameof(TightShapesOnEveryPath))]
    public void TheTightOutputIsTheTightPackingOfTheOutputOnEveryPath(int batch, int h, int w, int cout, int k, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var conv = new BinaryConvGeometry(batch, 1, h, w, cout, 3, 3, 1, 1);
        var pool = new PoolGeometry(k, 2, k == 3 ? 1 : 0);
        var random = new Random(batch * 100 + h * 10 + cout + k);
        var packed = new ulong[conv.PackedWeightsLength];
        BitPacking.PackConvWeights(BinaryReference.RandomFloats(random, cout * 9), cout, 1, 3, 3, packed);
        var weights = new FloatBinaryConvWeights(packed, cout, 1, 3, 3);
        var bias = BinaryReference.RandomFloats(random, cout, 0.25f);
        var thresholds = new FloatSignThreshold[cout];
        for (var c = 0; c < cout; c++) thresholds[c] = new((float)(random.NextDouble() * 2 - 1), random.Next(2) == 0);
        var block = EbnnBlock.PrepareFloat(weights, bias, thresholds, conv, pool);
        var input = BinaryReference.RandomFloats(random, conv.InputLength);
        input[^1] = float.NaN; // the last image goes the exact way, whose pooling does not write tight bits
        var pixels = pool.OutputSize(conv.OutHeight) * pool.OutputSize(conv.OutWidth);
        var tightWords = TightPacking.Words(pixels, cout);
        Assert.Equal(batch * tightWords, block.TightLength);
        var output = new ulong[block.OutputLength];
        var tight = Enumerable.Repeat(ulong.MaxValue, block.TightLength).ToArray(); // every word must be written
        var stats = block.Run(input, output, new float[block.ScratchLength], tight);
        // Pooling writes the tight map itself only on the 4-channel, 8-column device map with pext/pdep, for the
        // images the shortcut decided (one group per image); never for the NaN image.
        var deviceMap = path != KernelPath.Scalar && Bmi2.X64.IsSupported && Avx2.IsSupported && cout == 4
            && pool.OutputSize(conv.OutWidth) == 8 && pool.OutputSize(conv.OutHeight) % 2 == 0;
        Assert.Equal(deviceMap ? batch - stats.SplitSumGroupsRecomputed : 0, stats.TightMapsFromPooling);
        Assert.InRange(stats.TightMapsFromPooling, 0, batch - 1);
        var wordsPerImage = block.OutputLength / batch;
        for (var n = 0; n < batch; n++)
        {
            var expected = new ulong[tightWords];
            TightPacking.Tighten(output.AsSpan(n * wordsPerImage, wordsPerImage), pixels, cout, expected);
            Assert.True(expected.AsSpan().SequenceEqual(tight.AsSpan(n * tightWords, tightWords)), $"image {n} on {path}");
        }
        Assert.Throws<ArgumentException>("tight", () =>
            block.Run(input, new ulong[block.OutputLength], new float[block.ScratchLength], new ulong[block.TightLength + 1]));
    }

    [SkippableTheory]
    [MemberData(nameof(KernelPaths.Every), MemberType = typeof(KernelPaths))]
    public void AnyScratchAlignmentGivesTheSameBitsAndStaysInsideTheScratch(KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        // The block lays its regions out from the scratch's first cache-line boundary: wherever the span starts, the
        // bits are the same and nothing is written past its end.
        var conv = new BinaryConvGeometry(2, 1, 16, 16, 4, 3, 3, 1, 1);
        var pool = new PoolGeometry(3, 2, 1);
        var random = new Random(21);
        var packed = new ulong[conv.PackedWeightsLength];
        BitPacking.PackConvWeights(BinaryReference.RandomFloats(random, 4 * 9), 4, 1, 3, 3, packed);
        var weights = new FloatBinaryConvWeights(packed, 4, 1, 3, 3);
        var bias = BinaryReference.RandomFloats(random, 4, 0.25f);
        FloatSignThreshold[] thresholds = [new(0.3f, false), new(-0.2f, true), new(0.1f, false), new(0f, true)];
        var block = EbnnBlock.PrepareFloat(weights, bias, thresholds, conv, pool);
        var input = BinaryReference.RandomFloats(random, conv.InputLength);
        ulong[]? first = null;
        for (var offset = 0; offset < 16; offset++)
        {
            var memory = new float[offset + block.ScratchLength + 16];
            memory.AsSpan(offset + block.ScratchLength).Fill(float.NaN);
            var output = new ulong[block.OutputLength];
            block.Run(input, output, memory.AsSpan(offset, block.ScratchLength));
            first ??= output;
            Assert.Equal(first, output);
            Assert.All(memory[(offset + block.ScratchLength)..], guard => Assert.True(float.IsNaN(guard), $"write past the scratch (offset {offset}, {path})"));
        }
    }

    [Fact]
    public void TheBlockKeepsItsOwnCopiesOfBiasAndThresholds()
    {
        var conv = new BinaryConvGeometry(1, 1, 4, 8, 2, 3, 3, 1, 1);
        var pool = new PoolGeometry(3, 2, 1);
        var random = new Random(5);
        var input = BinaryReference.RandomDyadic(random, conv.InputLength);
        var packed = new ulong[conv.PackedWeightsLength];
        BitPacking.PackConvWeights(BinaryReference.RandomFloats(random, 2 * 9), 2, 1, 3, 3, packed);
        var weights = new FloatBinaryConvWeights(packed, 2, 1, 3, 3);
        float[] bias = [0.25f, -0.5f];
        FloatSignThreshold[] thresholds = [new(0f, false), new(0.5f, true)];
        var block = EbnnBlock.PrepareFloat(weights, bias, thresholds, conv, pool);
        var expected = new ulong[block.OutputLength];
        EbnnBlock.FloatConvPoolSign(input, weights, bias, conv, pool, thresholds, expected, new float[block.ScratchLength]);
        bias[0] = 100f;
        thresholds[1] = new(float.NaN, false);
        var output = new ulong[block.OutputLength];
        block.Run(input, output, new float[block.ScratchLength]);
        Assert.Equal(expected, output);
    }

    [Fact]
    public void BadArgumentsAreRejectedWithClearMessages()
    {
        var conv = new BinaryConvGeometry(1, 3, 4, 5, 2, 3, 3, 1, 1);
        var pool = new PoolGeometry(3, 2, 1);
        var weights = new FloatBinaryConvWeights(new ulong[conv.PackedWeightsLength], 2, 3, 3, 3);
        var thresholds = new FloatSignThreshold[2];
        var bias = new float[2];

        Assert.Throws<ArgumentNullException>("weights", () => EbnnBlock.PrepareFloat(null!, bias, thresholds, conv, pool));
        var other = new FloatBinaryConvWeights(new ulong[3 * 9], 3, 3, 3, 3);
        var error = Assert.Throws<ArgumentException>(() => EbnnBlock.PrepareFloat(other, bias, thresholds, conv, pool));
        Assert.Equal("weights", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => EbnnBlock.PrepareFloat(weights, new float[3], thresholds, conv, pool));
        Assert.Equal("bias", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => EbnnBlock.PrepareFloat(weights, bias, new FloatSignThreshold[1], conv, pool));
        Assert.Equal("thresholds", error.ParamName);
        Assert.Contains("2 output channels", error.Message);
        Assert.Throws<ArgumentException>("pool", () => EbnnBlock.PrepareFloat(weights, bias, thresholds, conv, default));
        Assert.Throws<ArgumentException>("geometry", () => EbnnBlock.PrepareFloat(weights, bias, thresholds, default, pool));

        var block = EbnnBlock.PrepareFloat(weights, bias, thresholds, conv, pool);
        Assert.Equal(EbnnBlock.OutputLength(conv, pool), block.OutputLength);
        Assert.Equal(EbnnBlock.FloatScratchLength(conv, pool), block.ScratchLength);
        Assert.Equal(conv.InputLength, block.InputLength);
        var input = new float[block.InputLength];
        var output = new ulong[block.OutputLength];
        var scratch = new float[block.ScratchLength];
        error = Assert.Throws<ArgumentException>(() => block.Run(new float[block.InputLength - 1], output, scratch));
        Assert.Equal("input", error.ParamName);
        Assert.Contains($"expected {block.InputLength}", error.Message);
        error = Assert.Throws<ArgumentException>(() => block.Run(input, new ulong[block.OutputLength + 1], scratch));
        Assert.Equal("output", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => block.Run(input, output, new float[block.ScratchLength - 1]));
        Assert.Equal("scratch", error.ParamName);
        Assert.Contains($"needs at least {block.ScratchLength}", error.Message);
    }

    private static void AssertSigns(float[] expected, ulong[] packed, int batch, int channels, int hp, int wp, string what)
    {
        var actual = new float[expected.Length];
        BitPacking.UnpackToNchw(packed, batch, channels, hp, wp, actual);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(expected[i] == actual[i], $"{what}: sign[{i}] = {actual[i]}, float pipeline gives {expected[i]}");
    }
}

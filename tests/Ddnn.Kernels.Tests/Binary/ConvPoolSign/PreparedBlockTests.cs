using Ddnn.Kernels.Binary;

namespace Ddnn.Kernels.Tests.Binary;

/// <summary>
/// The prepared-weight, caller-scratch overloads (<see cref="FloatBinaryConvWeights"/>, fused float block, prepared binary
/// block) on odd widths, padding 0/1, stride 1/2 and several channel counts: every kernel path against the scalar twin,
/// the span overloads and the float reference on the same ±1 values.
/// </summary>
public class PreparedBlockTests
{
    private static readonly int[] Widths = [1, 3, 5, 7, 9, 15, 16, 17, 28, 33, 48, 70];

    /// <summary>(W, padding, stride, Cin, Cout): every width with every (padding, stride) pair, channel counts cycling.</summary>
    public static TheoryData<int, int, int, int, int> ConvShapes()
    {
        var data = new TheoryData<int, int, int, int, int>();
        int[] inChannels = [1, 2, 3, 5], outChannels = [1, 3, 4, 5, 8];
        var i = 0;
        foreach (var w in Widths)
        foreach (var (pad, stride) in new[] { (0, 1), (1, 1), (1, 2), (0, 2) })
        {
            data.Add(w, pad, stride, inChannels[i % inChannels.Length], outChannels[i % outChannels.Length]);
            i++;
        }
        return data;
    }

    /// <summary>(W, Cout, pool kernel, pool stride, pool padding): device pool k3 s2 p1, cloud pool k3 s1 p1, k2 s2 p0.</summary>
    public static TheoryData<int, int, int, int, int> BlockShapes()
    {
        var data = new TheoryData<int, int, int, int, int>();
        int[] outChannels = [1, 4, 5, 7, 9];
        var i = 0;
        foreach (var w in Widths)
        foreach (var (k, s, p) in new[] { (3, 2, 1), (3, 1, 1), (2, 2, 0) })
        {
            if (w + 2 * p < k) continue;
            data.Add(w, outChannels[i % outChannels.Length], k, s, p);
            i++;
        }
        return data;
    }

    /// <summary>Each conv shape on every kernel path.</summary>
    public static IEnumerable<object[]> ConvShapesOnEveryPath() => KernelPathCases.OnEveryPath(ConvShapes());

    /// <summary>Each block shape on every kernel path.</summary>
    public static IEnumerable<object[]> BlockShapesOnEveryPath() => KernelPathCases.OnEveryPath(BlockShapes());

    /// <summary>Each group shape on every kernel path.</summary>
    public static IEnumerable<object[]> GroupShapesOnEveryPath() => KernelPathCases.OnEveryPath(GroupShapes());

    /// <summary>Rows of a 16-lane vector and a tail, and wider than a 64-bit row mask, on every kernel path.</summary>
    public static IEnumerable<object[]> WideRowsOnEveryPath() => KernelPathCases.OnEveryPath(new[] { 17, 70 }.Select(w => new object[] { w }));

    [SkippableTheory]
    [MemberData(nameof(ConvShapesOnEveryPath))]
    public void PreparedFloatBinaryConvEqualsTheFloatConvAndTheScalarTwinOnEveryPath(int w, int pad, int stride, int c, int cout, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var k = w + 2 * pad >= 3 ? 3 : 1;
        if (k == 1) pad = 0;
        var g = new BinaryConvGeometry(2, c, 6, w, cout, k, k, stride, pad);
        var random = new Random(w * 101 + pad * 11 + stride * 7 + c * 3 + cout);
        var latent = BinaryReference.RandomFloats(random, cout * c * k * k);
        var signs = latent.Select(BinaryReference.Sign).ToArray();
        var packed = new ulong[g.PackedWeightsLength];
        BitPacking.PackConvWeights(latent, cout, c, k, k, packed);
        var prepared = new FloatBinaryConvWeights(packed, cout, c, k, k);
        var bias = BinaryReference.RandomFloats(random, cout);
        var scratch = new float[EbnnBlock.FloatBinaryConvScratchLength(g)];

        foreach (var input in new[] { BinaryReference.RandomDyadic(random, g.InputLength), BinaryReference.RandomFloats(random, g.InputLength, 3f) })
        {
            var expected = BinaryReference.Conv(input, signs, bias, g);
            var scalar = new float[g.OutputLength];
            using (KernelDispatch.Use(KernelPath.Scalar))
                EbnnBlock.FloatBinaryConv(input, prepared, bias, g, scalar, scratch);
            AssertSame(expected, scalar, $"{g}, scalar twin vs float conv");
            var output = new float[g.OutputLength];
            var unprepared = new float[g.OutputLength];
            EbnnBlock.FloatBinaryConv(input, prepared, bias, g, output, scratch);
            EbnnBlock.FloatBinaryConv(input, packed, bias, g, unprepared);
            AssertSame(scalar, output, $"{g}, path {path} (prepared) vs scalar twin");
            AssertSame(scalar, unprepared, $"{g}, path {path} (span weights) vs scalar twin");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(BlockShapesOnEveryPath))]
    public void PreparedFloatBlockEqualsTheFloatPipelineOnEveryPath(int w, int cout, int pk, int ps, int pp, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        foreach (var c in new[] { 1, 3 })
        {
            var conv = new BinaryConvGeometry(2, c, 5, w, cout, 3, 3, 1, 1);
            var pool = new PoolGeometry(pk, ps, pp);
            var random = new Random(w * 31 + cout * 7 + pk + ps + c);
            var input = BinaryReference.RandomFloats(random, conv.InputLength);
            var latent = BinaryReference.RandomFloats(random, cout * c * 9);
            var bias = BinaryReference.RandomFloats(random, cout);
            var thresholds = BinaryReference.RandomFloatThresholds(random, cout, 2 * MathF.Sqrt(c));
            var pre = BinaryReference.Conv(input, latent.Select(BinaryReference.Sign).ToArray(), bias, conv);
            var pooled = BinaryReference.MaxPool(pre, conv.Batch, cout, conv.OutHeight, conv.OutWidth, pool, out var hp, out var wp);
            var expected = BinaryReference.ThresholdSigns(pooled, cout, hp * wp, (ch, x) => thresholds[ch].Fires(x));

            var packed = new ulong[conv.PackedWeightsLength];
            BitPacking.PackConvWeights(latent, cout, c, 3, 3, packed);
            var prepared = new FloatBinaryConvWeights(packed, cout, c, 3, 3);
            var scratch = new float[EbnnBlock.FloatScratchLength(conv, pool)];
            var output = new ulong[EbnnBlock.OutputLength(conv, pool)];
            var unprepared = new ulong[output.Length];
            EbnnBlock.FloatConvPoolSign(input, prepared, bias, conv, pool, thresholds, output, scratch);
            EbnnBlock.FloatConvPoolSign(input, packed, bias, conv, pool, thresholds, unprepared);
            AssertSigns(expected, output, conv.Batch, cout, hp, wp, $"float block {conv}, pool {pool}, path {path}");
            Assert.Equal(output, unprepared);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(BlockShapesOnEveryPath))]
    public void PreparedBinaryBlockEqualsTheFloatPipelineOnEveryPath(int w, int cout, int pk, int ps, int pp, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        foreach (var c in new[] { 5, 24, 70 })
        {
            var conv = new BinaryConvGeometry(2, c, 4, w, cout, 3, 3, 1, 1);
            var pool = new PoolGeometry(pk, ps, pp);
            var random = new Random(w * 37 + cout * 5 + pk + ps + c);
            var input = BinaryReference.RandomSigns(random, conv.InputLength);
            var weights = BinaryReference.RandomSigns(random, cout * c * 9);
            var thresholds = BinaryReference.RandomThresholds(random, cout, 2 * MathF.Sqrt(9 * c));
            var pre = BinaryReference.Conv(input, weights, new float[cout], conv);
            var pooled = BinaryReference.MaxPool(pre, conv.Batch, cout, conv.OutHeight, conv.OutWidth, pool, out var hp, out var wp);
            var expected = BinaryReference.ThresholdSigns(pooled, cout, hp * wp, (ch, x) => thresholds[ch].Fires((int)x));

            var packedInput = new ulong[conv.PackedInputLength];
            var packed = new ulong[conv.PackedWeightsLength];
            BitPacking.PackNchw(input, conv.Batch, c, 4, w, packedInput);
            BitPacking.PackConvWeights(weights, cout, c, 3, 3, packed);
            var prepared = new BinaryConvWeights(packed, cout, c, 3, 3);
            var scratch = new ulong[EbnnBlock.BinaryScratchLength(conv, pool)];
            var output = new ulong[EbnnBlock.OutputLength(conv, pool)];
            var unprepared = new ulong[output.Length];
            EbnnBlock.BinaryConvPoolSign(packedInput, prepared, conv, pool, thresholds, output, scratch);
            EbnnBlock.BinaryConvPoolSign(packedInput, packed, conv, pool, thresholds, unprepared);
            AssertSigns(expected, output, conv.Batch, cout, hp, wp, $"binary block {conv}, pool {pool}, path {path}");
            Assert.Equal(output, unprepared);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(KernelPaths.Every), MemberType = typeof(KernelPaths))]
    public void NaNInputsGiveTheScalarTwinsBitsOnEveryPath(KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var conv = new BinaryConvGeometry(1, 2, 6, 17, 5, 3, 3, 1, 1);
        var pool = new PoolGeometry(3, 2, 1);
        var random = new Random(9);
        var input = BinaryReference.RandomFloats(random, conv.InputLength);
        for (var i = 5; i < input.Length; i += 61) input[i] = float.NaN;
        var packed = BinaryReference.RandomWords(random, conv.PackedWeightsLength);
        for (var i = 0; i < packed.Length; i++) packed[i] &= 3; // two input channels: only bits 0 and 1 may be set
        var prepared = new FloatBinaryConvWeights(packed, 5, 2, 3, 3);
        var bias = BinaryReference.RandomFloats(random, 5);
        var thresholds = Enumerable.Range(0, 5).Select(c => new FloatSignThreshold(0.25f * c - 0.5f, c % 2 == 1)).ToArray();
        var scratch = new float[EbnnBlock.FloatScratchLength(conv, pool)];
        var scalar = new ulong[EbnnBlock.OutputLength(conv, pool)];
        using (KernelDispatch.Use(KernelPath.Scalar))
            EbnnBlock.FloatConvPoolSign(input, prepared, bias, conv, pool, thresholds, scalar, scratch);
        Assert.Contains(scalar, word => word != 0);
        var output = new ulong[scalar.Length];
        EbnnBlock.FloatConvPoolSign(input, prepared, bias, conv, pool, thresholds, output, scratch);
        Assert.Equal(scalar, output);
    }

    [SkippableTheory]
    [MemberData(nameof(WideRowsOnEveryPath))]
    public void EveryKindOfThresholdPoolsLikeTheTestOfTheWindowMax(int w, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var conv = new BinaryConvGeometry(1, 2, 5, w, 8, 3, 3, 1, 1);
        var pool = new PoolGeometry(3, 2, 1);
        var random = new Random(w);
        var input = BinaryReference.RandomFloats(random, conv.InputLength);
        var latent = BinaryReference.RandomFloats(random, 8 * 2 * 9);
        var bias = BinaryReference.RandomFloats(random, 8);
        var pre = BinaryReference.Conv(input, latent.Select(BinaryReference.Sign).ToArray(), bias, conv);
        var pooled = BinaryReference.MaxPool(pre, 1, 8, conv.OutHeight, conv.OutWidth, pool, out var hp, out var wp);
        // One-sided (both directions), constant +1, never (NaN, with and without flip), and a +∞ flip.
        FloatSignThreshold[] thresholds =
        [
            new(0.5f, false), new(-0.5f, true), new(float.NegativeInfinity, false), new(float.NaN, false),
            new(float.NaN, true), new(float.PositiveInfinity, true), new(1.5f, false), new(-1f, true),
        ];
        var expected = new float[pooled.Length];
        for (var c = 0; c < 8; c++)
            for (var i = 0; i < hp * wp; i++)
                expected[c * hp * wp + i] = thresholds[c].Fires(pooled[c * hp * wp + i]) ? 1f : -1f;
        var packed = new ulong[conv.PackedWeightsLength];
        BitPacking.PackConvWeights(latent, 8, 2, 3, 3, packed);
        var prepared = new FloatBinaryConvWeights(packed, 8, 2, 3, 3);
        var scratch = new float[EbnnBlock.FloatScratchLength(conv, pool)];
        var output = new ulong[EbnnBlock.OutputLength(conv, pool)];
        EbnnBlock.FloatConvPoolSign(input, prepared, bias, conv, pool, thresholds, output, scratch);
        AssertSigns(expected, output, 1, 8, hp, wp, $"width {w}, path {path}");
    }

    /// <summary>(W, Cout): every width with channel counts cycling over 1..70 (channel groups full, partial, across words).</summary>
    public static TheoryData<int, int> GroupShapes()
    {
        var data = new TheoryData<int, int>();
        int[] outChannels = [1, 2, 3, 4, 5, 6, 7, 8, 13, 63, 64, 65, 70];
        var i = 0;
        foreach (var w in Widths)
        foreach (var _ in new[] { 0, 1 })
            data.Add(w, outChannels[i++ % outChannels.Length]);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(GroupShapesOnEveryPath))]
    public void ChannelGroupsPoolEveryThresholdKindWithNaNInputsLikeTheWindowMaxOnEveryPath(int w, int cout, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        FloatSignThreshold[] kinds =
        [
            new(0.5f, false), new(-0.5f, true), new(float.NegativeInfinity, false), new(float.NaN, false),
            new(float.NaN, true), new(float.PositiveInfinity, true), new(-1.5f, false), new(1f, true), new(0f, false),
        ];
        foreach (var (k, s, p) in new[] { (3, 2, 1), (3, 1, 1), (2, 2, 0) })
        {
            if (w + 2 * p < k) continue;
            var conv = new BinaryConvGeometry(1, 2, 5, w, cout, 3, 3, 1, 1);
            var pool = new PoolGeometry(k, s, p);
            var random = new Random(w * 97 + cout * 13 + k * 3 + s + p);
            var input = BinaryReference.RandomDyadic(random, conv.InputLength);
            for (var i = random.Next(7); i < input.Length; i += 23 + random.Next(40)) input[i] = float.NaN;
            var latent = BinaryReference.RandomFloats(random, cout * 2 * 9);
            var bias = BinaryReference.RandomDyadic(random, cout);
            var thresholds = new FloatSignThreshold[cout];
            for (var c = 0; c < cout; c++)
                thresholds[c] = random.Next(3) == 0 ? kinds[random.Next(kinds.Length)] : new((float)(random.NextDouble() * 4 - 2), random.Next(2) == 0);
            var pre = BinaryReference.Conv(input, latent.Select(BinaryReference.Sign).ToArray(), bias, conv);
            var pooled = BinaryReference.MaxPool(pre, 1, cout, conv.OutHeight, conv.OutWidth, pool, out var hp, out var wp);
            var expected = new float[pooled.Length];
            for (var c = 0; c < cout; c++)
                for (var i = 0; i < hp * wp; i++)
                    expected[c * hp * wp + i] = thresholds[c].Fires(pooled[c * hp * wp + i]) ? 1f : -1f;

            var packed = new ulong[conv.PackedWeightsLength];
            BitPacking.PackConvWeights(latent, cout, 2, 3, 3, packed);
            var prepared = new FloatBinaryConvWeights(packed, cout, 2, 3, 3);
            var scratch = new float[EbnnBlock.FloatScratchLength(conv, pool)];
            var scalar = new ulong[EbnnBlock.OutputLength(conv, pool)];
            using (KernelDispatch.Use(KernelPath.Scalar))
                EbnnBlock.FloatConvPoolSign(input, prepared, bias, conv, pool, thresholds, scalar, scratch);
            AssertSigns(expected, scalar, 1, cout, hp, wp, $"width {w}, Cout {cout}, pool {pool}, scalar twin");
            var output = new ulong[scalar.Length];
            Array.Fill(output, ulong.MaxValue); // every word must be written
            EbnnBlock.FloatConvPoolSign(input, prepared, bias, conv, pool, thresholds, output, scratch);
            Assert.Equal(scalar, output);
        }
    }

    [Fact]
    public void FloatBinaryConvWeightsHoldOneSignMaskPerWeight()
    {
        var latent = new[] { 1f, -1f, 0f, -0.5f, 2f, -3f, 0.1f, -0.1f }; // (Cout=2, Cin=1, 2x2)
        var packed = new ulong[2 * 4];
        BitPacking.PackConvWeights(latent, 2, 1, 2, 2, packed);
        var prepared = new FloatBinaryConvWeights(packed, 2, 1, 2, 2);
        Assert.Equal(latent.Select(x => x >= 0 ? 0u : 0x8000_0000u), prepared.SignMasks.ToArray());
        Assert.Equal(packed, prepared.Words.ToArray());
        packed[0] ^= 1;
        Assert.NotEqual(packed[0], prepared.Words[0]); // a private copy
    }

    [Fact]
    public void BadArgumentsAreRejectedWithClearMessages()
    {
        var g = new BinaryConvGeometry(1, 3, 4, 5, 2, 3, 3, 1, 1);
        var pool = new PoolGeometry(3, 2, 1);
        var packed = new ulong[g.PackedWeightsLength];
        var prepared = new FloatBinaryConvWeights(packed, 2, 3, 3, 3);
        var input = new float[g.InputLength];
        var bias = new float[2];

        var error = Assert.Throws<ArgumentException>(() => new FloatBinaryConvWeights(new ulong[5], 2, 3, 3, 3));
        Assert.Equal("packedWeights", error.ParamName);
        Assert.Contains("Cout=2, kH=3, kW=3, words=1", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>("inChannels", () => new FloatBinaryConvWeights(packed, 2, 0, 3, 3));

        Assert.Throws<ArgumentNullException>("weights", () =>
            EbnnBlock.FloatBinaryConv(input, (FloatBinaryConvWeights)null!, bias, g, new float[g.OutputLength], new float[100]));
        var other = new FloatBinaryConvWeights(new ulong[3 * 9], 3, 3, 3, 3);
        error = Assert.Throws<ArgumentException>(() => EbnnBlock.FloatBinaryConv(input, other, bias, g, new float[g.OutputLength], new float[100]));
        Assert.Equal("weights", error.ParamName);
        Assert.Contains("Cout=3", error.Message);
        Assert.Contains("geometry needs (Cout=2", error.Message);

        var needed = EbnnBlock.FloatBinaryConvScratchLength(g);
        Assert.Equal(3 * 6 * 7, needed);
        error = Assert.Throws<ArgumentException>(() => EbnnBlock.FloatBinaryConv(input, prepared, bias, g, new float[g.OutputLength], new float[needed - 1]));
        Assert.Equal("scratch", error.ParamName);
        Assert.Contains($"needs at least {needed}", error.Message);
        error = Assert.Throws<ArgumentException>(() => EbnnBlock.FloatBinaryConv(input, prepared, bias, g, new float[g.OutputLength + 1], new float[needed]));
        Assert.Equal("output", error.ParamName);

        var bits = new ulong[EbnnBlock.OutputLength(g, pool)];
        error = Assert.Throws<ArgumentException>(() => EbnnBlock.FloatConvPoolSign(input, prepared, bias, g, pool,
            new FloatSignThreshold[2], bits, new float[EbnnBlock.FloatScratchLength(g, pool) - 1]));
        Assert.Equal("scratch", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => EbnnBlock.FloatConvPoolSign(input, prepared, bias, g, pool,
            new FloatSignThreshold[3], bits, new float[EbnnBlock.FloatScratchLength(g, pool)]));
        Assert.Equal("thresholds", error.ParamName);

        var binary = new BinaryConvWeights(packed, 2, 3, 3, 3);
        var packedInput = new ulong[g.PackedInputLength];
        error = Assert.Throws<ArgumentException>(() => EbnnBlock.BinaryConvPoolSign(packedInput, binary, g, pool,
            new SignThreshold[2], bits, new ulong[EbnnBlock.BinaryScratchLength(g, pool) - 1]));
        Assert.Equal("scratch", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => EbnnBlock.BinaryConvPoolSign(new ulong[packedInput.Length + 1], binary, g, pool,
            new SignThreshold[2], bits, new ulong[EbnnBlock.BinaryScratchLength(g, pool)]));
        Assert.Equal("input", error.ParamName);
        Assert.Throws<ArgumentNullException>("weights", () => EbnnBlock.BinaryConvPoolSign(packedInput, (BinaryConvWeights)null!, g, pool,
            new SignThreshold[2], bits, new ulong[EbnnBlock.BinaryScratchLength(g, pool)]));
        Assert.Throws<ArgumentException>("geometry", () => EbnnBlock.FloatBinaryConvScratchLength(default));
    }

    private static void AssertSame(float[] expected, float[] actual, string what)
    {
        for (var i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}: [{i}] = {actual[i]:R}, expected {expected[i]:R}");
    }

    private static void AssertSigns(float[] expected, ulong[] packed, int batch, int channels, int hp, int wp, string what)
    {
        var actual = new float[expected.Length];
        BitPacking.UnpackToNchw(packed, batch, channels, hp, wp, actual);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(expected[i] == actual[i], $"{what}: sign[{i}] = {actual[i]}, float pipeline gives {expected[i]}");
        var words = BitPacking.WordsFor(channels);
        if (channels % 64 != 0)
            for (var last = words - 1; last < packed.Length; last += words) Assert.Equal(0UL, packed[last] >> (channels % 64));
    }
}

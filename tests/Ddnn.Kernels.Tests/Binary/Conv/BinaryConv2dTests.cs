using Ddnn.Kernels.Binary;
using Ddnn.TestSupport;

namespace Ddnn.Kernels.Tests.Binary;

public class BinaryConv2dTests
{
    /// <summary>
    /// (C, H, W, Cout, kH, kW, stride, padding) covering 3x3 s1 p1, strides, no padding, rectangular kernels; output
    /// widths and pixel counts off the 4- and 8-column groups, Cout off the 4-row tiles, rows of more than 31 words
    /// (the byte-counter widening block) and layers large enough to split over two threads.
    /// </summary>
    private static readonly int[][] ShapeList =
    [
        [1, 5, 7, 3, 3, 3, 1, 1],
        [63, 6, 5, 4, 3, 3, 1, 1],
        [64, 7, 7, 5, 3, 3, 2, 1],
        [65, 5, 6, 3, 3, 3, 1, 0],
        [130, 4, 5, 2, 3, 3, 1, 2],
        [3, 9, 8, 7, 5, 5, 2, 2],
        [65, 3, 8, 3, 1, 3, 3, 0],
        [17, 6, 4, 66, 2, 3, 1, 1],
        [2, 1, 1, 2, 3, 3, 1, 1],
        [64, 16, 16, 32, 3, 3, 1, 1],
        [300, 4, 5, 3, 3, 3, 1, 1],
        [64, 9, 33, 64, 3, 3, 1, 1],
        [130, 5, 7, 9, 3, 3, 1, 1],
        [5, 6, 11, 6, 5, 5, 1, 2],
        [300, 4, 5, 6, 3, 3, 1, 1],
        [64, 9, 37, 13, 3, 3, 1, 1],
        [96, 7, 19, 7, 3, 3, 2, 1],
        [64, 32, 32, 64, 3, 3, 1, 1],
        [200, 11, 13, 9, 3, 3, 2, 0],
    ];

    public static TheoryData<KernelPath, int, int, int, int, int, int, int, int> ShapesOnEveryPath()
    {
        var data = new TheoryData<KernelPath, int, int, int, int, int, int, int, int>();
        foreach (var path in Enum.GetValues<KernelPath>())
            foreach (var s in ShapeList)
                data.Add(path, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(ShapesOnEveryPath))]
    public void EqualsFloatConvOnTheSameSignsOnEveryPath(KernelPath path, int c, int h, int w, int cout, int kh, int kw, int stride,
        int pad)
    {
        using var scope = KernelPaths.Enter(path);
        var g = new BinaryConvGeometry(2, c, h, w, cout, kh, kw, stride, pad);
        var random = new Random(c * 1000 + h * 10 + w);
        var input = BinaryReference.RandomSigns(random, g.InputLength);
        var weights = BinaryReference.RandomSigns(random, cout * c * kh * kw);
        var expected = BinaryReference.Conv(input, weights, null, g);

        var packedInput = new ulong[g.PackedInputLength];
        var packedWeights = new ulong[g.PackedWeightsLength];
        BitPacking.PackNchw(input, g.Batch, c, h, w, packedInput);
        BitPacking.PackConvWeights(weights, cout, c, kh, kw, packedWeights);
        var prepared = new BinaryConvWeights(packedWeights, cout, c, kh, kw);
        foreach (var threads in new[] { 1, 2 })
        {
            var output = new int[g.OutputLength];
            var outputPrepared = Enumerable.Repeat(int.MinValue, g.OutputLength).ToArray();
            using (KernelParallelism.Use(threads))
            {
                BinaryConv2d.Forward(packedInput, packedWeights, g, output);
                BinaryConv2d.Forward(packedInput, prepared, g, outputPrepared);
            }
            for (var i = 0; i < output.Length; i++)
            {
                Assert.True(expected[i] == output[i],
                    $"{g}, path {path}, {threads} threads: output[{i}] = {output[i]}, float conv gives {expected[i]}");
                Assert.True(expected[i] == outputPrepared[i],
                    $"{g}, path {path}, {threads} threads, prepared weights: output[{i}] = {outputPrepared[i]}, float conv gives {expected[i]}");
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(KernelPaths.Every), MemberType = typeof(KernelPaths))]
    public void AllDifferingSignsGiveMinusValidTapsTimesChannelsWithoutOverflow(KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        // 9 taps x 10 words: byte-lane counters would wrap without periodic widening.
        var g = new BinaryConvGeometry(1, 640, 5, 6, 3, 3, 3, 1, 1);
        var input = new ulong[g.PackedInputLength];
        Array.Fill(input, ulong.MaxValue);
        var weights = new ulong[g.PackedWeightsLength];
        var output = new int[g.OutputLength];
        BinaryConv2d.Forward(input, weights, g, output);
        for (var co = 0; co < 3; co++)
        for (var oy = 0; oy < 5; oy++)
        for (var ox = 0; ox < 6; ox++)
        {
            var validTaps = (Math.Min(oy + 1, 4) - Math.Max(oy - 1, 0) + 1) * (Math.Min(ox + 1, 5) - Math.Max(ox - 1, 0) + 1);
            Assert.Equal(-validTaps * 640, output[(co * 5 + oy) * 6 + ox]);
        }
    }

    [Fact]
    public void BadInputsAreRejectedWithShapes()
    {
        var g = new BinaryConvGeometry(1, 65, 4, 4, 3, 3, 3, 1, 1);
        var error = Assert.Throws<ArgumentException>(() =>
            BinaryConv2d.Forward(new ulong[g.PackedInputLength - 1], new ulong[g.PackedWeightsLength], g, new int[g.OutputLength]));
        Assert.Equal("input", error.ParamName);
        Assert.Contains("words=2", error.Message);
        error = Assert.Throws<ArgumentException>(() =>
            BinaryConv2d.Forward(new ulong[g.PackedInputLength], new ulong[g.PackedWeightsLength + 1], g, new int[g.OutputLength]));
        Assert.Equal("weights", error.ParamName);
        error = Assert.Throws<ArgumentException>(() =>
            BinaryConv2d.Forward(new ulong[g.PackedInputLength], new ulong[g.PackedWeightsLength], g, new int[3]));
        Assert.Equal("output", error.ParamName);
        Assert.Throws<ArgumentException>("geometry", () => BinaryConv2d.Forward([], [], default, []));
        var otherKernel = new BinaryConvWeights(new ulong[3 * 5 * 5 * 2], 3, 65, 5, 5);
        error = Assert.Throws<ArgumentException>(() =>
            BinaryConv2d.Forward(new ulong[g.PackedInputLength], otherKernel, g, new int[g.OutputLength]));
        Assert.Equal("weights", error.ParamName);
        Assert.Contains("k=5x5", error.Message);
        Assert.Throws<ArgumentException>("packedWeights", () => new BinaryConvWeights(new ulong[5], 3, 65, 3, 3));
        Assert.Throws<ArgumentOutOfRangeException>("padding", () => new BinaryConvGeometry(1, 1, 4, 4, 1, 3, 3, 1, 3));
        Assert.Throws<ArgumentOutOfRangeException>("stride", () => new BinaryConvGeometry(1, 1, 4, 4, 1, 3, 3, 0, 1));
        Assert.Throws<ArgumentException>("kernelH", () => new BinaryConvGeometry(1, 1, 2, 4, 1, 5, 3, 1, 1));
    }

    /// <summary>
    /// The padding corrections a thread keeps are found by the weights' content: new weights written into the same
    /// buffer, and more layers in turn than the thread keeps (ten, twice round), each still equal the float conv.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(KernelPaths.Every), MemberType = typeof(KernelPaths))]
    public void KeptPaddingCorrectionsFollowTheWeightsNotTheirBuffer(KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        using var oneThread = KernelParallelism.Use(1);
        var random = new Random(11);
        var g = new BinaryConvGeometry(1, 24, 8, 8, 16, 3, 3, 1, 1);
        var input = BinaryReference.RandomSigns(random, g.InputLength);
        var packedInput = new ulong[g.PackedInputLength];
        BitPacking.PackNchw(input, 1, g.InChannels, g.Height, g.Width, packedInput);
        var layers = Enumerable.Range(0, 10).Select(_ => BinaryReference.RandomSigns(random, g.OutChannels * g.InChannels * g.Taps)).ToArray();
        var packedWeights = new ulong[g.PackedWeightsLength];
        var output = new int[g.OutputLength];
        for (var round = 0; round < 2; round++)
            for (var l = 0; l < layers.Length; l++)
            {
                BitPacking.PackConvWeights(layers[l], g.OutChannels, g.InChannels, g.KernelH, g.KernelW, packedWeights);
                BinaryConv2d.Forward(packedInput, packedWeights, g, output);
                var expected = BinaryReference.Conv(input, layers[l], null, g);
                for (var i = 0; i < output.Length; i++)
                    Assert.True(expected[i] == output[i], $"path {path}, round {round}, layer {l}: output[{i}] = {output[i]}, float conv gives {expected[i]}");
            }
    }

    [SkippableTheory]
    [MemberData(nameof(KernelPaths.Every), MemberType = typeof(KernelPaths))]
    public void SingleThreadLayerCallsAllocateNothing(KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var g = new BinaryConvGeometry(1, 64, 12, 12, 64, 3, 3, 1, 1);
        var random = new Random(5);
        var input = BinaryReference.RandomFloats(random, g.InputLength);
        var packedWeights = new ulong[g.PackedWeightsLength];
        BitPacking.PackConvWeights(BinaryReference.RandomSigns(random, 64 * 64 * 9), 64, 64, 3, 3, packedWeights);
        var prepared = new BinaryConvWeights(packedWeights, 64, 64, 3, 3);
        var thresholds = new SignThreshold[64];
        for (var c = 0; c < 64; c++) thresholds[c] = new SignThreshold(c - 32, SignThresholdMode.AtLeast);
        var packed = new ulong[g.PackedInputLength];
        var acc = new int[g.OutputLength];
        var bits = new ulong[g.OutputLength / 64];
        using var oneThread = KernelParallelism.Use(1);
        void Layer()
        {
            BitPacking.PackNchw(input, 1, 64, 12, 12, packed);
            BinaryConv2d.Forward(packed, prepared, g, acc);
            BinaryConv2d.Forward(packed, packedWeights, g, acc);
            SignThreshold.Apply(acc, 1, 64, 12, 12, thresholds, bits);
        }
        Layer();
        WarmAllocation.AssertNone(Layer, "a binary conv layer on one thread");
    }
}

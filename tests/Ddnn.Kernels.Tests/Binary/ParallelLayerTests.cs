using Ddnn.Kernels.Binary;
using Ddnn.TestSupport;

namespace Ddnn.Kernels.Tests.Binary;

/// <summary>
/// The three stages of a binary conv layer (sign packing, conv, threshold) split over two threads give the 1-thread
/// words and accumulators bit for bit, on every kernel path; small calls stay on the calling thread.
/// </summary>
public class ParallelLayerTests
{
    /// <summary>
    /// (N, C, H, W) of at least 2 · 2^16 values, so two threads split them: part borders inside an image and between
    /// images, planes that are not a whole number of 16-pixel blocks, one channel, channels off the 64-bit words.
    /// </summary>
    public static TheoryData<int, int, int, int> PackShapes() => new()
    {
        { 1, 256, 32, 32 },
        { 3, 67, 23, 29 },
        { 9, 130, 13, 11 },
        { 1, 3, 211, 217 },
        { 2, 1, 300, 301 },
        { 4, 64, 1, 521 },
    };

    public static IEnumerable<object[]> PackShapesOnEveryPath() => KernelPathCases.OnEveryPath(PackShapes());

    [SkippableTheory]
    [MemberData(nameof(PackShapesOnEveryPath))]
    public void PackNchwOnTwoThreadsEqualsOneThread(int n, int c, int h, int w, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var random = new Random(n * 7919 + c * 101 + h * 11 + w);
        var input = BinaryReference.RandomFloats(random, n * c * h * w);
        float[] specials = [-0f, 0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        for (var i = 0; i < input.Length; i += 7) input[i] = specials[random.Next(specials.Length)];
        var length = n * h * w * BitPacking.WordsFor(c);
        AssertSameOnTwoThreads(length, packed => BitPacking.PackNchw(input, n, c, h, w, packed), $"PackNchw N={n} C={c} H={h} W={w}, path {path}");
    }

    [SkippableTheory]
    [MemberData(nameof(PackShapesOnEveryPath))]
    public void SignThresholdApplyOnTwoThreadsEqualsOneThread(int n, int c, int h, int w, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var random = new Random(n * 31 + c * 17 + h * 5 + w);
        var thresholds = BinaryReference.RandomThresholds(random, c, 20);
        var acc = new int[n * c * h * w];
        for (var i = 0; i < acc.Length; i++) acc[i] = random.Next(-24, 25);
        var length = n * h * w * BitPacking.WordsFor(c);
        AssertSameOnTwoThreads(length, packed => SignThreshold.Apply(acc, n, c, h, w, thresholds, packed),
            $"SignThreshold.Apply N={n} C={c} H={h} W={w}, path {path}");
    }

    [SkippableTheory]
    [MemberData(nameof(PackShapesOnEveryPath))]
    public void FloatSignThresholdApplyOnTwoThreadsEqualsOneThread(int n, int c, int h, int w, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var random = new Random(n * 13 + c * 3 + h * 19 + w);
        var thresholds = BinaryReference.RandomFloatThresholds(random, c, 0.5f);
        var values = BinaryReference.RandomFloats(random, n * c * h * w);
        var length = n * h * w * BitPacking.WordsFor(c);
        AssertSameOnTwoThreads(length, packed => FloatSignThreshold.Apply(values, n, c, h, w, thresholds, packed),
            $"FloatSignThreshold.Apply N={n} C={c} H={h} W={w}, path {path}");
    }

    /// <summary>(N, C, H, W, Cout): 3x3 pad-1 layers whose conv work splits over two threads, odd widths and row counts.</summary>
    public static IEnumerable<object[]> ConvShapesOnEveryPath() => KernelPathCases.OnEveryPath(new TheoryData<int, int, int, int, int>
    {
        { 1, 130, 19, 23, 70 },
        { 2, 128, 17, 37, 67 },
        { 1, 256, 8, 8, 256 },
    });

    [SkippableTheory]
    [MemberData(nameof(ConvShapesOnEveryPath))]
    public void ConvLayerOnTwoThreadsEqualsOneThread(int n, int c, int h, int w, int cout, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var g = new BinaryConvGeometry(n, c, h, w, cout, 3, 3, 1, 1);
        var random = new Random(c * 1000 + h * 10 + w);
        var input = BinaryReference.RandomFloats(random, g.InputLength);
        var packedWeights = new ulong[g.PackedWeightsLength];
        BitPacking.PackConvWeights(BinaryReference.RandomSigns(random, cout * c * 9), cout, c, 3, 3, packedWeights);
        var thresholds = BinaryReference.RandomThresholds(random, cout, 20);

        (ulong[] Packed, int[] Acc, ulong[] Bits, long Allocated) Layer(int threads)
        {
            var packed = new ulong[g.PackedInputLength];
            var acc = new int[g.OutputLength];
            var bits = new ulong[n * g.OutHeight * g.OutWidth * BitPacking.WordsFor(cout)];
            using var bound = KernelParallelism.Use(threads);
            var before = GC.GetAllocatedBytesForCurrentThread();
            BinaryConv2d.Forward(packed, packedWeights, g, acc);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            BitPacking.PackNchw(input, n, c, h, w, packed);
            BinaryConv2d.Forward(packed, packedWeights, g, acc);
            SignThreshold.Apply(acc, n, cout, g.OutHeight, g.OutWidth, thresholds, bits);
            return (packed, acc, bits, allocated);
        }

        var one = Layer(1);
        var two = Layer(2);
        // Parallel.For allocates its closure and state on the calling thread: proof that the conv really split.
        Assert.True(two.Allocated > 0, $"{g}, path {path}: the conv did not split over two threads");
        Assert.Equal(one.Packed, two.Packed);
        for (var i = 0; i < one.Acc.Length; i++)
            Assert.True(one.Acc[i] == two.Acc[i], $"{g}, path {path}: accumulator {i} = {two.Acc[i]} on two threads, {one.Acc[i]} on one");
        Assert.Equal(one.Bits, two.Bits);
    }

    [SkippableTheory]
    [MemberData(nameof(KernelPaths.Every), MemberType = typeof(KernelPaths))]
    public void SmallPackingCallsStayOnTheCallingThreadAndAllocateNothing(KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        // 64 x 32 x 32 = 2^16 values: one part's worth, below the split.
        const int c = 64, h = 32, w = 32;
        var input = BinaryReference.RandomFloats(new Random(3), c * h * w);
        var acc = new int[c * h * w];
        var thresholds = BinaryReference.RandomThresholds(new Random(4), c, 20);
        var packed = new ulong[h * w];
        using var bound = KernelParallelism.Use(2);
        BitPacking.PackNchw(input, 1, c, h, w, packed);
        SignThreshold.Apply(acc, 1, c, h, w, thresholds, packed);
        WarmAllocation.AssertNone(() =>
        {
            BitPacking.PackNchw(input, 1, c, h, w, packed);
            SignThreshold.Apply(acc, 1, c, h, w, thresholds, packed);
        }, $"small packing calls, path {path}");
    }

    /// <summary>
    /// Runs <paramref name="pack"/> on one thread and on two into words prefilled with different junk; the words must
    /// match, and the 2-thread call must have split (Parallel.For allocates on the calling thread; the 1-thread path
    /// allocates nothing).
    /// </summary>
    private static void AssertSameOnTwoThreads(int length, Action<ulong[]> pack, string what)
    {
        var one = Enumerable.Repeat(0xDEADBEEFUL, length).ToArray();
        var two = Enumerable.Repeat(ulong.MaxValue, length).ToArray();
        long oneAllocated, twoAllocated;
        using (KernelParallelism.Use(1))
        {
            pack(one);
            oneAllocated = WarmAllocation.Fewest(() =>
            {
                Array.Fill(one, 0xDEADBEEFUL);
                pack(one);
            });
        }
        using (KernelParallelism.Use(2))
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            pack(two);
            twoAllocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Assert.Equal(0, oneAllocated);
        Assert.True(twoAllocated > 0, $"{what}: the call did not split over two threads");
        for (var i = 0; i < length; i++)
            Assert.True(one[i] == two[i], $"{what}: word {i} = {two[i]:X16} on two threads, {one[i]:X16} on one");
    }
}

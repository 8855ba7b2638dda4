using System.Runtime.Intrinsics;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// Runs the fused blocks image by image (and, for float input, channel group by channel group): conv, then the
/// pooling + threshold variant of <see cref="WindowPooling"/> that fits the group, into packed bits.
/// </summary>
internal static unsafe class BlockDriver
{
    /// <summary>Image by image: conv accumulators of one image, then pool + threshold into its packed bits.</summary>
    internal static void BinaryBlock(ulong* input, ulong* weights, int* tapPopCounts, BinaryConvGeometry conv, PoolGeometry pool,
        SignThreshold* tests, ulong* output, ulong* scratch, KernelPath path)
    {
        var single = new BinaryConvGeometry(1, conv.InChannels, conv.Height, conv.Width, conv.OutChannels, conv.KernelH,
            conv.KernelW, conv.Stride, conv.Padding);
        var accumulators = (int*)scratch;
        var convScratch = scratch + BlockSizes.AccumulatorWords(conv);
        var columnMax = (int*)(convScratch + BinaryConv2d.ScratchLengthAnyPath(conv));
        int planeLength = conv.OutHeight * conv.OutWidth, imageWords = conv.Height * conv.Width * conv.WordsPerPixel;
        var outputWords = BlockSizes.PooledWords(conv, pool);
        var words = BitPacking.WordsFor(conv.OutChannels);
        var vectorised = path != KernelPath.Scalar && Vector128.IsHardwareAccelerated;
        for (var n = 0; n < conv.Batch; n++)
        {
            BinaryConv2d.Convolve(input + (long)n * imageWords, weights, tapPopCounts, single, convScratch, accumulators, path);
            var image = output + (long)n * outputWords;
            new Span<ulong>(image, outputWords).Clear();
            for (var co = 0; co < conv.OutChannels; co++)
                WindowPooling.PoolPlane(accumulators + (long)co * planeLength, conv.OutHeight, conv.OutWidth, pool, tests[co].Lower,
                    tests[co].Upper, image, words, co, columnMax, vectorised, int.MinValue);
        }
    }

    /// <summary>Pins already-checked spans and runs the fused float block on the active kernel path.</summary>
    internal static FloatBlockStats FloatBlock(ReadOnlySpan<float> input, ReadOnlySpan<uint> signMasks, ReadOnlySpan<float> bias,
        in FloatBlockLayout layout, ReadOnlySpan<FloatSignThreshold> thresholds, Span<ulong> output, Span<float> scratch,
        SplitSumPlan? plan = null, Span<ulong> tight = default)
    {
        fixed (float* pin = input)
        fixed (uint* pm = signMasks)
        fixed (float* pb = bias)
        fixed (FloatSignThreshold* ptests = thresholds)
        fixed (ulong* pout = output)
        fixed (float* pscratch = scratch)
        fixed (ulong* ptight = tight)
            return FloatBlock(pin, pm, pb, layout, ptests, pout, pscratch, KernelDispatch.Active, plan, ptight);
    }

    /// <summary>
    /// Image by image and channel group by channel group: conv planes, then pool + threshold into packed bits. With a
    /// <paramref name="plan"/>, eligible groups try the split-sum shortcut first. Returns how many (image, group) units
    /// tried it and how many of them it could not vouch for and were recomputed in the exact order, and how many
    /// images' tight packing pooling wrote itself.
    /// </summary>
    internal static FloatBlockStats FloatBlock(float* input, uint* masks, float* bias, in FloatBlockLayout layout,
        FloatSignThreshold* tests, ulong* output, float* scratch, KernelPath path, SplitSumPlan? plan = null, ulong* tight = null)
    {
        int tried = 0, recomputed = 0, tightFromPooling = 0;
        var conv = layout.Conv;
        var pool = layout.Pool;
        var single = layout.Single;
        scratch = (float*)(((nint)scratch + 63) & ~(nint)63);
        var planes = scratch + layout.PlanesOffset;
        var planeLength = layout.PlaneLength;
        var columnMax = scratch + layout.MasksOffset;
        var imageLength = layout.ImageLength;
        var tapCount = layout.TapCount;
        var outputWords = layout.ImageWords;
        var words = layout.Words;
        int ho = layout.OutHeight, wo = layout.OutWidth;
        var vectorised = path != KernelPath.Scalar && Vector128.IsHardwareAccelerated;
        var narrow = layout.Narrow;
        const int group = BlockSizes.ChannelGroup;
        var signs = stackalloc uint[group];
        var keys = stackalloc float[group];
        var flip = stackalloc ulong[group];
        var sums = scratch + layout.SumsOffset;
        // With one word per pixel, a fully one-sided first group stores (not ORs) every pixel word (WritePixels), so the
        // image needs no clearing first.
        var firstCount = Math.Min(group, conv.OutChannels);
        var firstGroupStores = words == 1 && OneSidedLanes(tests, firstCount, narrow) == (1 << firstCount) - 1;
        for (var n = 0; n < conv.Batch; n++)
        {
            float* image;
            var maxAbs = -1f;
            if (plan is null) image = FloatBinaryConv2d.PadImages(input + (long)n * imageLength, single, scratch);
            else image = plan.PadAndPrepare(input + (long)n * imageLength, single, scratch, sums, path, out maxAbs);
            var bits = output + (long)n * outputWords;
            if (!firstGroupStores) new Span<ulong>(bits, outputWords).Clear();
            var imageTight = tight == null ? null : tight + (long)n * layout.TightWords;
            var tightDone = false;
            for (var c0 = 0; c0 < conv.OutChannels; c0 += BlockSizes.ChannelGroup)
            {
                var count = Math.Min(BlockSizes.ChannelGroup, conv.OutChannels - c0);
                var groupMasks = masks + (long)c0 * tapCount;
                var rowMasks = (ulong*)(((nint)columnMax + 7) & ~(nint)7);
                var decide = rowMasks;
                var nan = rowMasks + layout.RowMaskWords;
                if (plan is not null && plan.Eligible(c0 / group))
                {
                    tried++;
                    if (maxAbs >= 0 && plan.TryGroupWindows(c0 / group, count, image, sums, maxAbs, decide, path))
                    {
                        tightDone |= WindowPooling.PoolWindowRows(decide, plan.DecisiveFlips(c0 / group), layout, bits, c0, vectorised, imageTight);
                        continue;
                    }
                    recomputed++;
                }
                var onMasks = OneSidedLanes(tests + c0, count, narrow);
                if (onMasks == (1 << count) - 1)
                {
                    // Every channel of the group is one-sided: the SIMD paths test the conv sums in registers.
                    OneSidedKeys(tests + c0, onMasks, signs, keys, flip);
                    if (FloatBinaryConv2d.GroupRowMasks(image, groupMasks, bias + c0, count, single, signs, keys, decide, nan, path))
                        WindowPooling.FiringToDecisive(signs, decide, nan, ho, wo);
                    else
                    {
                        FloatBinaryConv2d.Group(image, groupMasks, bias + c0, count, single, planes, path);
                        WindowPooling.PlanesToDecisive(planes, onMasks, signs, keys, ho, wo, decide, nan, vectorised);
                    }
                    WindowPooling.PoolDecisiveMasks(decide, nan, flip, layout, bits, c0, firstWriter: true, vectorised);
                    continue;
                }
                FloatBinaryConv2d.Group(image, groupMasks, bias + c0, count, single, planes, path);
                for (var c = 0; c < count; c++)
                {
                    if ((onMasks & (1 << c)) != 0) continue;
                    var (lower, upper) = OneSidedRule.Bounds<FloatSignThreshold, float>(tests[c0 + c]);
                    WindowPooling.PoolPlane(planes + (long)c * planeLength, ho, wo, pool, lower, upper,
                        bits, words, c0 + c, columnMax, vectorised, float.NegativeInfinity);
                }
                if (onMasks != 0)
                {
                    OneSidedKeys(tests + c0, onMasks, signs, keys, flip);
                    WindowPooling.PlanesToDecisive(planes, onMasks, signs, keys, ho, wo, decide, nan, vectorised);
                    // PoolPlane has already ORed the group's other channels into these words.
                    WindowPooling.PoolDecisiveMasks(decide, nan, flip, layout, bits, c0, firstWriter: false, vectorised);
                }
            }
            if (tightDone) tightFromPooling++;
            TightenImage(bits, imageTight, tightDone, layout, path);
        }
        return new FloatBlockStats(tried, recomputed, tightFromPooling);
    }

    /// <summary>The image's tight packing (<see cref="TightPacking"/>) unless pooling already wrote it.</summary>
    private static void TightenImage(ulong* image, ulong* tight, bool done, in FloatBlockLayout layout, KernelPath path)
    {
        if (tight == null || done) return;
        TightPacking.Run(image, layout.PooledHeight * layout.PooledWidth, layout.Conv.OutChannels, tight, layout.TightWords, path);
    }

    /// <summary>Bit c set where channel c (of <paramref name="count"/> from <paramref name="tests"/>) pools on row masks: a one-sided test on narrow rows.</summary>
    private static int OneSidedLanes(FloatSignThreshold* tests, int count, bool narrow)
    {
        var lanes = 0;
        for (var c = 0; c < count; c++)
            if (narrow && OneSidedRule.OneSided(tests[c], out _, out _)) lanes |= 1 << c;
        return lanes;
    }

    /// <summary>
    /// The one-sided tests of the group's channels in <paramref name="channels"/> (bit c: channel c) as the row-mask
    /// kernels take them: v ≥ bound is sign 0 and key = bound; v ≤ bound is the sign bit and key = −bound (so
    /// (v XOR sign) ≥ key, exact for zeros, infinities and NaN), with flip = all ones. Other lanes get zeros.
    /// </summary>
    private static void OneSidedKeys(FloatSignThreshold* tests, int channels, uint* signs, float* keys, ulong* flip)
    {
        for (var c = 0; c < BlockSizes.ChannelGroup; c++)
        {
            signs[c] = 0;
            keys[c] = 0;
            flip[c] = 0;
            if ((channels & (1 << c)) == 0) continue;
            OneSidedRule.OneSided(tests[c], out var atLeast, out var bound);
            signs[c] = atLeast ? 0u : 0x8000_0000u;
            keys[c] = BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(bound) ^ signs[c]);
            flip[c] = OneSidedRule.DecisiveFlip(atLeast);
        }
    }
}

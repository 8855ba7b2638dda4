using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// Fused eBNN blocks: conv (±1 weights, zero padding) → max-pool (−∞ padding) → folded batch norm + sign → NHWC-packed
/// output bits <c>(N, Hp, Wp, WordsFor(Cout))</c>, where Hp/Wp are the pooled sizes of the conv output.
/// </summary>
/// <remarks>
/// Pooling runs on the pre-activations (int accumulators, or float conv outputs with bias) and the folded threshold
/// is applied to each window maximum. Because the BN + sign test is monotone, this equals max-pool → BN → sign of the
/// float pipeline bit for bit; for gamma &gt; 0 it is the OR over the window of (acc ≥ τ), for gamma &lt; 0 the AND of
/// (acc ≤ τ) over the window's real cells.
/// </remarks>
public static unsafe class EbnnBlock
{
    /// <summary>Length of the packed block output for <paramref name="conv"/> followed by <paramref name="pool"/>.</summary>
    public static int OutputLength(BinaryConvGeometry conv, PoolGeometry pool)
    {
        BinaryConv2d.CheckGeometry(conv);
        CheckPool(pool);
        return BinaryArgs.Product("block output", conv.Batch, pool.OutputSize(conv.OutHeight), pool.OutputSize(conv.OutWidth),
            BitPacking.WordsFor(conv.OutChannels));
    }

    /// <summary>
    /// <c>BinaryConvPoolBNSign</c>: packed ±1 input <c>(N, H, W, words)</c> and packed weights
    /// <c>(Cout, kH, kW, words)</c> → packed signs <c>(N, Hp, Wp, WordsFor(Cout))</c>.
    /// Thresholds come from <see cref="SignThreshold.FoldAll"/> (conv bias included there).
    /// </summary>
    public static void BinaryConvPoolSign(ReadOnlySpan<ulong> input, ReadOnlySpan<ulong> weights, BinaryConvGeometry conv,
        PoolGeometry pool, ReadOnlySpan<SignThreshold> thresholds, Span<ulong> output)
    {
        BinaryConv2d.CheckPacked(input, weights, conv);
        CheckOutput(conv, pool, thresholds.Length, output);
        var tapPopCounts = ArrayPool<int>.Shared.Rent(conv.OutChannels * conv.Taps);
        var scratch = ArrayPool<ulong>.Shared.Rent(BinaryScratchLength(conv, pool));
        try
        {
            BinaryConvWeights.CountTaps(weights, conv.WordsPerPixel, tapPopCounts.AsSpan(0, conv.OutChannels * conv.Taps));
            fixed (ulong* pin = input)
            fixed (ulong* pw = weights)
            fixed (int* ptaps = tapPopCounts)
            fixed (SignThreshold* ptests = thresholds)
            fixed (ulong* pout = output)
            fixed (ulong* pscratch = scratch)
                BinaryBlock(pin, pw, ptaps, conv, pool, ptests, pout, pscratch, KernelDispatch.Active);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(tapPopCounts);
            ArrayPool<ulong>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// As <see cref="BinaryConvPoolSign(ReadOnlySpan{ulong}, ReadOnlySpan{ulong}, BinaryConvGeometry, PoolGeometry, ReadOnlySpan{SignThreshold}, Span{ulong})"/>
    /// with prepared weights and a caller-owned <paramref name="scratch"/> of at least <see cref="BinaryScratchLength"/>
    /// words: allocates nothing.
    /// </summary>
    public static void BinaryConvPoolSign(ReadOnlySpan<ulong> input, BinaryConvWeights weights, BinaryConvGeometry conv,
        PoolGeometry pool, ReadOnlySpan<SignThreshold> thresholds, Span<ulong> output, Span<ulong> scratch)
    {
        ArgumentNullException.ThrowIfNull(weights);
        BinaryConv2d.CheckGeometry(conv);
        weights.CheckMatches(conv, nameof(weights));
        BinaryConv2d.CheckPacked(input, weights.Words, conv);
        CheckOutput(conv, pool, thresholds.Length, output);
        FirstLayerConv2d.CheckScratch(scratch.Length, BinaryScratchLength(conv, pool));
        fixed (ulong* pin = input)
        fixed (ulong* pw = weights.Words)
        fixed (int* ptaps = weights.TapPopCounts)
        fixed (SignThreshold* ptests = thresholds)
        fixed (ulong* pout = output)
        fixed (ulong* pscratch = scratch)
            BinaryBlock(pin, pw, ptaps, conv, pool, ptests, pout, pscratch, KernelDispatch.Active);
    }

    /// <summary>
    /// Scratch words of a prepared <see cref="BinaryConvPoolSign(ReadOnlySpan{ulong}, BinaryConvWeights, BinaryConvGeometry, PoolGeometry, ReadOnlySpan{SignThreshold}, Span{ulong}, Span{ulong})"/>
    /// call on any kernel path: one image's int accumulators, the conv kernel's scratch and one padded row of maxima.
    /// </summary>
    public static int BinaryScratchLength(BinaryConvGeometry conv, PoolGeometry pool)
    {
        OutputLength(conv, pool);
        return checked(AccumulatorWords(conv) + BinaryConv2d.ScratchLengthAnyPath(conv) + (PoolRowLength(conv, pool) + 1) / 2);
    }

    private static int AccumulatorWords(BinaryConvGeometry conv) =>
        (BinaryArgs.Product("accumulators of one image", conv.OutChannels, conv.OutHeight, conv.OutWidth) + 1) / 2;

    /// <summary>Image by image: conv accumulators of one image, then pool + threshold into its packed bits.</summary>
    private static void BinaryBlock(ulong* input, ulong* weights, int* tapPopCounts, BinaryConvGeometry conv, PoolGeometry pool,
        SignThreshold* tests, ulong* output, ulong* scratch, KernelPath path)
    {
        var single = new BinaryConvGeometry(1, conv.InChannels, conv.Height, conv.Width, conv.OutChannels, conv.KernelH,
            conv.KernelW, conv.Stride, conv.Padding);
        var accumulators = (int*)scratch;
        var convScratch = scratch + AccumulatorWords(conv);
        var columnMax = (int*)(convScratch + BinaryConv2d.ScratchLengthAnyPath(conv));
        int planeLength = conv.OutHeight * conv.OutWidth, imageWords = conv.Height * conv.Width * conv.WordsPerPixel;
        var outputWords = PooledWords(conv, pool);
        var words = BitPacking.WordsFor(conv.OutChannels);
        var vectorised = path != KernelPath.Scalar && Vector128.IsHardwareAccelerated;
        for (var n = 0; n < conv.Batch; n++)
        {
            BinaryConv2d.Convolve(input + (long)n * imageWords, weights, tapPopCounts, single, convScratch, accumulators, path);
            var image = output + (long)n * outputWords;
            new Span<ulong>(image, outputWords).Clear();
            for (var co = 0; co < conv.OutChannels; co++)
                PoolPlane(accumulators + (long)co * planeLength, conv.OutHeight, conv.OutWidth, pool, tests[co].Lower,
                    tests[co].Upper, image, words, co, columnMax, vectorised, int.MinValue);
        }
    }

    /// <summary>
    /// <c>ConvPoolBNSign</c> (first device layer): float NCHW input, packed ±1 weights and float bias → packed signs
    /// <c>(N, Hp, Wp, WordsFor(Cout))</c>. The conv sums as documented on <see cref="FirstLayerConv2d"/>;
    /// thresholds come from <see cref="FloatSignThreshold.FoldAll"/> and act on conv output + bias.
    /// </summary>
    public static void FloatConvPoolSign(ReadOnlySpan<float> input, ReadOnlySpan<ulong> weights, ReadOnlySpan<float> bias,
        BinaryConvGeometry conv, PoolGeometry pool, ReadOnlySpan<FloatSignThreshold> thresholds, Span<ulong> output)
    {
        FirstLayerConv2d.CheckInputs(input, weights, bias, conv);
        CheckOutput(conv, pool, thresholds.Length, output);
        var maskCount = conv.OutChannels * conv.InChannels * conv.Taps;
        var masks = ArrayPool<uint>.Shared.Rent(maskCount);
        var scratch = ArrayPool<float>.Shared.Rent(FloatScratchLength(conv, pool));
        try
        {
            FirstLayerWeights.BuildSignMasks(weights, conv.OutChannels, conv.InChannels, conv.Taps, masks);
            fixed (float* pin = input)
            fixed (uint* pm = masks)
            fixed (float* pb = bias)
            fixed (FloatSignThreshold* ptests = thresholds)
            fixed (ulong* pout = output)
            fixed (float* pscratch = scratch)
                FloatBlock(pin, pm, pb, new FloatBlockLayout(conv, pool), ptests, pout, pscratch, KernelDispatch.Active);
        }
        finally
        {
            ArrayPool<uint>.Shared.Return(masks);
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// As <see cref="FloatConvPoolSign(ReadOnlySpan{float}, ReadOnlySpan{ulong}, ReadOnlySpan{float}, BinaryConvGeometry, PoolGeometry, ReadOnlySpan{FloatSignThreshold}, Span{ulong})"/>
    /// with prepared weights and a caller-owned <paramref name="scratch"/> of at least <see cref="FloatScratchLength"/>
    /// floats: allocates nothing. Conv, pool and threshold are fused per group of four output channels, whose conv
    /// planes stay in the scratch (L1-sized for device layers) and go straight to packed bits.
    /// </summary>
    public static void FloatConvPoolSign(ReadOnlySpan<float> input, FirstLayerWeights weights, ReadOnlySpan<float> bias,
        BinaryConvGeometry conv, PoolGeometry pool, ReadOnlySpan<FloatSignThreshold> thresholds, Span<ulong> output,
        Span<float> scratch)
    {
        FirstLayerConv2d.CheckPrepared(input, weights, bias, conv);
        CheckOutput(conv, pool, thresholds.Length, output);
        FirstLayerConv2d.CheckScratch(scratch.Length, FloatScratchLength(conv, pool));
        FloatBlock(input, weights.SignMasks, bias, new FloatBlockLayout(conv, pool), thresholds, output, scratch);
    }

    /// <summary>Pins already-checked spans and runs the fused float block on the active kernel path.</summary>
    internal static int FloatBlock(ReadOnlySpan<float> input, ReadOnlySpan<uint> signMasks, ReadOnlySpan<float> bias,
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
    /// Scratch floats of a prepared <see cref="FloatConvPoolSign(ReadOnlySpan{float}, FirstLayerWeights, ReadOnlySpan{float}, BinaryConvGeometry, PoolGeometry, ReadOnlySpan{FloatSignThreshold}, Span{ulong}, Span{float})"/>
    /// call: one zero-padded image (with padding), the conv planes of four output channels, one padded row of maxima or
    /// the group's row masks (whichever is larger), and the split-sum shortcut's row sums.
    /// </summary>
    public static int FloatScratchLength(BinaryConvGeometry conv, PoolGeometry pool)
    {
        OutputLength(conv, pool);
        return checked(FloatSumsOffset(conv, pool) + SplitSumPlan.SumsLength(conv) + LineFloats);
    }

    /// <summary>
    /// Floats of a 64-byte cache line. The float block starts its scratch at the first line boundary and every region
    /// on one: the layout within cache lines then never depends on where the caller's array happens to lie.
    /// </summary>
    private const int LineFloats = 16;

    private static int ToLine(int floats) => checked((floats + LineFloats - 1) / LineFloats * LineFloats);

    /// <summary>Where the conv planes start in the (line-aligned) scratch: after the padded image.</summary>
    internal static int FloatPlanesOffset(BinaryConvGeometry conv) =>
        ToLine(conv.Padding == 0 ? 0 : FirstLayerConv2d.PaddedImageLength(conv));

    /// <summary>Where the row masks (or the pooling row of maxima) start: after the planes of a channel group.</summary>
    internal static int FloatMasksOffset(BinaryConvGeometry conv) =>
        checked(FloatPlanesOffset(conv) + ToLine(BinaryArgs.Product("conv planes of a channel group", FirstLayerConv2d.ChannelGroup,
            conv.OutHeight, conv.OutWidth)));

    /// <summary>Where the split-sum shortcut's row sums start: after the padded image, the planes and the masks.</summary>
    internal static int FloatSumsOffset(BinaryConvGeometry conv, PoolGeometry pool) =>
        checked(FloatMasksOffset(conv) + ToLine(Math.Max(PoolRowLength(conv, pool), 4 * GroupRowMaskWords(conv) + 1)));

    /// <summary>Words of one kind of row mask (fire or NaN) for every conv row of a channel group.</summary>
    private static int GroupRowMaskWords(BinaryConvGeometry conv) =>
        BinaryArgs.Product("row masks of a channel group", FirstLayerConv2d.ChannelGroup, conv.OutHeight);

    /// <summary>
    /// Image by image and channel group by channel group: conv planes, then pool + threshold into packed bits. With a
    /// <paramref name="plan"/>, eligible groups try the split-sum shortcut first. Returns how many (image, group) units
    /// the shortcut could not vouch for and were recomputed in the exact order.
    /// </summary>
    internal static int FloatBlock(float* input, uint* masks, float* bias, in FloatBlockLayout layout,
        FloatSignThreshold* tests, ulong* output, float* scratch, KernelPath path, SplitSumPlan? plan = null, ulong* tight = null)
    {
        var recomputed = 0;
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
        const int group = FirstLayerConv2d.ChannelGroup;
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
            if (plan is null) image = FirstLayerConv2d.PadImages(input + (long)n * imageLength, single, scratch);
            else image = plan.PadAndPrepare(input + (long)n * imageLength, single, scratch, sums, path, out maxAbs);
            var bits = output + (long)n * outputWords;
            if (!firstGroupStores) new Span<ulong>(bits, outputWords).Clear();
            var imageTight = tight == null ? null : tight + (long)n * layout.TightWords;
            var tightDone = false;
            for (var c0 = 0; c0 < conv.OutChannels; c0 += FirstLayerConv2d.ChannelGroup)
            {
                var count = Math.Min(FirstLayerConv2d.ChannelGroup, conv.OutChannels - c0);
                var groupMasks = masks + (long)c0 * tapCount;
                var rowMasks = (ulong*)(((nint)columnMax + 7) & ~(nint)7);
                var decide = rowMasks;
                var nan = rowMasks + layout.RowMaskWords;
                if (plan is not null && plan.Eligible(c0 / group))
                {
                    if (maxAbs >= 0 && plan.TryGroupWindows(c0 / group, count, image, sums, maxAbs, decide, path))
                    {
                        tightDone |= PoolWindowRows(decide, plan.DecisiveFlips(c0 / group), layout, bits, c0, vectorised, imageTight);
                        continue;
                    }
                    recomputed++;
                }
                var onMasks = OneSidedLanes(tests + c0, count, narrow);
                if (onMasks == (1 << count) - 1)
                {
                    // Every channel of the group is one-sided: the SIMD paths test the conv sums in registers.
                    OneSidedKeys(tests + c0, onMasks, signs, keys, flip);
                    if (FirstLayerConv2d.GroupRowMasks(image, groupMasks, bias + c0, count, single, signs, keys, decide, nan, path))
                        FiringToDecisive(signs, decide, nan, ho, wo);
                    else
                    {
                        FirstLayerConv2d.Group(image, groupMasks, bias + c0, count, single, planes, path);
                        PlanesToDecisive(planes, onMasks, signs, keys, ho, wo, decide, nan, vectorised);
                    }
                    PoolDecisiveMasks(decide, nan, flip, layout, bits, c0, firstWriter: true, vectorised);
                    continue;
                }
                FirstLayerConv2d.Group(image, groupMasks, bias + c0, count, single, planes, path);
                for (var c = 0; c < count; c++)
                {
                    if ((onMasks & (1 << c)) != 0) continue;
                    var (lower, upper) = Bounds<FloatSignThreshold, float>(tests[c0 + c]);
                    PoolPlane(planes + (long)c * planeLength, ho, wo, pool, lower, upper,
                        bits, words, c0 + c, columnMax, vectorised, float.NegativeInfinity);
                }
                if (onMasks != 0)
                {
                    OneSidedKeys(tests + c0, onMasks, signs, keys, flip);
                    PlanesToDecisive(planes, onMasks, signs, keys, ho, wo, decide, nan, vectorised);
                    // PoolPlane has already ORed the group's other channels into these words.
                    PoolDecisiveMasks(decide, nan, flip, layout, bits, c0, firstWriter: false, vectorised);
                }
            }
            TightenImage(bits, imageTight, tightDone, layout, path);
        }
        return recomputed;
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
            if (narrow && OneSided(tests[c], out _, out _)) lanes |= 1 << c;
        return lanes;
    }

    /// <summary>
    /// True for a one-sided test: it fires for v ≥ <paramref name="bound"/> (<paramref name="atLeast"/>) or for
    /// v ≤ bound, the other side unbounded; false for a two-sided one ("never fires" with NaN bounds).
    /// </summary>
    internal static bool OneSided(FloatSignThreshold test, out bool atLeast, out float bound)
    {
        var (lower, upper) = Bounds<FloatSignThreshold, float>(test);
        atLeast = upper == float.PositiveInfinity;
        bound = atLeast ? lower : upper;
        return atLeast || lower == float.NegativeInfinity;
    }

    /// <summary>What turns a pooled window of decisive cells into the output bit: 0 for v ≥ bound, all ones for v ≤ bound.</summary>
    internal static ulong DecisiveFlip(bool atLeast) => atLeast ? 0 : ulong.MaxValue;

    /// <summary>The firing range of a test, read through the interface without boxing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (T Lower, T Upper) Bounds<TTest, T>(TTest test) where TTest : ISignTest<T> => (test.Lower, test.Upper);

    private static int PooledWords(BinaryConvGeometry conv, PoolGeometry pool) =>
        pool.OutputSize(conv.OutHeight) * pool.OutputSize(conv.OutWidth) * BitPacking.WordsFor(conv.OutChannels);

    private static void CheckPool(PoolGeometry pool)
    {
        if (pool.Kernel == 0)
            throw new ArgumentException("pool is uninitialised (default); build it with its constructor.", nameof(pool));
    }

    private static void CheckOutput(BinaryConvGeometry conv, PoolGeometry pool, int thresholdCount, Span<ulong> output)
    {
        if (thresholdCount != conv.OutChannels)
            throw new ArgumentException(
                $"thresholds has {thresholdCount} entries but the conv has {conv.OutChannels} output channels.", "thresholds");
        var length = OutputLength(conv, pool);
        BinaryArgs.Length(output, length, nameof(output),
            "(N={0}, Hp={1}, Wp={2}, words={3})", conv.Batch, pool.OutputSize(conv.OutHeight), pool.OutputSize(conv.OutWidth), BitPacking.WordsFor(conv.OutChannels));
    }

    /// <summary>
    /// Max over each window of one channel's pre-activations <c>(Ho, Wo)</c>, then the channel's test reduced to
    /// lower ≤ max ≤ upper, ORed into bit <paramref name="channel"/> of the (cleared) packed image <c>(Hp, Wp, words)</c>.
    /// Per pooled row: the column maxima of the window rows go into a row with <paramref name="lowest"/> borders
    /// (<paramref name="row"/> holds <see cref="PoolRowLength"/> cells: that row, then the sliding maximum over k of its
    /// columns), and window px is sliding cell px·stride. Both steps are vectorised on the SIMD paths. Max is exact and order-free (<c>T.Max</c> and the
    /// vector maxima propagate NaN, which never fires), and the borders never win, so this equals the max over the
    /// window's real cells.
    /// </summary>
    private static void PoolPlane<T>(T* plane, int ho, int wo, PoolGeometry pool, T lower, T upper, ulong* image, int words,
        int channel, T* row, bool vectorised, T lowest)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        int k = pool.Kernel, s = pool.Stride, p = pool.Padding;
        if (wo + 2 * p <= 64)
        {
            // One-sided tests (every threshold but "never fires" with a NaN bound) pool on row bit masks instead.
            if (upper == Highest<T>())
            {
                PoolMasks(plane, ho, wo, pool, lower, atLeast: true, image, words, channel, vectorised);
                return;
            }
            if (lower == lowest)
            {
                PoolMasks(plane, ho, wo, pool, upper, atLeast: false, image, words, channel, vectorised);
                return;
            }
        }
        int hp = pool.OutputSize(ho), wp = pool.OutputSize(wo);
        var word = channel >> 6;
        var shift = channel & 63;
        var padded = new Span<T>(row, wo + 2 * p);
        padded[..p].Fill(lowest);
        padded[(p + wo)..].Fill(lowest);
        var maxima = padded.Slice(p, wo);
        var windows = wo + 2 * p - k + 1;
        var sliding = new Span<T>(row + wo + 2 * p, windows);
        for (var py = 0; py < hp; py++)
        {
            var y0 = Math.Max(0, py * s - p);
            var y1 = Math.Min(ho, py * s - p + k);
            new ReadOnlySpan<T>(plane + (long)y0 * wo, wo).CopyTo(maxima);
            for (var y = y0 + 1; y < y1; y++)
                MaxInto(maxima, new ReadOnlySpan<T>(plane + (long)y * wo, wo), vectorised);
            padded[..windows].CopyTo(sliding);
            for (var dx = 1; dx < k; dx++)
                MaxInto(sliding, padded.Slice(dx, windows), vectorised);
            var bits = image + (long)py * wp * words + word;
            for (var px = 0; px < wp; px++)
            {
                var max = sliding[px * s];
                var fires = (max >= lower) & (max <= upper);
                bits[(long)px * words] |= (ulong)Unsafe.BitCast<bool, byte>(fires) << shift;
            }
        }
    }

    /// <summary>+∞ for floats, the largest value for integers: the upper bound of a test that only has a lower one.</summary>
    private static T Highest<T>() where T : unmanaged, INumber<T>, IMinMaxValue<T> =>
        typeof(T) == typeof(float) ? (T)(object)float.PositiveInfinity : T.MaxValue;

    /// <summary>
    /// <see cref="PoolPlane{T}"/> for a one-sided test on rows of at most 64 cells with their padding. With
    /// <paramref name="atLeast"/> (test v ≥ bound) the window's max fires exactly when some cell fires and no cell is NaN
    /// (a NaN max never fires); otherwise (v ≤ bound) exactly when every cell fires (NaN fails it). So each conv row
    /// becomes a bit mask of firing cells (and of NaN cells), and <see cref="PooledRowBits"/> pools the masks.
    /// </summary>
    private static void PoolMasks<T>(T* plane, int ho, int wo, PoolGeometry pool, T bound, bool atLeast, ulong* image, int words,
        int channel, bool vectorised)
        where T : unmanaged, INumber<T>
    {
        int k = pool.Kernel, s = pool.Stride, p = pool.Padding;
        int hp = pool.OutputSize(ho), wp = pool.OutputSize(wo);
        var word = channel >> 6;
        var shift = channel & 63;
        Span<ulong> masks = stackalloc ulong[2 * k];
        fixed (ulong* fire = masks)
        {
            var nan = fire + k;
            for (var py = 0; py < hp; py++)
            {
                var y0 = Math.Max(0, py * s - p);
                var y1 = Math.Min(ho, py * s - p + k);
                for (var y = y0; y < y1; y++)
                    fire[y - y0] = RowMask(plane + (long)y * wo, wo, bound, atLeast, vectorised, out nan[y - y0]);
                var windows = PooledRowBits(fire, nan, 1, y1 - y0, wo, pool, atLeast, vectorised);
                var bits = image + (long)py * wp * words + word;
                for (var px = 0; px < wp; px++)
                    bits[(long)px * words] |= ((windows >> px) & 1UL) << shift;
            }
        }
    }

    /// <summary>
    /// One pooled row of a one-sided test from the masks of its window rows (<paramref name="rows"/> of them, at
    /// <paramref name="fire"/>[i·<paramref name="step"/>], NaN cells likewise): rows are ORed (v ≥ bound; a NaN cell
    /// vetoes its windows as a NaN max would) or ANDed (v ≤ bound), window columns likewise by shifts of the padded mask
    /// (padding neutral: 0 for OR, 1 for AND), and bit px of the result is window px (bit px·stride before compaction).
    /// </summary>
    private static ulong PooledRowBits(ulong* fire, ulong* nan, int step, int rows, int wo, PoolGeometry pool, bool atLeast,
        bool vectorised)
    {
        int k = pool.Kernel, s = pool.Stride, p = pool.Padding;
        ulong rowFire = atLeast ? 0 : ulong.MaxValue, rowNan = 0;
        for (var i = 0; i < rows; i++)
        {
            rowFire = atLeast ? rowFire | fire[(long)i * step] : rowFire & fire[(long)i * step];
            rowNan |= nan[(long)i * step];
        }
        ulong windows;
        if (atLeast)
        {
            ulong paddedFire = rowFire << p, paddedNan = rowNan << p, anyFire = 0, anyNan = 0;
            for (var dx = 0; dx < k; dx++)
            {
                anyFire |= paddedFire >> dx;
                anyNan |= paddedNan >> dx;
            }
            windows = anyFire & ~anyNan;
        }
        else
        {
            var padding = ~(((wo == 64 ? 0UL : 1UL << wo) - 1) << p);
            var paddedFire = (rowFire << p) | padding;
            windows = ulong.MaxValue;
            for (var dx = 0; dx < k; dx++) windows &= paddedFire >> dx;
        }
        var count = pool.OutputSize(wo);
        return Compact(windows, StrideMask(s, count), s, count, vectorised);
    }

    /// <summary>Bits 0, n, 2n, … (<paramref name="count"/> of them, all below 64).</summary>
    private static ulong StrideMask(int n, int count)
    {
        ulong mask = 0;
        for (var i = 0; i < count; i++) mask |= 1UL << (i * n);
        return mask;
    }

    /// <summary>Bit i of the low byte of <paramref name="bits"/> moved to bit 8·i; pdep when BMI2 is there, else the scalar twin.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong SpreadToBytes(ulong bits, bool vectorised)
    {
        if (vectorised && Bmi2.X64.IsSupported) return Bmi2.X64.ParallelBitDeposit(bits, 0x0101010101010101UL);
        ulong spread = 0;
        for (var i = 0; i < 8; i++) spread |= ((bits >> i) & 1UL) << (8 * i);
        return spread;
    }

    /// <summary>
    /// The one-sided tests of the group's channels in <paramref name="channels"/> (bit c: channel c) as the row-mask
    /// kernels take them: v ≥ bound is sign 0 and key = bound; v ≤ bound is the sign bit and key = −bound (so
    /// (v XOR sign) ≥ key, exact for zeros, infinities and NaN), with flip = all ones. Other lanes get zeros.
    /// </summary>
    private static void OneSidedKeys(FloatSignThreshold* tests, int channels, uint* signs, float* keys, ulong* flip)
    {
        for (var c = 0; c < FirstLayerConv2d.ChannelGroup; c++)
        {
            signs[c] = 0;
            keys[c] = 0;
            flip[c] = 0;
            if ((channels & (1 << c)) == 0) continue;
            OneSided(tests[c], out var atLeast, out var bound);
            signs[c] = atLeast ? 0u : 0x8000_0000u;
            keys[c] = BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(bound) ^ signs[c]);
            flip[c] = DecisiveFlip(atLeast);
        }
    }

    /// <summary>
    /// Row masks of firing cells (as <see cref="FirstLayerConv2d.GroupRowMasks"/> writes them) made decisive in place:
    /// for v ≤ bound lanes the failing cells (NaN included) and no NaN mask.
    /// </summary>
    private static void FiringToDecisive(uint* signs, ulong* decide, ulong* nan, int ho, int wo)
    {
        var rowBits = wo == 64 ? ulong.MaxValue : (1UL << wo) - 1;
        for (var c = 0; c < FirstLayerConv2d.ChannelGroup; c++)
        {
            if (signs[c] == 0) continue;
            for (var y = 0; y < ho; y++)
            {
                var i = (long)y * FirstLayerConv2d.ChannelGroup + c;
                decide[i] = ~decide[i] & rowBits;
                nan[i] = 0;
            }
        }
    }

    /// <summary>
    /// The scalar twin of the register path: the decisive row masks of the channels in <paramref name="channels"/> from
    /// the group's float planes (zeros for the other lanes), with the same tests.
    /// </summary>
    private static void PlanesToDecisive(float* planes, int channels, uint* signs, float* keys, int ho, int wo,
        ulong* decide, ulong* nan, bool vectorised)
    {
        const int group = FirstLayerConv2d.ChannelGroup;
        var rowBits = wo == 64 ? ulong.MaxValue : (1UL << wo) - 1;
        for (var c = 0; c < group; c++)
        {
            var inGroup = (channels & (1 << c)) != 0;
            var atLeast = signs[c] == 0;
            var bound = BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(keys[c]) ^ signs[c]);
            var plane = planes + (long)c * ho * wo;
            for (var y = 0; y < ho; y++)
            {
                ulong fire = 0, rowNan = 0;
                if (inGroup) fire = RowMask(plane + (long)y * wo, wo, bound, atLeast, vectorised, out rowNan);
                decide[(long)y * group + c] = !inGroup ? 0 : atLeast ? fire : ~fire & rowBits;
                nan[(long)y * group + c] = inGroup && atLeast ? rowNan : 0;
            }
        }
    }

    /// <summary>
    /// Pool + one-sided threshold of a channel group from its row masks: every conv row is, per channel of the group, a
    /// mask X of cells that decide (v ≥ bound: firing cells, with NaN cells in a second mask N; v ≤ bound: failing cells,
    /// NaN included, N empty) in <paramref name="decide"/> and <paramref name="nan"/> (row-major over the group's 4
    /// lanes, from <see cref="FiringToDecisive"/> or <see cref="PlanesToDecisive"/>; unused lanes are zero). A window's max then fires exactly when
    /// (any X and no N) — for v ≥ bound — or when no X — for v ≤ bound —, so both kinds pool the same way: OR over the
    /// window rows and over shifts of the padded row (padding 0 is neutral), then (anyX AND NOT anyN) XOR flip. Window
    /// bits are compacted (pext, or its scalar twin), and the group's (≤ 4) bits of each pixel written at once
    /// (<see cref="WritePixels"/>): the channels' window bits spread to one byte per pixel (pdep, or its scalar twin).
    /// </summary>
    private static void PoolDecisiveMasks(ulong* decide, ulong* nan, ulong* flip, in FloatBlockLayout layout,
        ulong* image, int c0, bool firstWriter, bool vectorised)
    {
        int k = layout.Pool.Kernel, s = layout.Pool.Stride, p = layout.Pool.Padding;
        int ho = layout.OutHeight, hp = layout.PooledHeight, wp = layout.PooledWidth, words = layout.Words;
        var strideMask = StrideMask(s, wp);
        var word = c0 >> 6;
        var shift = c0 & 63;
        for (var py = 0; py < hp; py++)
        {
            var y0 = Math.Max(0, py * s - p);
            var y1 = Math.Min(ho, py * s - p + k);
            // Word by word on every path: the masks were just written as single words, and a vector load across
            // four fresh word stores cannot be forwarded from them (it waits for the stores to retire).
            var p0 = PoolLane(decide, nan, flip, 0, y0, y1, k, p, strideMask, s, wp, vectorised);
            var p1 = PoolLane(decide, nan, flip, 1, y0, y1, k, p, strideMask, s, wp, vectorised);
            var p2 = PoolLane(decide, nan, flip, 2, y0, y1, k, p, strideMask, s, wp, vectorised);
            var p3 = PoolLane(decide, nan, flip, 3, y0, y1, k, p, strideMask, s, wp, vectorised);
            WritePixels(image + (long)py * wp * words + word, words, shift, wp, p0, p1, p2, p3, firstWriter, vectorised);
        }
    }

    /// <summary>
    /// Pool + one-sided threshold of a channel group from rows already pooled across (the split-sum shortcut's
    /// <see cref="SplitSumPlan.TryGroupWindows"/>, NaN-free, lane-major): per pooled row and lane, the OR of its window rows XOR flip,
    /// window starts compacted, pixels written as in <see cref="PoolDecisiveMasks"/>.
    /// </summary>
    /// <returns>True when it also wrote the image's tight packing into <paramref name="tight"/> (a 4-channel device map).</returns>
    private static bool PoolWindowRows(ulong* windows, ReadOnlySpan<ulong> flip, in FloatBlockLayout layout, ulong* image, int c0,
        bool vectorised, ulong* tight)
    {
        int k = layout.Pool.Kernel, s = layout.Pool.Stride, p = layout.Pool.Padding;
        int ho = layout.OutHeight, hp = layout.PooledHeight, wp = layout.PooledWidth, words = layout.Words;
        var strideMask = StrideMask(s, wp);
        ulong f0 = flip[0], f1 = flip[1], f2 = flip[2], f3 = flip[3];
        // The device's map (one word per pixel, eight pooled columns, first group): pext compacts each lane's windows
        // and pdep drops them straight into the lane's bit of every pixel byte, as the general path does.
        var deviceMap = vectorised && Bmi2.X64.IsSupported && Avx2.IsSupported && words == 1 && c0 == 0 && wp == 8;
        var writesTight = deviceMap && tight != null && layout.Conv.OutChannels == 4 && hp % 2 == 0;
        const ulong pixelBits = 0x0101_0101_0101_0101UL;
        for (var py = 0; py < hp; py++)
        {
            int y0 = Math.Max(0, py * s - p), y1 = Math.Min(ho, py * s - p + k);
            ulong x0 = 0, x1 = 0, x2 = 0, x3 = 0;
            for (var y = y0; y < y1; y++)
            {
                x0 |= windows[y];
                x1 |= windows[ho + y];
                x2 |= windows[2 * ho + y];
                x3 |= windows[3 * ho + y];
            }
            if (!deviceMap)
            {
                WritePixels(image + (long)py * wp * words + (c0 >> 6), words, c0 & 63, wp,
                    Compact(x0 ^ f0, strideMask, s, wp, vectorised), Compact(x1 ^ f1, strideMask, s, wp, vectorised),
                    Compact(x2 ^ f2, strideMask, s, wp, vectorised), Compact(x3 ^ f3, strideMask, s, wp, vectorised),
                    firstWriter: true, vectorised);
                continue;
            }
            var pixels = Bmi2.X64.ParallelBitDeposit(Bmi2.X64.ParallelBitExtract(x0 ^ f0, strideMask), pixelBits)
                | Bmi2.X64.ParallelBitDeposit(Bmi2.X64.ParallelBitExtract(x1 ^ f1, strideMask), pixelBits << 1)
                | Bmi2.X64.ParallelBitDeposit(Bmi2.X64.ParallelBitExtract(x2 ^ f2, strideMask), pixelBits << 2)
                | Bmi2.X64.ParallelBitDeposit(Bmi2.X64.ParallelBitExtract(x3 ^ f3, strideMask), pixelBits << 3);
            StoreEightPixels(image + 8L * py, pixels);
            // Four channels: the row's eight pixel nibbles are its 32 tight bits (pixel p, channel c at bit 4p + c).
            if (writesTight)
            {
                var half = Bmi2.X64.ParallelBitExtract(pixels, 0x0F0F_0F0F_0F0F_0F0FUL) << (32 * (py & 1));
                tight[py >> 1] = (py & 1) == 0 ? half : tight[py >> 1] | half;
            }
        }
        return writesTight;
    }

    /// <summary>
    /// Four lanes' pooled bits (bit px of <paramref name="p0"/> … = pixel px) into one pooled row of the packed image,
    /// at bit <paramref name="shift"/> of each pixel's word: the lanes' bits spread to one byte per pixel, ORed into the
    /// cleared words, or simply stored where this group is the words' <paramref name="firstWriter"/> and fills them
    /// (one word per pixel, channels 0–3) — the image then needs no clearing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WritePixels(ulong* bits, int words, int shift, int wp, ulong p0, ulong p1, ulong p2, ulong p3,
        bool firstWriter, bool vectorised)
    {
        for (var px0 = 0; px0 < wp; px0 += 8)
        {
            var pixels = SpreadToBytes((p0 >> px0) & 0xFF, vectorised) | SpreadToBytes((p1 >> px0) & 0xFF, vectorised) << 1
                | SpreadToBytes((p2 >> px0) & 0xFF, vectorised) << 2 | SpreadToBytes((p3 >> px0) & 0xFF, vectorised) << 3;
            var end = Math.Min(8, wp - px0);
            if (firstWriter && words == 1 && shift == 0)
            {
                if (end == 8 && vectorised && Avx2.IsSupported) StoreEightPixels(bits + px0, pixels);
                else
                    for (var i = 0; i < end; i++) bits[px0 + i] = (pixels >> (8 * i)) & 0xFF;
                continue;
            }
            for (var i = 0; i < end; i++)
                bits[(long)(px0 + i) * words] |= ((pixels >> (8 * i)) & 0xFF) << shift;
        }
    }

    /// <summary>Eight pixel bytes zero-extended into eight consecutive words: two vector stores (AVX2 only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreEightPixels(ulong* destination, ulong pixels)
    {
        var bytes = Vector128.CreateScalar(pixels).AsByte();
        Avx2.ConvertToVector256Int64(bytes).AsUInt64().Store(destination);
        Avx2.ConvertToVector256Int64(Sse2.ShiftRightLogical128BitLane(bytes, 4)).AsUInt64().Store(destination + 4);
    }

    /// <summary>
    /// One lane's pooled row: OR of the window rows' decisive and NaN masks, shifted by the padding, ORed over the k
    /// window columns, (anyX AND NOT anyN) XOR flip, then the window starts compacted to bits 0, 1, ….
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong PoolLane(ulong* decide, ulong* nan, ulong* flip, int lane, int y0, int y1, int k, int p,
        ulong strideMask, int s, int wp, bool vectorised)
    {
        const int group = FirstLayerConv2d.ChannelGroup;
        ulong x = 0, n = 0;
        for (var y = y0; y < y1; y++)
        {
            x |= decide[(long)y * group + lane];
            n |= nan[(long)y * group + lane];
        }
        x <<= p;
        n <<= p;
        ulong anyX = x, anyN = n;
        for (var dx = 1; dx < k; dx++)
        {
            anyX |= x >> dx;
            anyN |= n >> dx;
        }
        return Compact((anyX & ~anyN) ^ flip[lane], strideMask, s, wp, vectorised);
    }

    /// <summary>
    /// Bits 0, n, 2n, … of <paramref name="bits"/> (<paramref name="count"/> of them, picked by <paramref name="strideMask"/>
    /// = <see cref="StrideMask"/>) moved to bits 0, 1, 2, …; pext when BMI2 is there, else the scalar twin.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Compact(ulong bits, ulong strideMask, int n, int count, bool vectorised)
    {
        if (n == 1) return bits & strideMask;
        if (vectorised && Bmi2.X64.IsSupported) return Bmi2.X64.ParallelBitExtract(bits, strideMask);
        ulong compact = 0;
        for (var i = 0; i < count; i++) compact |= ((bits >> (i * n)) & 1UL) << i;
        return compact;
    }

    /// <summary>
    /// Bit x set where cell x of a row of <paramref name="width"/> ≤ 64 cells fires (v ≥ bound, or v ≤ bound), and in
    /// <paramref name="nan"/> where it is NaN; vector compares on the SIMD paths, the scalar loop for the rest.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong RowMask<T>(T* row, int width, T bound, bool atLeast, bool vectorised, out ulong nan)
        where T : unmanaged, INumber<T>
    {
        ulong fire = 0;
        nan = 0;
        var x = 0;
        if (vectorised && Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            var b = Vector256.Create(bound);
            for (; x + Vector256<T>.Count <= width; x += Vector256<T>.Count)
            {
                var v = Vector256.Load(row + x);
                var hit = atLeast ? Vector256.GreaterThanOrEqual(v, b) : Vector256.LessThanOrEqual(v, b);
                fire |= (ulong)hit.ExtractMostSignificantBits() << x;
                nan |= (ulong)(~Vector256.Equals(v, v)).ExtractMostSignificantBits() << x;
            }
        }
        if (vectorised && Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            var b = Vector128.Create(bound);
            for (; x + Vector128<T>.Count <= width; x += Vector128<T>.Count)
            {
                var v = Vector128.Load(row + x);
                var hit = atLeast ? Vector128.GreaterThanOrEqual(v, b) : Vector128.LessThanOrEqual(v, b);
                fire |= (ulong)hit.ExtractMostSignificantBits() << x;
                nan |= (ulong)(~Vector128.Equals(v, v)).ExtractMostSignificantBits() << x;
            }
        }
        for (; x < width; x++)
        {
            var v = row[x];
            fire |= (ulong)Unsafe.BitCast<bool, byte>(atLeast ? v >= bound : v <= bound) << x;
            nan |= (ulong)Unsafe.BitCast<bool, byte>(T.IsNaN(v)) << x;
        }
        return fire;
    }

    /// <summary>Cells <see cref="PoolPlane{T}"/> works in: the conv row with the pool padding on both sides, then its sliding maxima.</summary>
    private static int PoolRowLength(BinaryConvGeometry conv, PoolGeometry pool) =>
        2 * (conv.OutWidth + 2 * pool.Padding) - pool.Kernel + 1;

    /// <summary>dst[i] = max(dst[i], src[i]); exact on every path.</summary>
    private static void MaxInto<T>(Span<T> dst, ReadOnlySpan<T> src, bool vectorised) where T : unmanaged, INumber<T>
    {
        var i = 0;
        if (vectorised && Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
            for (; i + Vector256<T>.Count <= dst.Length; i += Vector256<T>.Count)
                Vector256.Max(Vector256.Create((ReadOnlySpan<T>)dst.Slice(i)), Vector256.Create(src.Slice(i))).CopyTo(dst.Slice(i));
        if (vectorised && Vector128<T>.IsSupported)
            for (; i + Vector128<T>.Count <= dst.Length; i += Vector128<T>.Count)
                Vector128.Max(Vector128.Create((ReadOnlySpan<T>)dst.Slice(i)), Vector128.Create(src.Slice(i))).CopyTo(dst.Slice(i));
        for (; i < dst.Length; i++) dst[i] = T.Max(dst[i], src[i]);
    }
}

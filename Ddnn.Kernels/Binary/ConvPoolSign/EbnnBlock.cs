namespace Ddnn.Kernels.Binary;

/// <summary>
/// Fused eBNN blocks: conv (±1 weights, zero padding) → max-pool (−∞ padding) → sign test → NHWC-packed output bits
/// <c>(N, Hp, Wp, WordsFor(Cout))</c>, where Hp/Wp are the pooled sizes of the conv output; on packed ±1 input
/// (integer thresholds) or on float input (float bias and thresholds), and the float-input conv alone. The one entry
/// point of this folder: nothing outside it calls another of its types, except the prepared block
/// (<see cref="PrepareFloat"/>), its weights (<see cref="FloatBinaryConvWeights"/>) and its stats (<see cref="FloatBlockStats"/>).
/// </summary>
/// <remarks>
/// <para>Pooling runs on the pre-activations (int accumulators, or float conv outputs with bias) and the threshold is
/// applied to each window maximum. Because a sign test is monotone, this equals max-pool → BN → sign of the float
/// pipeline bit for bit; for gamma &gt; 0 it is the OR over the window of (acc ≥ τ), for gamma &lt; 0 the AND of
/// (acc ≤ τ) over the window's real cells.</para>
/// <para>Float-input conv summation order, identical on every kernel path: each output starts at +0, then adds ±x for
/// input channel ci ascending, kernel row ky ascending, kernel column kx ascending, and finally adds the bias once
/// (see <see cref="FloatBinaryConv2d"/>).</para>
/// <para>The files of this folder, each calling only files above it (no two call each other):
/// <list type="bullet">
/// <item>FloatLanes, OneSidedRule, TunedShape, FloatBlockStats, FloatBinaryConvWeights, PixelWriter: nothing here.</item>
/// <item>BlockSizes: FloatBinaryConvWeights.</item>
/// <item>FloatBlockLayout: BlockSizes, TunedShape.</item>
/// <item>FloatBinaryConvSinks: FloatLanes.</item>
/// <item>FloatBinaryConv2d: FloatLanes, FloatBinaryConvSinks, BlockSizes, TunedShape.</item>
/// <item>SplitSumPlan: FloatBinaryConv2d, FloatLanes, FloatBlockLayout, BlockSizes, OneSidedRule, TunedShape.</item>
/// <item>WindowPooling: PixelWriter, FloatBlockLayout, BlockSizes, TunedShape.</item>
/// <item>BlockDriver: WindowPooling, SplitSumPlan, FloatBinaryConv2d, FloatBlockLayout, BlockSizes, OneSidedRule, FloatBlockStats.</item>
/// <item>PreparedFloatBlock: BlockDriver, SplitSumPlan, FloatBlockLayout, BlockSizes, FloatBinaryConvWeights, FloatBlockStats.</item>
/// <item>EbnnBlock (this entry point): BlockDriver, PreparedFloatBlock, FloatBinaryConv2d, FloatBlockLayout, BlockSizes, FloatBinaryConvWeights.</item>
/// </list></para>
/// </remarks>
public static unsafe class EbnnBlock
{
    // Scratch of the one-shot overloads (the prepared ones take the caller's span instead).
    [ThreadStatic] private static int[]? _tapPopCountSlot;
    [ThreadStatic] private static ulong[]? _binaryBlockSlot;
    [ThreadStatic] private static uint[]? _signMaskSlot;
    [ThreadStatic] private static float[]? _floatBlockSlot;

    /// <summary>Length of the packed block output for <paramref name="conv"/> followed by <paramref name="pool"/>.</summary>
    public static int OutputLength(BinaryConvGeometry conv, PoolGeometry pool) =>
        BlockSizes.OutputLength(conv, pool);

    /// <summary>
    /// <c>BinaryConvPoolBNSign</c>: packed ±1 input <c>(N, H, W, words)</c> and packed weights
    /// <c>(Cout, kH, kW, words)</c> → packed signs <c>(N, Hp, Wp, WordsFor(Cout))</c>.
    /// The thresholds act on the integer accumulators (a conv bias folded into them at export).
    /// </summary>
    public static void BinaryConvPoolSign(ReadOnlySpan<ulong> input, ReadOnlySpan<ulong> weights, BinaryConvGeometry conv,
        PoolGeometry pool, ReadOnlySpan<SignThreshold> thresholds, Span<ulong> output)
    {
        BinaryConv2d.CheckPacked(input, weights, conv);
        BlockSizes.CheckOutput(conv, pool, thresholds.Length, output);
        var taps = conv.OutChannels * conv.Taps;
        var tapPopCounts = Scratch.Get(ref _tapPopCountSlot, taps);
        var scratch = Scratch.Get(ref _binaryBlockSlot, BinaryScratchLength(conv, pool));
        BinaryConvWeights.CountTaps(weights, conv.WordsPerPixel, new Span<int>(tapPopCounts, taps));
        fixed (ulong* pin = input)
        fixed (ulong* pw = weights)
        fixed (SignThreshold* ptests = thresholds)
        fixed (ulong* pout = output)
            BlockDriver.BinaryBlock(pin, pw, tapPopCounts, conv, pool, ptests, pout, scratch, KernelDispatch.Active);
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
        BlockSizes.CheckOutput(conv, pool, thresholds.Length, output);
        BlockSizes.CheckScratch(scratch.Length, BinaryScratchLength(conv, pool));
        fixed (ulong* pin = input)
        fixed (ulong* pw = weights.Words)
        fixed (int* ptaps = weights.TapPopCounts)
        fixed (SignThreshold* ptests = thresholds)
        fixed (ulong* pout = output)
        fixed (ulong* pscratch = scratch)
            BlockDriver.BinaryBlock(pin, pw, ptaps, conv, pool, ptests, pout, pscratch, KernelDispatch.Active);
    }

    /// <summary>
    /// Scratch words of a prepared <see cref="BinaryConvPoolSign(ReadOnlySpan{ulong}, BinaryConvWeights, BinaryConvGeometry, PoolGeometry, ReadOnlySpan{SignThreshold}, Span{ulong}, Span{ulong})"/>
    /// call on any kernel path: one image's int accumulators, the conv kernel's scratch and one padded row of maxima.
    /// </summary>
    public static int BinaryScratchLength(BinaryConvGeometry conv, PoolGeometry pool) =>
        BlockSizes.BinaryScratchLength(conv, pool);

    /// <summary>
    /// <c>ConvPoolBNSign</c> on float input: float NCHW input, packed ±1 weights and float bias → packed signs
    /// <c>(N, Hp, Wp, WordsFor(Cout))</c>. The conv sums as <see cref="FloatBinaryConv(ReadOnlySpan{float}, ReadOnlySpan{ulong}, ReadOnlySpan{float}, BinaryConvGeometry, Span{float})"/>
    /// does; the thresholds act on conv output + bias.
    /// </summary>
    public static void FloatConvPoolSign(ReadOnlySpan<float> input, ReadOnlySpan<ulong> weights, ReadOnlySpan<float> bias,
        BinaryConvGeometry conv, PoolGeometry pool, ReadOnlySpan<FloatSignThreshold> thresholds, Span<ulong> output)
    {
        BlockSizes.CheckInputs(input, weights, bias, conv);
        BlockSizes.CheckOutput(conv, pool, thresholds.Length, output);
        var maskCount = conv.OutChannels * conv.InChannels * conv.Taps;
        var masks = Scratch.Get(ref _signMaskSlot, maskCount);
        var scratch = Scratch.Get(ref _floatBlockSlot, FloatScratchLength(conv, pool));
        FloatBinaryConvWeights.BuildSignMasks(weights, conv.OutChannels, conv.InChannels, conv.Taps, new Span<uint>(masks, maskCount));
        fixed (float* pin = input)
        fixed (float* pb = bias)
        fixed (FloatSignThreshold* ptests = thresholds)
        fixed (ulong* pout = output)
            BlockDriver.FloatBlock(pin, masks, pb, new FloatBlockLayout(conv, pool), ptests, pout, scratch, KernelDispatch.Active);
    }

    /// <summary>
    /// As <see cref="FloatConvPoolSign(ReadOnlySpan{float}, ReadOnlySpan{ulong}, ReadOnlySpan{float}, BinaryConvGeometry, PoolGeometry, ReadOnlySpan{FloatSignThreshold}, Span{ulong})"/>
    /// with prepared weights and a caller-owned <paramref name="scratch"/> of at least <see cref="FloatScratchLength"/>
    /// floats: allocates nothing. Conv, pool and threshold are fused per group of four output channels, whose conv
    /// planes stay in the scratch (L1-sized for device layers) and go straight to packed bits.
    /// </summary>
    public static void FloatConvPoolSign(ReadOnlySpan<float> input, FloatBinaryConvWeights weights, ReadOnlySpan<float> bias,
        BinaryConvGeometry conv, PoolGeometry pool, ReadOnlySpan<FloatSignThreshold> thresholds, Span<ulong> output,
        Span<float> scratch)
    {
        BlockSizes.CheckPrepared(input, weights, bias, conv);
        BlockSizes.CheckOutput(conv, pool, thresholds.Length, output);
        BlockSizes.CheckScratch(scratch.Length, FloatScratchLength(conv, pool));
        BlockDriver.FloatBlock(input, weights.SignMasks, bias, new FloatBlockLayout(conv, pool), thresholds, output, scratch);
    }

    /// <summary>
    /// Scratch floats of a prepared <see cref="FloatConvPoolSign(ReadOnlySpan{float}, FloatBinaryConvWeights, ReadOnlySpan{float}, BinaryConvGeometry, PoolGeometry, ReadOnlySpan{FloatSignThreshold}, Span{ulong}, Span{float})"/>
    /// call: one zero-padded image (with padding), the conv planes of four output channels, one padded row of maxima or
    /// the group's row masks (whichever is larger), and the split-sum shortcut's row sums.
    /// </summary>
    public static int FloatScratchLength(BinaryConvGeometry conv, PoolGeometry pool) =>
        BlockSizes.FloatScratchLength(conv, pool);

    /// <summary>
    /// The float block with its weights, bias, thresholds and shapes checked and prepared once, for per-sample
    /// deployment: see <see cref="PreparedFloatBlock"/>. Copies <paramref name="bias"/> and <paramref name="thresholds"/>.
    /// </summary>
    public static PreparedFloatBlock PrepareFloat(FloatBinaryConvWeights weights, ReadOnlySpan<float> bias,
        ReadOnlySpan<FloatSignThreshold> thresholds, BinaryConvGeometry conv, PoolGeometry pool) =>
        new(weights, bias, thresholds, conv, pool);

    /// <summary>
    /// The conv alone: float NCHW input cross-correlated with packed ±1 weights plus a float bias, float output
    /// <c>(N, Cout, Ho, Wo)</c>, summed in the order that makes every kernel path bit-identical (see the remarks).
    /// </summary>
    public static void FloatBinaryConv(ReadOnlySpan<float> input, ReadOnlySpan<ulong> weights, ReadOnlySpan<float> bias,
        BinaryConvGeometry geometry, Span<float> output)
    {
        BlockSizes.CheckInputs(input, weights, bias, geometry);
        FloatBinaryConv2d.CheckOutput(output, geometry);
        var maskCount = geometry.OutChannels * geometry.InChannels * geometry.Taps;
        var masks = Scratch.Get(ref _signMaskSlot, maskCount);
        var scratch = Scratch.Get(ref _floatBlockSlot, FloatBinaryConvScratchLength(geometry));
        FloatBinaryConvWeights.BuildSignMasks(weights, geometry.OutChannels, geometry.InChannels, geometry.Taps, new Span<uint>(masks, maskCount));
        fixed (float* pin = input)
        fixed (float* pb = bias)
        fixed (float* pout = output)
            FloatBinaryConv2d.Forward(pin, masks, pb, geometry, scratch, pout, KernelDispatch.Active);
    }

    /// <summary>
    /// As <see cref="FloatBinaryConv(ReadOnlySpan{float}, ReadOnlySpan{ulong}, ReadOnlySpan{float}, BinaryConvGeometry, Span{float})"/>
    /// with prepared weights and a caller-owned <paramref name="scratch"/> of at least <see cref="FloatBinaryConvScratchLength"/> floats:
    /// allocates nothing.
    /// </summary>
    public static void FloatBinaryConv(ReadOnlySpan<float> input, FloatBinaryConvWeights weights, ReadOnlySpan<float> bias,
        BinaryConvGeometry geometry, Span<float> output, Span<float> scratch)
    {
        BlockSizes.CheckPrepared(input, weights, bias, geometry);
        FloatBinaryConv2d.CheckOutput(output, geometry);
        BlockSizes.CheckScratch(scratch.Length, FloatBinaryConvScratchLength(geometry));
        fixed (float* pin = input)
        fixed (uint* pm = weights.SignMasks)
        fixed (float* pb = bias)
        fixed (float* ps = scratch)
        fixed (float* pout = output)
            FloatBinaryConv2d.Forward(pin, pm, pb, geometry, ps, pout, KernelDispatch.Active);
    }

    /// <summary>Scratch floats a <see cref="FloatBinaryConv(ReadOnlySpan{float}, FloatBinaryConvWeights, ReadOnlySpan{float}, BinaryConvGeometry, Span{float}, Span{float})"/> call needs: the zero-padded copy of the input (none without padding).</summary>
    public static int FloatBinaryConvScratchLength(BinaryConvGeometry geometry) => FloatBinaryConv2d.ScratchLength(geometry);
}

namespace Ddnn.Kernels.Binary;

/// <summary>
/// Sizes, scratch offsets and argument checks of the fused blocks, derived from conv and pool geometry alone.
/// </summary>
internal static class BlockSizes
{
    /// <summary>Output channels computed together: they share every input load.</summary>
    internal const int ChannelGroup = 4;

    /// <summary>
    /// Scratch words of a prepared <see cref="EbnnBlock.BinaryConvPoolSign(ReadOnlySpan{ulong}, BinaryConvWeights, BinaryConvGeometry, PoolGeometry, ReadOnlySpan{SignThreshold}, Span{ulong}, Span{ulong})"/>
    /// call on any kernel path: one image's int accumulators, the conv kernel's scratch and one padded row of maxima.
    /// </summary>
    internal static int BinaryScratchLength(BinaryConvGeometry conv, PoolGeometry pool)
    {
        OutputLength(conv, pool);
        return checked(AccumulatorWords(conv) + BinaryConv2d.ScratchLengthAnyPath(conv) + (PoolRowLength(conv, pool) + 1) / 2);
    }

    internal static int AccumulatorWords(BinaryConvGeometry conv) =>
        (BinaryArgs.Product("accumulators of one image", conv.OutChannels, conv.OutHeight, conv.OutWidth) + 1) / 2;

    /// <summary>
    /// Scratch floats of a prepared <see cref="EbnnBlock.FloatConvPoolSign(ReadOnlySpan{float}, FloatBinaryConvWeights, ReadOnlySpan{float}, BinaryConvGeometry, PoolGeometry, ReadOnlySpan{FloatSignThreshold}, Span{ulong}, Span{float})"/>
    /// call: one zero-padded image (with padding), the conv planes of four output channels, one padded row of maxima or
    /// the group's row masks (whichever is larger), and the split-sum shortcut's row sums.
    /// </summary>
    internal static int FloatScratchLength(BinaryConvGeometry conv, PoolGeometry pool)
    {
        OutputLength(conv, pool);
        return checked(FloatSumsOffset(conv, pool) + SumsLength(conv) + LineFloats);
    }

    /// <summary>
    /// Floats of a 64-byte cache line. The float block starts its scratch at the first line boundary and every region
    /// on one: the layout within cache lines then never depends on where the caller's array happens to lie.
    /// </summary>
    private const int LineFloats = 16;

    private static int ToLine(int floats) => checked((floats + LineFloats - 1) / LineFloats * LineFloats);

    /// <summary>Where the conv planes start in the (line-aligned) scratch: after the padded image.</summary>
    internal static int FloatPlanesOffset(BinaryConvGeometry conv) =>
        ToLine(conv.Padding == 0 ? 0 : PaddedImageLength(conv));

    /// <summary>Where the row masks (or the pooling row of maxima) start: after the planes of a channel group.</summary>
    internal static int FloatMasksOffset(BinaryConvGeometry conv) =>
        checked(FloatPlanesOffset(conv) + ToLine(BinaryArgs.Product("conv planes of a channel group", ChannelGroup,
            conv.OutHeight, conv.OutWidth)));

    /// <summary>Where the split-sum shortcut's row sums start: after the padded image, the planes and the masks.</summary>
    internal static int FloatSumsOffset(BinaryConvGeometry conv, PoolGeometry pool) =>
        checked(FloatMasksOffset(conv) + ToLine(Math.Max(PoolRowLength(conv, pool), 4 * GroupRowMaskWords(conv) + 1)));

    /// <summary>Words of one kind of row mask (fire or NaN) for every conv row of a channel group.</summary>
    private static int GroupRowMaskWords(BinaryConvGeometry conv) =>
        BinaryArgs.Product("row masks of a channel group", ChannelGroup, conv.OutHeight);

    internal static int PooledWords(BinaryConvGeometry conv, PoolGeometry pool) =>
        pool.OutputSize(conv.OutHeight) * pool.OutputSize(conv.OutWidth) * BitPacking.WordsFor(conv.OutChannels);

    /// <summary>Cells <see cref="WindowPooling.PoolPlane{T}"/> works in: the conv row with the pool padding on both sides, then its sliding maxima.</summary>
    internal static int PoolRowLength(BinaryConvGeometry conv, PoolGeometry pool) =>
        2 * (conv.OutWidth + 2 * pool.Padding) - pool.Kernel + 1;

    /// <summary>Length of the packed block output for <paramref name="conv"/> followed by <paramref name="pool"/>.</summary>
    internal static int OutputLength(BinaryConvGeometry conv, PoolGeometry pool)
    {
        BinaryConv2d.CheckGeometry(conv);
        CheckPool(pool);
        return BinaryArgs.Product("block output", conv.Batch, pool.OutputSize(conv.OutHeight), pool.OutputSize(conv.OutWidth),
            BitPacking.WordsFor(conv.OutChannels));
    }

    internal static void CheckPool(PoolGeometry pool)
    {
        if (pool.Kernel == 0)
            throw new ArgumentException("pool is uninitialised (default); build it with its constructor.", nameof(pool));
    }

    internal static void CheckOutput(BinaryConvGeometry conv, PoolGeometry pool, int thresholdCount, Span<ulong> output)
    {
        if (thresholdCount != conv.OutChannels)
            throw new ArgumentException(
                $"thresholds has {thresholdCount} entries but the conv has {conv.OutChannels} output channels.", "thresholds");
        var length = OutputLength(conv, pool);
        BinaryArgs.Length(output, length, nameof(output),
            "(N={0}, Hp={1}, Wp={2}, words={3})", conv.Batch, pool.OutputSize(conv.OutHeight), pool.OutputSize(conv.OutWidth), BitPacking.WordsFor(conv.OutChannels));
    }

    /// <summary>Scratch floats of the split-sum shortcut's row sums H <c>(Cin, H + 2p, Wo)</c> (see <see cref="SplitSumPlan"/>).</summary>
    internal static int SumsLength(BinaryConvGeometry conv) =>
        BinaryArgs.Product("row sums", conv.InChannels, conv.Height + 2 * conv.Padding, conv.OutWidth);

    /// <summary>Floats of one zero-padded input image <c>(Cin, H + 2p, W + 2p)</c>.</summary>
    internal static int PaddedImageLength(BinaryConvGeometry g) =>
        BinaryArgs.Product("zero-padded input", g.InChannels, g.Height + 2 * g.Padding, g.Width + 2 * g.Padding);

    internal static void CheckInputs(ReadOnlySpan<float> input, ReadOnlySpan<ulong> weights, ReadOnlySpan<float> bias,
        BinaryConvGeometry geometry)
    {
        BinaryConv2d.CheckGeometry(geometry);
        BinaryArgs.Length(input, geometry.InputLength, nameof(input),
            "(N={0}, C={1}, H={2}, W={3})", geometry.Batch, geometry.InChannels, geometry.Height, geometry.Width);
        BinaryConv2d.CheckWeights(weights, geometry);
        BinaryArgs.Length(bias, geometry.OutChannels, nameof(bias), "(Cout={0})", geometry.OutChannels);
    }

    internal static void CheckPrepared(ReadOnlySpan<float> input, FloatBinaryConvWeights weights, ReadOnlySpan<float> bias,
        BinaryConvGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(weights);
        BinaryConv2d.CheckGeometry(geometry);
        weights.CheckMatches(geometry, nameof(weights));
        CheckInputs(input, weights.Words, bias, geometry);
    }

    internal static void CheckScratch(int actual, int needed)
    {
        if (actual < needed)
            throw new ArgumentException($"scratch has {actual} elements but the call needs at least {needed}.", "scratch");
    }
}

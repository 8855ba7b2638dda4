namespace Ddnn.Kernels.Binary;

/// <summary>
/// A float-input eBNN block — <see cref="EbnnBlock"/>'s FloatConvPoolSign — with its weights, bias, thresholds
/// and shapes checked and prepared once, so a run only checks its three span lengths: for per-sample deployment, where
/// re-validating geometries on every call costs as much as a fair part of the block itself.
/// </summary>
public sealed class PreparedFloatBlock
{
    private readonly FloatBinaryConvWeights _weights;
    private readonly float[] _bias;
    private readonly FloatSignThreshold[] _thresholds;
    private readonly FloatBlockLayout _layout;
    private readonly SplitSumPlan? _splitSums;

    /// <summary>
    /// Checks everything as <see cref="EbnnBlock.FloatConvPoolSign(ReadOnlySpan{float}, FloatBinaryConvWeights, ReadOnlySpan{float}, BinaryConvGeometry, PoolGeometry, ReadOnlySpan{FloatSignThreshold}, Span{ulong}, Span{float})"/>
    /// does and copies <paramref name="bias"/> and <paramref name="thresholds"/> (later changes to the caller's
    /// arrays do not reach the block).
    /// </summary>
    internal PreparedFloatBlock(FloatBinaryConvWeights weights, ReadOnlySpan<float> bias, ReadOnlySpan<FloatSignThreshold> thresholds,
        BinaryConvGeometry conv, PoolGeometry pool)
    {
        ArgumentNullException.ThrowIfNull(weights);
        BinaryConv2d.CheckGeometry(conv);
        weights.CheckMatches(conv, nameof(weights));
        BinaryArgs.Length(bias, conv.OutChannels, nameof(bias), "(Cout={0})", conv.OutChannels);
        if (thresholds.Length != conv.OutChannels)
            throw new ArgumentException(
                $"thresholds has {thresholds.Length} entries but the conv has {conv.OutChannels} output channels.", nameof(thresholds));
        OutputLength = BlockSizes.OutputLength(conv, pool);
        ScratchLength = BlockSizes.FloatScratchLength(conv, pool);
        InputLength = conv.InputLength;
        _weights = weights;
        _bias = bias.ToArray();
        _thresholds = thresholds.ToArray();
        _layout = new FloatBlockLayout(conv, pool);
        _splitSums = SplitSumPlan.TryCreate(_layout, weights.SignMasks, _bias, _thresholds);
    }

    /// <summary>
    /// True when some channel group can take the split-sum shortcut (stride 1, rows of at most 64 cells with the pool
    /// padding, one-sided tests with finite bounds and biases, |bound| + |bias| ≤ 1e30): same bits as the exact
    /// summation order, about a third of the additions, see <see cref="Run(ReadOnlySpan{float}, Span{ulong}, Span{float})"/>.
    /// </summary>
    internal bool UsesSplitSums => _splitSums is not null;

    /// <summary>Floats of the NCHW input <c>(N, Cin, H, W)</c>.</summary>
    public int InputLength { get; }

    /// <summary>Words of the packed output <c>(N, Hp, Wp, WordsFor(Cout))</c>.</summary>
    public int OutputLength { get; }

    /// <summary>Scratch floats a run needs (<see cref="EbnnBlock.FloatScratchLength"/>).</summary>
    public int ScratchLength { get; }

    /// <summary>
    /// Float input → packed signs, bit for bit as <see cref="EbnnBlock"/>'s FloatConvPoolSign; allocates nothing.
    /// Channel groups that can (<see cref="UsesSplitSums"/>) are first thresholded from split sums (shared window sums
    /// plus each channel's minority taps), which round differently from the documented order; every cell must clear a
    /// proven error margin from its bound, otherwise the group is recomputed in the exact order, so the bits never
    /// differ. Returns how many (image, channel group) units tried the shortcut and how many were recomputed that way
    /// (0 on most inputs).
    /// </summary>
    public FloatBlockStats Run(ReadOnlySpan<float> input, Span<ulong> output, Span<float> scratch) => Run(input, output, scratch, default);

    /// <summary>
    /// As <see cref="Run(ReadOnlySpan{float}, Span{ulong}, Span{float})"/>, and also writes the output in the tight
    /// packing (<see cref="TightPacking"/>, <see cref="TightLength"/> words) into <paramref name="tight"/> — what a
    /// binary exit reads —, straight from the pooled bits where it can (four channels on the device map; counted in
    /// <see cref="FloatBlockStats.TightMapsFromPooling"/>).
    /// </summary>
    public FloatBlockStats Run(ReadOnlySpan<float> input, Span<ulong> output, Span<float> scratch, Span<ulong> tight)
    {
        if (input.Length != InputLength)
            throw new ArgumentException($"input has {input.Length} floats, expected {InputLength}.", nameof(input));
        if (output.Length != OutputLength)
            throw new ArgumentException($"output has {output.Length} words, expected {OutputLength}.", nameof(output));
        if (!tight.IsEmpty && tight.Length != TightLength)
            throw new ArgumentException($"tight has {tight.Length} words, expected {TightLength}.", nameof(tight));
        BlockSizes.CheckScratch(scratch.Length, ScratchLength);
        return BlockDriver.FloatBlock(input, _weights.SignMasks, _bias, in _layout, _thresholds, output, scratch, _splitSums, tight);
    }

    /// <summary>Words of the tight packing of the output <c>(N, ceil(Hp·Wp·Cout / 64))</c>.</summary>
    public int TightLength => _layout.Conv.Batch * _layout.TightWords;
}

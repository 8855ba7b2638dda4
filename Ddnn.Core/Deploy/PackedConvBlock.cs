using System.Runtime.InteropServices;
using Ddnn.Core.Model;
using Ddnn.Kernels.Binary;

namespace Ddnn.Core.Deploy;

/// <summary>
/// One exported eBNN block for a single sample: conv 3x3 s1 p1 with packed ±1 weights → max-pool → batch norm + sign
/// folded into thresholds → NHWC-packed output bits <c>(Hp, Wp, WordsFor(OutChannels))</c>.
/// </summary>
/// <remarks>
/// A float-input block (first device layer, or the first block after an AP fusion) keeps its float bias and float
/// thresholds and runs the fused <c>EbnnBlock.FloatConvPoolSign</c>; a binary-input block has integer thresholds (bias
/// folded in) and runs <c>EbnnBlock.BinaryConvPoolSign</c>, or, when some input channels are zeros (a CC slot of
/// an absent device), the average of two binary convs (zeros read as +1 and as −1), which is the exact integer sum over
/// the real channels. The weights are prepared once here (sign masks, tap popcounts; a float-input block prepares the
/// whole fused kernel, shapes checked once, as a <see cref="PreparedFloatBlock"/>). <c>Run</c> takes a scratch span (at
/// least <see cref="ScratchWords"/> words, owned by the caller), allocates nothing and is safe on several threads with
/// separate scratch. <see cref="RunWithZeros"/> keeps accumulators in the instance: one thread at a time.
/// </remarks>
public sealed class PackedConvBlock
{
    private readonly BinaryConvGeometry _conv;
    private readonly PoolGeometry _pool;
    private readonly PreparedFloatBlock? _floatBlock;
    private readonly BinaryConvWeights? _binaryWeights;
    private int[]? _plusAcc, _minusAcc;

    /// <summary>Creates a block and checks every array against the shapes.</summary>
    /// <exception cref="ArgumentException">An array does not fit the shapes, or a float-input block lacks its bias/thresholds.</exception>
    public PackedConvBlock(int inChannels, int outChannels, int height, int width, PoolSpec pool, ulong[] weights,
        SignThreshold[]? thresholds, float[]? bias, FloatSignThreshold[]? floatThresholds)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(weights);
        _conv = new BinaryConvGeometry(1, inChannels, height, width, outChannels, 3, 3, 1, 1);
        _pool = new PoolGeometry(pool.Kernel, pool.Stride, pool.Pad);
        OutHeight = _pool.OutputSize(_conv.OutHeight);
        OutWidth = _pool.OutputSize(_conv.OutWidth);
        if (weights.Length != _conv.PackedWeightsLength)
            throw new ArgumentException($"packed weights have {weights.Length} words; ({outChannels}, 3, 3, {_conv.WordsPerPixel}) needs {_conv.PackedWeightsLength}.", nameof(weights));
        FloatInput = floatThresholds is not null;
        if (FloatInput)
        {
            if (bias is null || bias.Length != outChannels)
                throw new ArgumentException($"a float-input block needs {outChannels} biases, got {bias?.Length ?? 0}.", nameof(bias));
            if (floatThresholds!.Length != outChannels)
                throw new ArgumentException($"float thresholds: {floatThresholds.Length} given, {outChannels} channels.", nameof(floatThresholds));
        }
        else if (thresholds is null || thresholds.Length != outChannels)
            throw new ArgumentException($"integer thresholds: {thresholds?.Length ?? 0} given, {outChannels} channels.", nameof(thresholds));
        InChannels = inChannels;
        OutChannels = outChannels;
        Height = height;
        Width = width;
        Pool = pool;
        Weights = weights;
        Thresholds = thresholds ?? [];
        Bias = bias ?? [];
        FloatThresholds = floatThresholds ?? [];
        if (FloatInput)
        {
            _floatBlock = EbnnBlock.PrepareFloat(new FloatBinaryConvWeights(weights, outChannels, inChannels, 3, 3), bias,
                floatThresholds, _conv, _pool);
            ScratchWords = (_floatBlock.ScratchLength + 1) / 2;
        }
        else
        {
            _binaryWeights = new BinaryConvWeights(weights, outChannels, inChannels, 3, 3);
            ScratchWords = EbnnBlock.BinaryScratchLength(_conv, _pool);
        }
    }

    /// <summary>Input channels (float planes, or bits per pixel of a packed input).</summary>
    public int InChannels { get; }
    /// <summary>Conv filters, i.e. bits per pixel of the packed output.</summary>
    public int OutChannels { get; }

    /// <summary>Input height.</summary>
    public int Height { get; }

    /// <summary>Input width.</summary>
    public int Width { get; }

    /// <summary>The max-pool window applied after the conv.</summary>
    public PoolSpec Pool { get; }
    /// <summary>Output height after the conv (same size) and the pool.</summary>
    public int OutHeight { get; }
    /// <summary>Output width after the conv (same size) and the pool.</summary>
    public int OutWidth { get; }

    /// <summary>True when the block reads float NCHW input (bias and float thresholds); false for packed ±1 input.</summary>
    public bool FloatInput { get; }

    /// <summary>Packed ±1 weights <c>(OutChannels, 3, 3, WordsFor(InChannels))</c>.</summary>
    public ulong[] Weights { get; }

    /// <summary>Integer thresholds (binary input; conv bias folded in), else empty.</summary>
    public SignThreshold[] Thresholds { get; }

    /// <summary>Conv bias (float input only), else empty.</summary>
    public float[] Bias { get; }

    /// <summary>Float thresholds on conv output + bias (float input only), else empty.</summary>
    public FloatSignThreshold[] FloatThresholds { get; }

    /// <summary>Words of the packed input <c>(H, W, WordsFor(InChannels))</c>.</summary>
    public int InputWords => Height * Width * _conv.WordsPerPixel;

    /// <summary>Words of the packed output <c>(OutHeight, OutWidth, WordsFor(OutChannels))</c>.</summary>
    public int OutputWords => OutHeight * OutWidth * BitPacking.WordsFor(OutChannels);

    /// <summary>Bytes of parameters as stored: packed weights, thresholds (4 bytes each) or bias + float thresholds.</summary>
    public long ParameterBytes => Weights.Length * 8L + (FloatInput ? OutChannels * 8L : OutChannels * 4L);

    /// <summary>Bits of the parameters stored tight: one per weight, 32 per threshold (and per bias for float input).</summary>
    public long TightBits => (long)OutChannels * InChannels * 9 + (FloatInput ? 64L : 32L) * OutChannels;

    /// <summary>Scratch words one run needs (kernel scratch: padded input or conv accumulators, conv planes, pool rows).</summary>
    public int ScratchWords { get; }

    /// <summary>
    /// The per-run memory of a chain of <paramref name="blocks"/>: one output array per block and one scratch array
    /// large enough for any of them (the blocks run one after another).
    /// </summary>
    internal static (ulong[][] Outputs, ulong[] Scratch) AllocateChain(PackedConvBlock[] blocks)
    {
        var outputs = new ulong[blocks.Length][];
        var scratch = 0;
        for (var k = 0; k < blocks.Length; k++)
        {
            outputs[k] = new ulong[blocks[k].OutputWords];
            scratch = Math.Max(scratch, blocks[k].ScratchWords);
        }
        return (outputs, new ulong[scratch]);
    }

    /// <summary>Peak scratch bytes of one run beyond input and output.</summary>
    public long ScratchBytes => 8L * ScratchWords;

    /// <summary>Float NCHW input <c>(InChannels, H, W)</c> → packed output bits; <paramref name="scratch"/> holds at least <see cref="ScratchWords"/> words.</summary>
    /// <returns>What the float block did besides its bits: split-sum groups tried and recomputed, tight map written (see <see cref="PreparedFloatBlock.Run(ReadOnlySpan{float}, Span{ulong}, Span{float}, Span{ulong})"/>).</returns>
    public FloatBlockStats Run(ReadOnlySpan<float> input, Span<ulong> output, Span<ulong> scratch) => Run(input, output, scratch, default);

    /// <summary>
    /// As <see cref="Run(ReadOnlySpan{float}, Span{ulong}, Span{ulong})"/>, also writing the output's tight packing
    /// (<see cref="TightWords"/> words, what a binary exit reads) into <paramref name="tight"/>.
    /// </summary>
    public FloatBlockStats Run(ReadOnlySpan<float> input, Span<ulong> output, Span<ulong> scratch, Span<ulong> tight)
    {
        if (!FloatInput) throw new InvalidOperationException("this block reads packed ±1 input, not floats.");
        return _floatBlock!.Run(input, output, MemoryMarshal.Cast<ulong, float>(scratch), tight);
    }

    /// <summary>Words of the output in the tight packing (<see cref="TightPacking"/>).</summary>
    public int TightWords => TightPacking.Words(OutHeight * OutWidth, OutChannels);

    /// <summary>Packed ±1 input → packed output bits; <paramref name="scratch"/> holds at least <see cref="ScratchWords"/> words.</summary>
    public void Run(ReadOnlySpan<ulong> input, Span<ulong> output, Span<ulong> scratch)
    {
        if (FloatInput) throw new InvalidOperationException("this block reads float input, not packed bits.");
        EbnnBlock.BinaryConvPoolSign(input, _binaryWeights!, _conv, _pool, Thresholds, output, scratch);
    }

    /// <summary>
    /// Input with zero channels: <paramref name="zerosAsPlus"/> and <paramref name="zerosAsMinus"/> are the same packed
    /// map with the zero channels set to +1 and to −1; the accumulator is their average (exact).
    /// </summary>
    internal void RunWithZeros(ReadOnlySpan<ulong> zerosAsPlus, ReadOnlySpan<ulong> zerosAsMinus, Span<ulong> output)
    {
        if (FloatInput) throw new InvalidOperationException("this block reads float input, not packed bits.");
        if (output.Length != OutputWords)
            throw new ArgumentException($"output has {output.Length} words, expected {OutputWords}.", nameof(output));
        _plusAcc ??= new int[_conv.OutputLength];
        _minusAcc ??= new int[_conv.OutputLength];
        BinaryConv2d.Forward(zerosAsPlus, _binaryWeights!, _conv, _plusAcc);
        BinaryConv2d.Forward(zerosAsMinus, _binaryWeights!, _conv, _minusAcc);
        for (var i = 0; i < _plusAcc.Length; i++) _plusAcc[i] = (_plusAcc[i] + _minusAcc[i]) / 2;
        PoolThreshold(_plusAcc, output);
    }

    /// <summary>Max-pool (−∞ padding) of int accumulators (Cout, Ho, Wo), then the thresholds, packed NHWC.</summary>
    private void PoolThreshold(ReadOnlySpan<int> acc, Span<ulong> output)
    {
        output.Clear();
        int ho = _conv.OutHeight, wo = _conv.OutWidth, words = BitPacking.WordsFor(OutChannels);
        for (var c = 0; c < OutChannels; c++)
        {
            var plane = acc.Slice(c * ho * wo, ho * wo);
            for (var py = 0; py < OutHeight; py++)
            for (var px = 0; px < OutWidth; px++)
            {
                var max = int.MinValue;
                for (var ky = 0; ky < _pool.Kernel; ky++)
                {
                    var y = py * _pool.Stride - _pool.Padding + ky;
                    if ((uint)y >= (uint)ho) continue;
                    for (var kx = 0; kx < _pool.Kernel; kx++)
                    {
                        var x = px * _pool.Stride - _pool.Padding + kx;
                        if ((uint)x < (uint)wo) max = Math.Max(max, plane[y * wo + x]);
                    }
                }
                if (Thresholds[c].Fires(max))
                    output[(py * OutWidth + px) * words + (c >> 6)] |= 1UL << (c & 63);
            }
        }
    }
}

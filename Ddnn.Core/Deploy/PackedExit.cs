using System.Runtime.CompilerServices;
using Ddnn.Kernels.Binary;

namespace Ddnn.Core.Deploy;

/// <summary>
/// An exported exit (BinaryLinearBN) for one sample: ±1 weights over a (Channels, Height, Width) input, float bias,
/// and the eval batch norm as the graph computes it: logit = ((float)acc + bias)·Scale + Shift.
/// </summary>
/// <remarks>
/// The BN is not folded into the accumulator: evaluating the graph's own float expression on the exact integer
/// accumulator gives the graph's logits bit for bit on packed input (so exit decisions match), where a folded
/// scale/offset would be off by rounding. Weights are packed like a conv kernel covering the whole map,
/// <c>(Classes, Height, Width, WordsFor(Channels))</c>, so they line up with NHWC-packed maps; a vector input is a
/// 1x1 map.
/// </remarks>
public sealed class PackedExit
{
    /// <summary>Largest tight row the packed run repacks on the stack; wider exits dot the NHWC rows directly.</summary>
    private const int MaxStackTightWords = 512;

    /// <summary>Most classes whose popcounts a packed run keeps on the stack.</summary>
    private const int MaxStackClasses = 1024;

    private readonly int _wordsPerPixel;
    private readonly int _tightRowWords;
    private readonly ulong[]? _tightWeights;

    /// <summary>Creates an exit and checks the arrays against the shapes.</summary>
    public PackedExit(int channels, int height, int width, int classes, ulong[] weights, float[] bias, EvalBatchNorm[] norm)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(bias);
        ArgumentNullException.ThrowIfNull(norm);
        _wordsPerPixel = BitPacking.WordsFor(channels);
        var expected = (long)classes * height * width * _wordsPerPixel;
        if (weights.Length != expected)
            throw new ArgumentException($"exit weights have {weights.Length} words; ({classes}, {height}, {width}, {_wordsPerPixel}) needs {expected}.", nameof(weights));
        if (bias.Length != classes) throw new ArgumentException($"exit bias has {bias.Length} values, expected {classes}.", nameof(bias));
        if (norm.Length != classes) throw new ArgumentException($"exit batch norm has {norm.Length} channels, expected {classes}.", nameof(norm));
        Channels = channels;
        Height = height;
        Width = width;
        Classes = classes;
        Weights = weights;
        Bias = bias;
        Norm = norm;
        _tightRowWords = TightPacking.Words(height * width, channels);
        if (_tightRowWords < RowWords && _tightRowWords <= MaxStackTightWords)
        {
            _tightWeights = new ulong[classes * _tightRowWords];
            for (var j = 0; j < classes; j++)
                TightPacking.Tighten(weights.AsSpan(j * RowWords, RowWords), height * width, channels,
                    _tightWeights.AsSpan(j * _tightRowWords, _tightRowWords));
        }
    }

    /// <summary>Channels of the input map (bits per packed pixel).</summary>
    public int Channels { get; }
    /// <summary>Height of the input map (1 for a vector input).</summary>
    public int Height { get; }
    /// <summary>Width of the input map (1 for a vector input).</summary>
    public int Width { get; }
    /// <summary>Number of output logits, one per class (at least 2).</summary>
    public int Classes { get; }

    /// <summary>Packed ±1 weights <c>(Classes, Height, Width, WordsFor(Channels))</c>.</summary>
    public ulong[] Weights { get; }

    /// <summary>Float bias per class, added to the integer accumulator before the batch norm.</summary>
    public float[] Bias { get; }

    /// <summary>The eval batch norm per class.</summary>
    public EvalBatchNorm[] Norm { get; }

    /// <summary>Input features C·H·W.</summary>
    public int Features => Channels * Height * Width;

    /// <summary>Words of one class's weights (and of a packed input map).</summary>
    public int RowWords => Height * Width * _wordsPerPixel;

    /// <summary>Bytes of parameters: packed weights, bias, BN scale and shift.</summary>
    public long ParameterBytes => Weights.Length * 8L + Classes * 12L;

    /// <summary>Bits of the parameters stored tight: one per weight, 96 per class (bias, BN scale and shift).</summary>
    public long TightBits => (long)Classes * Features + 96L * Classes;

    /// <summary>Logits from a packed ±1 map <c>(Height, Width, WordsFor(Channels))</c>.</summary>
    [SkipLocalsInit] // the tight map is written in full before it is read
    public void Run(ReadOnlySpan<ulong> map, Span<float> logits)
    {
        CheckIo(map.Length, logits.Length);
        if (_tightWeights is null)
        {
            for (var j = 0; j < Classes; j++)
            {
                var acc = Features - 2 * BinaryDot.XorPopCount(map, Weights.AsSpan(j * RowWords, RowWords));
                logits[j] = Logit(j, acc);
            }
            return;
        }
        // Channels fill only part of each pixel's words: repack the map tight (bit p·C + c, like the weights were at
        // construction), so each class needs WordsFor(C·H·W) popcounts instead of H·W·WordsFor(C).
        Span<ulong> tight = stackalloc ulong[_tightRowWords];
        TightPacking.Tighten(map, Height * Width, Channels, tight);
        RunTightUnchecked(tight, logits);
    }

    /// <summary>True when <see cref="RunTight"/> applies: the exit repacks its input tight.</summary>
    internal bool ReadsTight => _tightWeights is not null;

    /// <summary>Words of the tight map <see cref="RunTight"/> reads.</summary>
    internal int TightRowWords => _tightRowWords;

    /// <summary>Logits from the map already in the tight packing (bit p·C + c), as a fused first block can write it.</summary>
    internal void RunTight(ReadOnlySpan<ulong> tight, Span<float> logits)
    {
        if (!ReadsTight) throw new InvalidOperationException("this exit reads the packed map directly, not a tight one.");
        if (tight.Length != _tightRowWords) throw new ArgumentException($"tight map has {tight.Length} words, expected {_tightRowWords}.", nameof(tight));
        if (logits.Length != Classes) throw new ArgumentException($"logits span has {logits.Length} slots, expected {Classes}.", nameof(logits));
        RunTightUnchecked(tight, logits);
    }

    [SkipLocalsInit] // the counts are written in full before they are read
    private void RunTightUnchecked(ReadOnlySpan<ulong> tight, Span<float> logits)
    {
        Span<int> differing = Classes <= MaxStackClasses ? stackalloc int[Classes] : new int[Classes];
        BinaryDot.XorPopCounts(tight, _tightWeights!, differing);
        var norm = Norm;
        var bias = Bias;
        var features = Features;
        for (var j = 0; j < differing.Length && j < norm.Length && j < bias.Length && j < logits.Length; j++)
            logits[j] = Logit(norm[j], bias[j], features - 2L * differing[j]);
    }

    /// <summary>Logits from a packed map with zero channels, given with the zeros read as +1 and as −1 (exact average).</summary>
    internal void RunWithZeros(ReadOnlySpan<ulong> zerosAsPlus, ReadOnlySpan<ulong> zerosAsMinus, Span<float> logits)
    {
        CheckIo(zerosAsPlus.Length, logits.Length);
        CheckIo(zerosAsMinus.Length, logits.Length);
        for (var j = 0; j < Classes; j++)
        {
            var row = Weights.AsSpan(j * RowWords, RowWords);
            var plus = Features - 2 * BinaryDot.XorPopCount(zerosAsPlus, row);
            var minus = Features - 2 * BinaryDot.XorPopCount(zerosAsMinus, row);
            logits[j] = Logit(j, (plus + minus) / 2);
        }
    }

    /// <summary>Logits from float input in NCHW (flattened C, H, W) order: Σ ±x in that order, then the bias.</summary>
    public void Run(ReadOnlySpan<float> input, Span<float> logits)
    {
        if (input.Length != Features) throw new ArgumentException($"exit input has {input.Length} values, expected {Features}.", nameof(input));
        if (logits.Length != Classes) throw new ArgumentException($"logits span has {logits.Length} slots, expected {Classes}.", nameof(logits));
        var pixels = Height * Width;
        for (var j = 0; j < Classes; j++)
        {
            var row = Weights.AsSpan(j * RowWords, RowWords);
            var sum = 0f;
            for (var c = 0; c < Channels; c++)
            for (var p = 0; p < pixels; p++)
            {
                var bit = (row[p * _wordsPerPixel + (c >> 6)] >> (c & 63)) & 1;
                var x = input[c * pixels + p];
                sum += bit != 0 ? x : -x;
            }
            logits[j] = Norm[j].Apply(sum + Bias[j]);
        }
    }

    /// <summary>Class <paramref name="j"/>'s logit for an integer accumulator <paramref name="acc"/> (Σ ±1·±1 over the input).</summary>
    internal float Logit(int j, long acc) => Logit(Norm[j], Bias[j], acc);

    private static float Logit(EvalBatchNorm norm, float bias, long acc) => norm.Apply((float)acc + bias);

    private void CheckIo(int mapWords, int logitCount)
    {
        if (mapWords != RowWords) throw new ArgumentException($"exit input map has {mapWords} words, expected {RowWords} ({Height}x{Width}x{_wordsPerPixel}).", "map");
        if (logitCount != Classes) throw new ArgumentException($"logits span has {logitCount} slots, expected {Classes}.", "logits");
    }
}

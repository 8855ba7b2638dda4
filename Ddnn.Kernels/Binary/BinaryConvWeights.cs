using System.Numerics;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// Packed binary conv weights <c>(Cout, kH, kW, WordsFor(Cin))</c> prepared once for <see cref="BinaryConv2d"/>: a private
/// copy of the words plus each tap's popcount (needed by the zero-padding correction), reused by every call.
/// </summary>
public sealed class BinaryConvWeights
{
    private readonly ulong[] _words;
    private readonly int[] _tapPopCounts;

    /// <summary>Copies <paramref name="packedWeights"/> (as made by <see cref="BitPacking.PackConvWeights"/>) and counts its taps.</summary>
    public BinaryConvWeights(ReadOnlySpan<ulong> packedWeights, int outChannels, int inChannels, int kernelH, int kernelW)
    {
        BinaryArgs.Positive(outChannels, nameof(outChannels));
        BinaryArgs.Positive(inChannels, nameof(inChannels));
        BinaryArgs.Positive(kernelH, nameof(kernelH));
        BinaryArgs.Positive(kernelW, nameof(kernelW));
        var words = BitPacking.WordsFor(inChannels);
        BinaryArgs.Length(packedWeights, BinaryArgs.Product("packed weights", outChannels, kernelH, kernelW, words),
            nameof(packedWeights), "(Cout={0}, kH={1}, kW={2}, words={3})", outChannels, kernelH, kernelW, words);
        OutChannels = outChannels;
        InChannels = inChannels;
        KernelH = kernelH;
        KernelW = kernelW;
        _words = packedWeights.ToArray();
        _tapPopCounts = new int[outChannels * kernelH * kernelW];
        CountTaps(packedWeights, words, _tapPopCounts);
    }

    /// <summary>Output channels (Cout).</summary>
    public int OutChannels { get; }
    /// <summary>Input channels (Cin).</summary>
    public int InChannels { get; }
    /// <summary>Kernel height (kH).</summary>
    public int KernelH { get; }
    /// <summary>Kernel width (kW).</summary>
    public int KernelW { get; }

    /// <summary>The packed words <c>(Cout, kH, kW, WordsFor(Cin))</c>.</summary>
    public ReadOnlySpan<ulong> Words => _words;

    /// <summary>Set bits of each packed tap, <c>(Cout, kH, kW)</c>.</summary>
    internal ReadOnlySpan<int> TapPopCounts => _tapPopCounts;

    /// <summary>Popcount of every tap of <paramref name="weights"/> (each <paramref name="words"/> words long).</summary>
    internal static void CountTaps(ReadOnlySpan<ulong> weights, int words, Span<int> tapPopCounts)
    {
        for (var t = 0; t < tapPopCounts.Length; t++)
        {
            var count = 0;
            foreach (var w in weights.Slice(t * words, words)) count += BitOperations.PopCount(w);
            tapPopCounts[t] = count;
        }
    }

    /// <summary>Throws unless these weights fit <paramref name="geometry"/>.</summary>
    internal void CheckMatches(BinaryConvGeometry geometry, string name) =>
        BinaryArgs.WeightsMatch(name, OutChannels, InChannels, KernelH, KernelW, geometry);
}

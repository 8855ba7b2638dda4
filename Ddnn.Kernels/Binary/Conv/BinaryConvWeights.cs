using System.Numerics;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// Packed binary conv weights <c>(Cout, kH, kW, WordsFor(Cin))</c> prepared once for <see cref="BinaryConv2d"/>: a private
/// copy of the words plus each tap's popcount (needed by the zero-padding correction), reused by every call.
/// </summary>
public sealed class BinaryConvWeights : PreparedConvWeights
{
    private readonly int[] _tapPopCounts;

    /// <summary>Copies <paramref name="packedWeights"/> (as made by <see cref="BitPacking.PackConvWeights"/>) and counts its taps.</summary>
    public BinaryConvWeights(ReadOnlySpan<ulong> packedWeights, int outChannels, int inChannels, int kernelH, int kernelW)
        : base(packedWeights, outChannels, inChannels, kernelH, kernelW)
    {
        _tapPopCounts = new int[outChannels * kernelH * kernelW];
        CountTaps(packedWeights, BitPacking.WordsFor(inChannels), _tapPopCounts);
    }

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
}

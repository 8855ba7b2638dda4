namespace Ddnn.Kernels.Binary;

/// <summary>
/// Packed ±1 weights <c>(Cout, kH, kW, WordsFor(Cin))</c> of a float-input layer prepared once for
/// <see cref="EbnnBlock.FloatBinaryConv(ReadOnlySpan{float}, FloatBinaryConvWeights, ReadOnlySpan{float}, BinaryConvGeometry, Span{float}, Span{float})"/> and <see cref="EbnnBlock.FloatConvPoolSign(ReadOnlySpan{float}, FloatBinaryConvWeights, ReadOnlySpan{float}, BinaryConvGeometry, PoolGeometry, ReadOnlySpan{FloatSignThreshold}, Span{ulong}, Span{float})"/>:
/// a private copy of the words plus one float sign mask per weight (0 for +1, the sign bit for −1, in
/// <c>(Cout, Cin, kH, kW)</c> order), so a call only XORs inputs with ready masks.
/// </summary>
public sealed class FloatBinaryConvWeights : PreparedConvWeights
{
    private readonly uint[] _signMasks;

    /// <summary>Copies <paramref name="packedWeights"/> (as made by <see cref="BitPacking.PackConvWeights"/>) and builds the sign masks.</summary>
    public FloatBinaryConvWeights(ReadOnlySpan<ulong> packedWeights, int outChannels, int inChannels, int kernelH, int kernelW)
        : base(packedWeights, outChannels, inChannels, kernelH, kernelW)
    {
        _signMasks = new uint[BinaryArgs.Product("sign masks", outChannels, inChannels, kernelH, kernelW)];
        BuildSignMasks(packedWeights, outChannels, inChannels, kernelH * kernelW, _signMasks);
    }

    /// <summary>Sign masks <c>(Cout, Cin, kH, kW)</c>: 0 for a +1 weight, 0x8000_0000 (the float sign bit) for −1.</summary>
    internal ReadOnlySpan<uint> SignMasks => _signMasks;

    /// <summary>Per output channel and tap (ci, ky, kx order): 0 for a +1 weight, the float sign bit for −1.</summary>
    internal static void BuildSignMasks(ReadOnlySpan<ulong> weights, int outChannels, int inChannels, int taps, Span<uint> masks)
    {
        var words = BitPacking.WordsFor(inChannels);
        for (var co = 0; co < outChannels; co++)
        for (var ci = 0; ci < inChannels; ci++)
        for (var t = 0; t < taps; t++)
        {
            var bit = (weights[(co * taps + t) * words + (ci >> 6)] >> (ci & 63)) & 1UL;
            masks[(co * inChannels + ci) * taps + t] = bit != 0 ? 0u : 0x8000_0000u;
        }
    }
}

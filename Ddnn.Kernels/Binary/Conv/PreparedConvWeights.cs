namespace Ddnn.Kernels.Binary;

/// <summary>
/// Packed ±1 conv weights <c>(Cout, kH, kW, WordsFor(Cin))</c> checked and copied once, so that per-call kernels can
/// rely on their shape; subclasses add what their kernel derives from the words.
/// </summary>
public abstract class PreparedConvWeights
{
    private readonly ulong[] _words;

    /// <summary>Checks <paramref name="packedWeights"/> (as made by <see cref="BitPacking.PackConvWeights"/>) against the shape and copies it.</summary>
    protected PreparedConvWeights(ReadOnlySpan<ulong> packedWeights, int outChannels, int inChannels, int kernelH, int kernelW)
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

    /// <summary>Throws unless these weights fit <paramref name="geometry"/>.</summary>
    internal void CheckMatches(BinaryConvGeometry geometry, string name) =>
        BinaryArgs.WeightsMatch(name, OutChannels, InChannels, KernelH, KernelW, geometry);
}

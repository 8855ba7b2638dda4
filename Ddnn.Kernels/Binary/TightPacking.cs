namespace Ddnn.Kernels.Binary;

/// <summary>
/// Repacks NHWC-packed maps <c>(pixels, WordsFor(C))</c> into the tight order: bit p·C + c (channel c of pixel p), with
/// zero tail bits — the order of the wire feature message. When C is not a multiple of 64 the NHWC layout wastes the
/// tail of every pixel's last word (at C = 4 sixteen times the bits), so dot products over a whole map are cheaper tight.
/// </summary>
public static unsafe class TightPacking
{
    /// <summary>Words of a tight map of <paramref name="pixels"/> pixels of <paramref name="channels"/> channels: WordsFor(pixels·channels).</summary>
    public static int Words(int pixels, int channels)
    {
        BinaryArgs.NonNegative(pixels, nameof(pixels));
        BinaryArgs.Positive(channels, nameof(channels));
        return BitPacking.WordsFor(BinaryArgs.Product("tight map bits", pixels, channels));
    }

    /// <summary>
    /// Writes every word of <paramref name="tight"/> (<see cref="Words"/> long) from the NHWC-packed
    /// <paramref name="packed"/> (<c>pixels · WordsFor(channels)</c> words); tail bits of each pixel's last word are ignored.
    /// </summary>
    public static void Tighten(ReadOnlySpan<ulong> packed, int pixels, int channels, Span<ulong> tight)
    {
        var tightWords = Words(pixels, channels);
        var perPixel = BitPacking.WordsFor(channels);
        BinaryArgs.Length(packed, BinaryArgs.Product("packed map", pixels, perPixel), nameof(packed),
            "(pixels={0}, words={1})", pixels, perPixel);
        BinaryArgs.Length(tight, tightWords, nameof(tight), "(ceil({0}·{1} / 64))", pixels, channels);
        fixed (ulong* src = packed)
        fixed (ulong* dst = tight)
            Run(src, pixels, channels, dst, tightWords);
    }

    /// <summary>Unchecked <see cref="Tighten"/>: appends each pixel's channel words at bit p·C.</summary>
    internal static void Run(ulong* packed, int pixels, int channels, ulong* tight, int tightWords)
    {
        new Span<ulong>(tight, tightWords).Clear();
        var perPixel = (channels + 63) >> 6;
        var lastBits = channels - ((perPixel - 1) << 6);
        var lastMask = lastBits == 64 ? ulong.MaxValue : (1UL << lastBits) - 1;
        long position = 0;
        for (var p = 0; p < pixels; p++, packed += perPixel)
        for (var w = 0; w < perPixel; w++)
        {
            var count = w == perPixel - 1 ? lastBits : 64;
            var bits = w == perPixel - 1 ? packed[w] & lastMask : packed[w];
            var word = position >> 6;
            var offset = (int)(position & 63);
            tight[word] |= bits << offset;
            if (offset + count > 64) tight[word + 1] |= bits >> (64 - offset);
            position += count;
        }
    }
}

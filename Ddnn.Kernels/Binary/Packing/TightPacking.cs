using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
        var (tightWords, _) = CheckLengths(packed, tight, pixels, channels);
        fixed (ulong* src = packed)
        fixed (ulong* dst = tight)
            Run(src, pixels, channels, dst, tightWords, KernelDispatch.Active);
    }

    /// <summary>
    /// The inverse of <see cref="Tighten"/>: writes every word of the NHWC-packed <paramref name="packed"/>
    /// (<c>pixels · WordsFor(channels)</c> words) from <paramref name="tight"/> (<see cref="Words"/> long), with zero tail
    /// bits in each pixel's last word. Tight bits past pixels·channels are ignored.
    /// </summary>
    /// <remarks>
    /// A word-level shift per pixel word: decoding a feature message bit by bit cost the cloud a tenth of its time at
    /// 17,500 samples/s. Pixels read at most two tight words, so there is no vector path to twin.
    /// </remarks>
    public static void Loosen(ReadOnlySpan<ulong> tight, int pixels, int channels, Span<ulong> packed)
    {
        var (_, perPixel) = CheckLengths(packed, tight, pixels, channels);
        var lastBits = channels - ((perPixel - 1) << 6);
        long position = 0;
        var at = 0;
        for (var p = 0; p < pixels; p++)
        for (var w = 0; w < perPixel; w++, at++)
        {
            var count = w == perPixel - 1 ? lastBits : 64;
            var word = (int)(position >> 6);
            var offset = (int)(position & 63);
            var bits = tight[word] >> offset;
            if (offset + count > 64) bits |= tight[word + 1] << (64 - offset);
            packed[at] = count == 64 ? bits : bits & ((1UL << count) - 1);
            position += count;
        }
    }

    /// <summary>Checks the lengths of an NHWC-packed and a tight map of the same shape; their words per map and per pixel.</summary>
    private static (int TightWords, int PerPixel) CheckLengths(ReadOnlySpan<ulong> packed, ReadOnlySpan<ulong> tight, int pixels, int channels)
    {
        var tightWords = Words(pixels, channels);
        var perPixel = BitPacking.WordsFor(channels);
        BinaryArgs.Length(packed, BinaryArgs.Product("packed map", pixels, perPixel), nameof(packed),
            "(pixels={0}, words={1})", pixels, perPixel);
        BinaryArgs.Length(tight, tightWords, nameof(tight), "(ceil({0}·{1} / 64))", pixels, channels);
        return (tightWords, perPixel);
    }

    /// <summary>
    /// Unchecked <see cref="Tighten"/>. When C divides 64 (C ≤ 32), 64 / C whole pixels fill each tight word: the
    /// Avx512 path shifts eight pixels at a time by per-lane counts and ORs (C ≤ 8), the AVX2 path four (C ≤ 16), the
    /// scalar twin one pixel at a time; other channel counts append each pixel's words at bit p·C.
    /// </summary>
    internal static void Run(ulong* packed, int pixels, int channels, ulong* tight, int tightWords, KernelPath path)
    {
        if (channels <= 32 && 64 % channels == 0)
        {
            var perWord = 64 / channels;
            var fullWords = pixels / perWord;
            var done = path >= KernelPath.Avx512 && Avx512F.IsSupported && perWord >= 8
                ? Avx512Whole(packed, channels, perWord, tight, fullWords)
                : path >= KernelPath.Avx2 && Avx2.IsSupported && perWord >= 4
                ? Avx2Whole(packed, channels, perWord, tight, fullWords)
                : 0;
            var mask = (1UL << channels) - 1;
            for (var k = done; k < tightWords; k++)
            {
                ulong word = 0;
                var count = Math.Min(perWord, pixels - k * perWord);
                var src = packed + (long)k * perWord;
                for (var i = 0; i < count; i++) word |= (src[i] & mask) << (i * channels);
                tight[k] = word;
            }
            return;
        }
        Append(packed, pixels, channels, tight, tightWords);
    }

    /// <summary>The first <paramref name="words"/> tight words (each of <paramref name="perWord"/> ≥ 8 whole pixels, a multiple of 8) on Avx512; returns how many it wrote.</summary>
    private static int Avx512Whole(ulong* packed, int channels, int perWord, ulong* tight, int words)
    {
        var c = (ulong)channels;
        var mask = Vector512.Create((1UL << channels) - 1);
        var first = Vector512.Create(0UL, c, 2 * c, 3 * c, 4 * c, 5 * c, 6 * c, 7 * c);
        var step = Vector512.Create(8 * c);
        for (var k = 0; k < words; k++)
        {
            var src = packed + (long)k * perWord;
            var acc = Vector512<ulong>.Zero;
            var shifts = first;
            for (var i = 0; i < perWord; i += 8, shifts += step)
                acc |= Avx512F.ShiftLeftLogicalVariable(Vector512.Load(src + i) & mask, shifts);
            var quarter = acc.GetLower().GetLower() | acc.GetLower().GetUpper() | acc.GetUpper().GetLower() | acc.GetUpper().GetUpper();
            tight[k] = quarter.GetElement(0) | quarter.GetElement(1);
        }
        return words;
    }

    /// <summary>The first <paramref name="words"/> tight words (each of <paramref name="perWord"/> ≥ 4 whole pixels, a multiple of 4) on AVX2; returns how many it wrote.</summary>
    private static int Avx2Whole(ulong* packed, int channels, int perWord, ulong* tight, int words)
    {
        var mask = Vector256.Create((1UL << channels) - 1);
        var first = Vector256.Create(0UL, (ulong)channels, 2UL * (ulong)channels, 3UL * (ulong)channels);
        var step = Vector256.Create(4UL * (ulong)channels);
        for (var k = 0; k < words; k++)
        {
            var src = packed + (long)k * perWord;
            var acc = Vector256<ulong>.Zero;
            var shifts = first;
            for (var i = 0; i < perWord; i += 4, shifts += step)
                acc |= Avx2.ShiftLeftLogicalVariable(Vector256.Load(src + i) & mask, shifts);
            var half = acc.GetLower() | acc.GetUpper();
            tight[k] = half.GetElement(0) | half.GetElement(1);
        }
        return words;
    }

    /// <summary>Any channel count: appends each pixel's channel words at bit p·C.</summary>
    private static void Append(ulong* packed, int pixels, int channels, ulong* tight, int tightWords)
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

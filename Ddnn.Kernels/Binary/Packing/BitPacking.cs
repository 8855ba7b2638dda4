using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// Packs signs of float tensors into 64-bit words and back.
/// Bit meaning everywhere: bit 1 = +1 (the value was x ≥ 0, so −0.0 packs as +1), bit 0 = −1 (x &lt; 0 or NaN).
/// Bits run along channels: channel c lives in word c / 64, bit c % 64 (bit 0 = least significant);
/// unused tail bits of the last word are always zero, which the XOR-popcount kernels rely on
/// (a zero tail on both operands contributes no differing bits).
/// </summary>
/// <remarks>
/// Layouts (see docs/binary-layout.md):
/// activations are NHWC-packed, <c>(N, H, W, WordsFor(C))</c>;
/// conv weights are <c>(Cout, kH, kW, WordsFor(Cin))</c>;
/// GEMM operands are rows, <c>(rows, WordsFor(K))</c>.
/// </remarks>
public static unsafe class BitPacking
{
    /// <summary>Number of 64-bit words that hold <paramref name="bits"/> bits: ceil(bits / 64).</summary>
    public static int WordsFor(int bits)
    {
        BinaryArgs.NonNegative(bits, nameof(bits));
        return (int)(((long)bits + 63) >> 6);
    }

    /// <summary>The sign bit of one value: 1 for x ≥ 0 (including −0.0), 0 for x &lt; 0 and NaN.</summary>
    public static ulong SignBit(float x) => Unsafe.BitCast<bool, byte>(x >= 0f);

    /// <summary>
    /// Packs a float NCHW tensor <c>(batch, channels, height, width)</c> into NHWC-packed words
    /// <c>(batch, height, width, WordsFor(channels))</c>. Every word of <paramref name="packed"/> is written.
    /// </summary>
    public static void PackNchw(ReadOnlySpan<float> input, int batch, int channels, int height, int width, Span<ulong> packed)
    {
        var test = new NonNegativeTest();
        ThresholdPacking.Run(input, batch, channels, height, width, &test, 0, packed, nameof(input));
    }

    /// <summary>The sign rule as a range test: 0 ≤ x ≤ +∞ holds for x ≥ 0 (including −0.0) and fails for x &lt; 0 and NaN.</summary>
    private readonly struct NonNegativeTest : ISignTest<float>
    {
        public float Lower => 0f;
        public float Upper => float.PositiveInfinity;
    }

    /// <summary>
    /// Unpacks NHWC-packed words <c>(batch, height, width, WordsFor(channels))</c> into a float NCHW tensor of ±1.
    /// </summary>
    public static void UnpackToNchw(ReadOnlySpan<ulong> packed, int batch, int channels, int height, int width, Span<float> output)
    {
        CheckImage(batch, channels, height, width);
        var words = WordsFor(channels);
        BinaryArgs.Length(packed, BinaryArgs.Product("packed", batch, height, width, words), nameof(packed),
            "(N={0}, H={1}, W={2}, words={3})", batch, height, width, words);
        BinaryArgs.Length(output, BinaryArgs.Product("output", batch, channels, height, width), nameof(output),
            "({0}, {1}, {2}, {3})", batch, channels, height, width);

        var plane = height * width;
        for (var n = 0; n < batch; n++)
        {
            var image = packed.Slice(n * plane * words, plane * words);
            var outImage = output.Slice(n * channels * plane, channels * plane);
            for (var c = 0; c < channels; c++)
            {
                var target = outImage.Slice(c * plane, plane);
                var word = c >> 6;
                var shift = c & 63;
                for (var p = 0; p < plane; p++)
                    target[p] = ((image[p * words + word] >> shift) & 1UL) != 0 ? 1f : -1f;
            }
        }
    }

    /// <summary>
    /// Packs float conv weights <c>(outChannels, inChannels, kernelH, kernelW)</c> (the training layout) into
    /// <c>(outChannels, kernelH, kernelW, WordsFor(inChannels))</c>, matching NHWC-packed activations tap by tap.
    /// Also packs a linear layer that reads a packed feature map: use inChannels = C, kernelH = H, kernelW = W.
    /// </summary>
    public static void PackConvWeights(ReadOnlySpan<float> weights, int outChannels, int inChannels, int kernelH, int kernelW,
        Span<ulong> packed)
    {
        BinaryArgs.Positive(outChannels, nameof(outChannels));
        BinaryArgs.Positive(inChannels, nameof(inChannels));
        BinaryArgs.Positive(kernelH, nameof(kernelH));
        BinaryArgs.Positive(kernelW, nameof(kernelW));
        var words = WordsFor(inChannels);
        BinaryArgs.Length(weights, BinaryArgs.Product("weights", outChannels, inChannels, kernelH, kernelW), nameof(weights),
            "({0}, {1}, {2}, {3})", outChannels, inChannels, kernelH, kernelW);
        BinaryArgs.Length(packed, BinaryArgs.Product("packed", outChannels, kernelH, kernelW, words), nameof(packed),
            "(Cout={0}, kH={1}, kW={2}, words={3})", outChannels, kernelH, kernelW, words);

        packed.Clear();
        var taps = kernelH * kernelW;
        for (var o = 0; o < outChannels; o++)
        for (var c = 0; c < inChannels; c++)
        {
            var source = weights.Slice((o * inChannels + c) * taps, taps);
            var word = c >> 6;
            var shift = c & 63;
            for (var t = 0; t < taps; t++)
                packed[(o * taps + t) * words + word] |= SignBit(source[t]) << shift;
        }
    }

    /// <summary>Packs a row-major float matrix <c>(rows, bits)</c> into <c>(rows, WordsFor(bits))</c> for <see cref="BinaryGemm"/>.</summary>
    public static void PackRows(ReadOnlySpan<float> values, int rows, int bits, Span<ulong> packed)
    {
        BinaryArgs.Positive(rows, nameof(rows));
        BinaryArgs.Positive(bits, nameof(bits));
        var words = WordsFor(bits);
        BinaryArgs.Length(values, BinaryArgs.Product("values", rows, bits), nameof(values), "({0}, {1})", rows, bits);
        BinaryArgs.Length(packed, BinaryArgs.Product("packed", rows, words), nameof(packed), "(rows={0}, words={1})", rows, words);

        var path = KernelDispatch.Active;
        fixed (float* source = values)
        fixed (ulong* target = packed)
            for (var r = 0; r < rows; r++)
                PackRow(source + (long)r * bits, bits, target + (long)r * words, path);
    }

    /// <summary>
    /// One row's words. Whole words on the SIMD paths: x ≥ 0 compares of 16 (Avx512, a k-mask), 8 or 4 values whose
    /// lane bits are the word's next bits (an ordered compare: NaN is 0, −0.0 is 1, as <see cref="SignBit"/>); the
    /// last partial word, and every word on the scalar path, bit by bit.
    /// </summary>
    private static void PackRow(float* source, int bits, ulong* target, KernelPath path)
    {
        var whole = bits >> 6;
        var w = 0;
        if (path >= KernelPath.Avx512 && Vector512.IsHardwareAccelerated)
            for (; w < whole; w++)
            {
                var x = source + ((long)w << 6);
                target[w] = NonNegative(Vector512.Load(x)) | NonNegative(Vector512.Load(x + 16)) << 16
                    | NonNegative(Vector512.Load(x + 32)) << 32 | NonNegative(Vector512.Load(x + 48)) << 48;
            }
        else if (path >= KernelPath.Avx2 && Vector256.IsHardwareAccelerated)
            for (; w < whole; w++)
            {
                var x = source + ((long)w << 6);
                ulong word = 0;
                for (var i = 0; i < 64; i += 8)
                    word |= (ulong)Vector256.GreaterThanOrEqual(Vector256.Load(x + i), Vector256<float>.Zero).ExtractMostSignificantBits() << i;
                target[w] = word;
            }
        else if (path != KernelPath.Scalar && Vector128.IsHardwareAccelerated)
            for (; w < whole; w++)
            {
                var x = source + ((long)w << 6);
                ulong word = 0;
                for (var i = 0; i < 64; i += 4)
                    word |= (ulong)Vector128.GreaterThanOrEqual(Vector128.Load(x + i), Vector128<float>.Zero).ExtractMostSignificantBits() << i;
                target[w] = word;
            }
        for (; w < WordsFor(bits); w++)
        {
            var start = w << 6;
            var count = Math.Min(64, bits - start);
            ulong word = 0;
            for (var b = 0; b < count; b++)
                word |= SignBit(source[start + b]) << b;
            target[w] = word;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong NonNegative(Vector512<float> x) => Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero).ExtractMostSignificantBits();

    private static void CheckImage(int batch, int channels, int height, int width)
    {
        BinaryArgs.Positive(batch, nameof(batch));
        BinaryArgs.Positive(channels, nameof(channels));
        BinaryArgs.Positive(height, nameof(height));
        BinaryArgs.Positive(width, nameof(width));
    }
}

using System.Numerics;
using System.Runtime.CompilerServices;

namespace Ddnn.Kernels.Binary;

/// <summary>Per-channel thresholding of an NCHW tensor into NHWC-packed sign bits, shared by int and float thresholds.</summary>
internal static unsafe class ThresholdPacking
{
    public static void Apply<T, TTest>(ReadOnlySpan<T> values, int batch, int channels, int height, int width,
        ReadOnlySpan<TTest> thresholds, Span<ulong> packed, string valuesName)
        where T : unmanaged, IComparisonOperators<T, T, bool>
        where TTest : unmanaged, ISignTest<T>
    {
        BinaryArgs.Positive(batch, nameof(batch));
        BinaryArgs.Positive(channels, nameof(channels));
        BinaryArgs.Positive(height, nameof(height));
        BinaryArgs.Positive(width, nameof(width));
        var words = BitPacking.WordsFor(channels);
        BinaryArgs.Length(values, BinaryArgs.Product(valuesName, batch, channels, height, width), valuesName,
            $"({batch}, {channels}, {height}, {width})");
        BinaryArgs.Length(thresholds, channels, nameof(thresholds), $"(channels={channels})");
        BinaryArgs.Length(packed, BinaryArgs.Product(nameof(packed), batch, height, width, words), nameof(packed),
            $"(N={batch}, H={height}, W={width}, words={words})");

        var plane = height * width;
        fixed (T* pin = values)
        fixed (TTest* ptests = thresholds)
        fixed (ulong* pout = packed)
            for (var n = 0; n < batch; n++)
                PackImage(pin + (long)n * channels * plane, ptests, channels, plane, pout + (long)n * plane * words);
    }

    /// <summary>Blocked like <see cref="BitPacking.PackNchw"/>: each channel plane is read sequentially, words built locally.</summary>
    private static void PackImage<T, TTest>(T* image, TTest* tests, int channels, int plane, ulong* packed)
        where T : unmanaged, IComparisonOperators<T, T, bool>
        where TTest : unmanaged, ISignTest<T>
    {
        var words = BitPacking.WordsFor(channels);
        var block = stackalloc ulong[BitPacking.PixelBlock];
        for (var p0 = 0; p0 < plane; p0 += BitPacking.PixelBlock)
        {
            var pixels = Math.Min(BitPacking.PixelBlock, plane - p0);
            for (var w = 0; w < words; w++)
            {
                new Span<ulong>(block, BitPacking.PixelBlock).Clear();
                var count = Math.Min(64, channels - (w << 6));
                for (var b = 0; b < count; b++)
                {
                    var c = (w << 6) + b;
                    T lower = tests[c].Lower, upper = tests[c].Upper;
                    var src = image + ((long)c * plane + p0);
                    for (var i = 0; i < pixels; i++)
                    {
                        var v = src[i];
                        // Non-short-circuit & and a bool-to-byte cast keep this branch-free; IEEE: NaN never fires.
                        var fires = (v >= lower) & (v <= upper);
                        block[i] |= (ulong)Unsafe.BitCast<bool, byte>(fires) << b;
                    }
                }
                for (var i = 0; i < pixels; i++) packed[(long)(p0 + i) * words + w] = block[i];
            }
        }
    }
}

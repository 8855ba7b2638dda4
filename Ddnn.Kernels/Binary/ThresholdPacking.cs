using System.Numerics;

namespace Ddnn.Kernels.Binary;

/// <summary>Per-channel thresholding of an NCHW tensor into NHWC-packed sign bits, shared by int and float thresholds.</summary>
internal static class ThresholdPacking
{
    public static void Apply<T, TTest>(ReadOnlySpan<T> values, int batch, int channels, int height, int width,
        ReadOnlySpan<TTest> thresholds, Span<ulong> packed, string valuesName)
        where T : unmanaged, IComparisonOperators<T, T, bool>
        where TTest : ISignTest<T>
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

        packed.Clear();
        var plane = height * width;
        for (var n = 0; n < batch; n++)
        {
            var outImage = packed.Slice(n * plane * words, plane * words);
            for (var c = 0; c < channels; c++)
            {
                var source = values.Slice((n * channels + c) * plane, plane);
                T lower = thresholds[c].Lower, upper = thresholds[c].Upper;
                var word = c >> 6;
                var shift = c & 63;
                for (var p = 0; p < plane; p++)
                {
                    var v = source[p];
                    var fires = v >= lower && v <= upper; // IEEE comparisons: NaN never fires
                    outImage[p * words + word] |= (fires ? 1UL : 0UL) << shift;
                }
            }
        }
    }
}

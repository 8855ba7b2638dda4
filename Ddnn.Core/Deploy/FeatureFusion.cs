using Ddnn.Kernels.Binary;

namespace Ddnn.Core.Deploy;

/// <summary>
/// Fuses packed ±1 feature maps of several inputs (devices or edges) the way the training graph's aggregators do:
/// CC concatenates channels (an absent input's slot is zeros), MP is the element-wise max (OR of the bits of the
/// present inputs), AP the element-wise mean of the present inputs (float, computed like the graph: sum, then times 1/count).
/// </summary>
internal static class FeatureFusion
{
    /// <summary>
    /// Channel concatenation into <paramref name="plus"/> and <paramref name="minus"/> (absent slots read as +1 and as −1;
    /// identical when everything is present). Returns true when some input is absent.
    /// </summary>
    public static bool Concat(IReadOnlyList<ulong[]?> inputs, int[] channels, int pixels, Span<ulong> plus, Span<ulong> minus)
    {
        var total = 0;
        foreach (var c in channels) total += c;
        var words = BitPacking.WordsFor(total);
        plus.Clear();
        minus.Clear();
        var anyAbsent = false;
        var offset = 0;
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            var inWords = BitPacking.WordsFor(channels[i]);
            for (var w = 0; w < inWords; w++)
            {
                // Input word w holds channels [64w, 64w + bits) and lands at bit offset + 64w of the fused pixel.
                var bits = Math.Min(64, channels[i] - 64 * w);
                var valid = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
                var target = offset + 64 * w;
                for (var p = 0; p < pixels; p++)
                {
                    var value = input is null ? valid : input[p * inWords + w] & valid;
                    var pixel = p * words;
                    Or(plus, pixel, target, bits, value);
                    if (input is not null) Or(minus, pixel, target, bits, value);
                }
            }
            anyAbsent |= input is null;
            offset += channels[i];
        }
        return anyAbsent;
    }

    /// <summary>ORs the low <paramref name="bits"/> bits of <paramref name="value"/> into bits [target, target + bits) of the pixel starting at word <paramref name="pixel"/>.</summary>
    private static void Or(Span<ulong> map, int pixel, int target, int bits, ulong value)
    {
        var shift = target & 63;
        var word = pixel + (target >> 6);
        map[word] |= value << shift;
        if (shift != 0 && shift + bits > 64) map[word + 1] |= value >> (64 - shift);
    }

    /// <summary>Element-wise max of the present inputs: the OR of their bits.</summary>
    public static void Max(IReadOnlyList<ulong[]?> inputs, Span<ulong> output)
    {
        output.Clear();
        foreach (var input in inputs)
        {
            if (input is null) continue;
            for (var i = 0; i < output.Length; i++) output[i] |= input[i];
        }
    }

    /// <summary>Element-wise mean of the present inputs as float NCHW <c>(channels, pixels)</c>.</summary>
    public static void Mean(IReadOnlyList<ulong[]?> inputs, int channels, int pixels, Span<float> output)
    {
        var words = BitPacking.WordsFor(channels);
        var count = 0;
        foreach (var input in inputs) if (input is not null) count++;
        var inverse = 1f / count;
        for (var c = 0; c < channels; c++)
        for (var p = 0; p < pixels; p++)
        {
            var sum = 0;
            foreach (var input in inputs)
                if (input is not null) sum += ((input[p * words + (c >> 6)] >> (c & 63)) & 1UL) != 0 ? 1 : -1;
            output[c * pixels + p] = sum * inverse;
        }
    }
}

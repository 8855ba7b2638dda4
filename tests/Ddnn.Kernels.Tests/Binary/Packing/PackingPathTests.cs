using Ddnn.Kernels.Binary;

namespace Ddnn.Kernels.Tests.Binary;

/// <summary>Vector sign packing and thresholding against the scalar twin (and the per-element rule) on every path.</summary>
public class PackingPathTests
{
    /// <summary>(N, C, H, W): channel counts around word boundaries, odd planes shorter and longer than a vector block (4, 8 and 16 pixels).</summary>
    public static TheoryData<int, int, int, int> Shapes() => new()
    {
        { 1, 1, 3, 5 },
        { 2, 63, 5, 7 },
        { 2, 64, 4, 4 },
        { 1, 64, 32, 32 },
        { 1, 65, 7, 3 },
        { 3, 130, 5, 5 },
        { 2, 33, 17, 9 },
        { 1, 7, 1, 1 },
        { 2, 40, 4, 4 },
        { 1, 70, 1, 31 },
        { 2, 3, 3, 11 },
    };

    /// <summary>Each shape on every kernel path.</summary>
    public static IEnumerable<object[]> ShapesOnEveryPath() => KernelPathCases.OnEveryPath(Shapes());

    [SkippableTheory]
    [MemberData(nameof(ShapesOnEveryPath))]
    public void PackNchwMatchesTheSignRuleOnEveryPath(int n, int c, int h, int w, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var random = new Random(n * 7919 + c * 101 + h * 11 + w);
        var input = BinaryReference.RandomFloats(random, n * c * h * w);
        float[] specials = [-0f, 0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, -float.Epsilon, float.Epsilon];
        for (var i = 0; i < input.Length; i += 5) input[i] = specials[random.Next(specials.Length)];
        var words = BitPacking.WordsFor(c);
        var expected = new ulong[n * h * w * words];
        for (var b = 0; b < n; b++)
        for (var ch = 0; ch < c; ch++)
        for (var p = 0; p < h * w; p++)
            expected[(b * h * w + p) * words + ch / 64] |= BitPacking.SignBit(input[(b * c + ch) * h * w + p]) << (ch % 64);

        var packed = Enumerable.Repeat(0xDEADBEEFUL, expected.Length).ToArray();
        BitPacking.PackNchw(input, n, c, h, w, packed);
        AssertWords(expected, packed, $"PackNchw N={n} C={c} H={h} W={w}, path {path}");
    }

    [SkippableTheory]
    [MemberData(nameof(ShapesOnEveryPath))]
    public void SignThresholdApplyMatchesFiresOnEveryPath(int n, int c, int h, int w, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var random = new Random(n * 31 + c * 17 + h * 5 + w);
        var thresholds = new SignThreshold[c];
        for (var ch = 0; ch < c; ch++)
            thresholds[ch] = new SignThreshold(random.Next(-20, 21) switch
            {
                -20 => int.MinValue,
                20 => int.MaxValue,
                var t => t,
            }, (SignThresholdMode)random.Next(4));
        var acc = new int[n * c * h * w];
        for (var i = 0; i < acc.Length; i++)
            acc[i] = random.Next(12) switch { 0 => int.MinValue, 1 => int.MaxValue, _ => random.Next(-24, 25) };
        var expected = Expected(acc, n, c, h * w, ch => thresholds[ch].Fires);

        var packed = Enumerable.Repeat(ulong.MaxValue, expected.Length).ToArray();
        SignThreshold.Apply(acc, n, c, h, w, thresholds, packed);
        AssertWords(expected, packed, $"SignThreshold.Apply N={n} C={c} H={h} W={w}, path {path}");
    }

    [SkippableTheory]
    [MemberData(nameof(ShapesOnEveryPath))]
    public void FloatSignThresholdApplyMatchesFiresOnEveryPath(int n, int c, int h, int w, KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var random = new Random(n * 13 + c * 3 + h * 19 + w);
        var thresholds = new FloatSignThreshold[c];
        for (var ch = 0; ch < c; ch++)
        {
            var t = random.Next(8) switch
            {
                0 => float.NaN,
                1 => float.NegativeInfinity,
                2 => float.PositiveInfinity,
                _ => (float)(random.NextDouble() * 2 - 1),
            };
            thresholds[ch] = new FloatSignThreshold(t, random.Next(2) == 0);
        }
        var values = BinaryReference.RandomFloats(random, n * c * h * w);
        for (var i = 0; i < values.Length; i += 7) values[i] = random.Next(2) == 0 ? float.NaN : -0f;
        var expected = Expected(values, n, c, h * w, ch => thresholds[ch].Fires);

        var packed = new ulong[expected.Length];
        FloatSignThreshold.Apply(values, n, c, h, w, thresholds, packed);
        AssertWords(expected, packed, $"FloatSignThreshold.Apply N={n} C={c} H={h} W={w}, path {path}");
    }

    private static ulong[] Expected<T>(T[] values, int n, int c, int plane, Func<int, Func<T, bool>> fires)
    {
        var words = BitPacking.WordsFor(c);
        var expected = new ulong[n * plane * words];
        for (var b = 0; b < n; b++)
        for (var ch = 0; ch < c; ch++)
        {
            var test = fires(ch);
            for (var p = 0; p < plane; p++)
                if (test(values[(b * c + ch) * plane + p]))
                    expected[(b * plane + p) * words + ch / 64] |= 1UL << (ch % 64);
        }
        return expected;
    }

    private static void AssertWords(ulong[] expected, ulong[] actual, string what)
    {
        for (var i = 0; i < expected.Length; i++)
            Assert.True(expected[i] == actual[i], $"{what}: word {i} = {actual[i]:X16}, expected {expected[i]:X16}");
    }
}

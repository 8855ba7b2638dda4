using Ddnn.Kernels.Binary;

namespace Ddnn.Kernels.Tests.Binary;

/// <summary>The sign tests and their packing; the BN + sign fold that makes them is tested in Ddnn.Core.Tests (EvalBatchNormTests).</summary>
public class SignThresholdTests
{
    [SkippableTheory]
    [MemberData(nameof(KernelPaths.Every), MemberType = typeof(KernelPaths))]
    public void ApplyPacksPerChannelBitsNhwc(KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var random = new Random(33);
        const int batch = 2, channels = 67, height = 3, width = 7;
        var acc = new int[batch * channels * height * width];
        for (var i = 0; i < acc.Length; i++) acc[i] = random.Next(-20, 21);
        var thresholds = new SignThreshold[channels];
        for (var c = 0; c < channels; c++)
            thresholds[c] = new SignThreshold(random.Next(-5, 6), (SignThresholdMode)(c % 4));
        var packed = new ulong[batch * height * width * 2];
        SignThreshold.Apply(acc, batch, channels, height, width, thresholds, packed);
        var unpacked = new float[acc.Length];
        BitPacking.UnpackToNchw(packed, batch, channels, height, width, unpacked);
        for (var i = 0; i < acc.Length; i++)
            Assert.Equal(thresholds[i / (height * width) % channels].Fires(acc[i]) ? 1f : -1f, unpacked[i]);
    }

    [SkippableTheory]
    [MemberData(nameof(KernelPaths.Every), MemberType = typeof(KernelPaths))]
    public void FloatApplyPacksPerChannelBitsIncludingConstantAndNaNCases(KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        var random = new Random(34);
        const int batch = 2, channels = 66, height = 2, width = 11;
        var values = BinaryReference.RandomFloats(random, batch * channels * height * width, 4f);
        values[5] = float.NaN;
        var thresholds = new FloatSignThreshold[channels];
        for (var c = 0; c < channels; c++)
            thresholds[c] = (c % 4) switch
            {
                0 => new FloatSignThreshold((float)random.NextDouble() - 0.5f, false),
                1 => new FloatSignThreshold((float)random.NextDouble() - 0.5f, true),
                2 => new FloatSignThreshold(float.NaN, c % 8 == 2),
                _ => new FloatSignThreshold(float.NegativeInfinity, false),
            };
        var packed = new ulong[batch * height * width * 2];
        FloatSignThreshold.Apply(values, batch, channels, height, width, thresholds, packed);
        var unpacked = new float[values.Length];
        BitPacking.UnpackToNchw(packed, batch, channels, height, width, unpacked);
        for (var i = 0; i < values.Length; i++)
            Assert.Equal(thresholds[i / (height * width) % channels].Fires(values[i]) ? 1f : -1f, unpacked[i]);
    }

    [Fact]
    public void BadShapesAreRejected()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            SignThreshold.Apply(new int[12], 1, 2, 2, 3, new SignThreshold[1], new ulong[6]));
        Assert.Equal("thresholds", error.ParamName);
    }
}

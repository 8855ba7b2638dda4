using Ddnn.Kernels.Binary;

namespace Ddnn.Kernels.Tests.Binary;

public class SignThresholdTests
{
    [Fact]
    public void FoldedThresholdEqualsFloatBatchNormThenSignForEveryAccumulator()
    {
        var random = new Random(31);
        for (var trial = 0; trial < 400; trial++)
        {
            var scale = trial % 3 == 0 ? 1000f : 30f;
            var bn = BinaryReference.RandomBatchNorm(random, 7, scale);
            var c = trial % 7; // channel 0 has gamma = 0, channels 1 and 3 gamma < 0
            if (trial % 5 == 1) bn.Gamma[c] = -bn.Gamma[c] * 1e-3f;   // tiny magnitudes, steep rounding
            if (trial % 11 == 2) bn.Beta[c] = 0f;
            var t = SignThreshold.Fold(bn.Bias[c], bn.Gamma[c], bn.Beta[c], bn.Mean[c], bn.Variance[c], bn.Epsilon);

            bool Float(int acc) =>
                BatchNormSign.IsNonNegative((float)acc + bn.Bias[c], bn.Gamma[c], bn.Beta[c], bn.Mean[c], bn.Variance[c], bn.Epsilon);

            var limit = (int)scale * 3;
            for (var acc = -limit; acc <= limit; acc++)
                Assert.True(Float(acc) == t.Fires(acc), $"trial {trial}, {t}, acc {acc}: float says {Float(acc)}");
            if (t.Mode is SignThresholdMode.AtLeast or SignThresholdMode.AtMost)
                for (var acc = t.Threshold - 3; acc <= t.Threshold + 3; acc++)
                    Assert.Equal(Float(acc), t.Fires(acc));
        }
    }

    [Fact]
    public void GammaSignsPickTheMode()
    {
        Assert.Equal(SignThresholdMode.AtLeast, SignThreshold.Fold(0.5f, 2f, 0.1f, 3f, 4f).Mode);
        Assert.Equal(SignThresholdMode.AtMost, SignThreshold.Fold(0.5f, -2f, 0.1f, 3f, 4f).Mode);
        Assert.Equal(SignThresholdMode.AlwaysPlus, SignThreshold.Fold(0.5f, 0f, 0f, 3f, 4f).Mode);
        Assert.Equal(SignThresholdMode.AlwaysPlus, SignThreshold.Fold(0.5f, 0f, 0.2f, 3f, 4f).Mode);
        Assert.Equal(SignThresholdMode.AlwaysMinus, SignThreshold.Fold(0.5f, 0f, -0.2f, 3f, 4f).Mode);
        // x = acc + 0.5, y = (x - 3) / 2 · 2 + 0.1 ≥ 0 ⇔ acc ≥ 2.4 ⇔ acc ≥ 3
        Assert.Equal(new SignThreshold(3, SignThresholdMode.AtLeast), SignThreshold.Fold(0.5f, 2f, 0.1f, 3f, 4f, 0f));
        Assert.Equal(new SignThreshold(2, SignThresholdMode.AtMost), SignThreshold.Fold(0.5f, -2f, 0.1f, 3f, 4f, 0f));
    }

    [Fact]
    public void FloatThresholdEqualsFloatBatchNormThenSign()
    {
        var random = new Random(32);
        for (var trial = 0; trial < 300; trial++)
        {
            var bn = BinaryReference.RandomBatchNorm(random, 7, trial % 2 == 0 ? 5f : 200f);
            var c = trial % 7;
            var t = FloatSignThreshold.Fold(bn.Gamma[c], bn.Beta[c], bn.Mean[c], bn.Variance[c], bn.Epsilon);
            bool Float(float x) => BatchNormSign.IsNonNegative(x, bn.Gamma[c], bn.Beta[c], bn.Mean[c], bn.Variance[c], bn.Epsilon);

            var probes = new List<float> { 0f, -0f, float.NaN, float.MaxValue, -float.MaxValue, t.Threshold };
            for (var i = 0; i < 200; i++) probes.Add((float)(random.NextDouble() * 2 - 1) * 400f);
            var near = t.Threshold;
            if (float.IsFinite(near))
            {
                for (var i = 0; i < 4; i++) near = MathF.BitDecrement(near);
                for (var i = 0; i < 9; i++, near = MathF.BitIncrement(near)) probes.Add(near);
            }
            foreach (var x in probes)
                if (bn.Gamma[c] != 0f || Math.Abs(x) < 1e30f) // documented: gamma = 0 keeps sign(beta) where 0·∞ is NaN
                    Assert.True(Float(x) == t.Fires(x), $"trial {trial}, {t}, x {x:R}: float says {Float(x)}");
        }
    }

    [Fact]
    public void ApplyPacksPerChannelBitsNhwc()
    {
        var random = new Random(33);
        const int batch = 2, channels = 67, height = 3, width = 2;
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

    [Fact]
    public void FloatApplyPacksPerChannelBitsIncludingConstantAndNaNCases()
    {
        var random = new Random(34);
        const int batch = 2, channels = 66, height = 2, width = 3;
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
    public void BadParametersAreRejected()
    {
        Assert.Throws<ArgumentException>("variance", () => SignThreshold.Fold(0f, 1f, 0f, 0f, -1f));
        Assert.Throws<ArgumentException>("gamma", () => SignThreshold.Fold(0f, float.NaN, 0f, 0f, 1f));
        Assert.Throws<ArgumentException>("bias", () => SignThreshold.Fold(float.PositiveInfinity, 1f, 0f, 0f, 1f));
        Assert.Throws<ArgumentException>("variance", () => FloatSignThreshold.Fold(1f, 0f, 0f, 0f, 0f));
        var error = Assert.Throws<ArgumentException>(() =>
            SignThreshold.FoldAll(new float[3], new float[3], new float[2], new float[3], new float[3], 2e-5f, new SignThreshold[3]));
        Assert.Equal("beta", error.ParamName);
        error = Assert.Throws<ArgumentException>(() =>
            SignThreshold.Apply(new int[12], 1, 2, 2, 3, new SignThreshold[1], new ulong[6]));
        Assert.Equal("thresholds", error.ParamName);
    }
}

using Ddnn.Core.Layers;
using Ddnn.Core.Randomness;
using Ddnn.Training.Optim;

namespace Ddnn.Training.Tests.Optim;

/// <summary>Seeded initialization: distributions, determinism and seed sensitivity.</summary>
public class InitializerTests
{
    [Fact]
    public void ConvAndLinearWeightsHaveTheSpecifiedSpread()
    {
        var conv = new Conv2d(24, 64, 3);
        var linear = new Linear(1024, 100);
        var bn = new BatchNorm2d(4);
        bn.RunningMean.Span.Fill(3f);
        var model = new Sequential(conv, linear, bn);
        new Initializer(42).Initialize(model);
        AssertNormal(conv.Weight.ToArray(), Math.Sqrt(1.0 / (9 * 24)));
        AssertNormal(linear.Weight.ToArray(), Math.Sqrt(1.0 / 1024));
        Assert.All(conv.Bias!.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(bn.Weight.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(bn.RunningMean.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(bn.RunningVar.ToArray(), v => Assert.Equal(1f, v));
    }

    private static void AssertNormal(float[] values, double std)
    {
        var mean = values.Average(v => (double)v);
        var sd = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(mean, -4 * std / Math.Sqrt(values.Length), 4 * std / Math.Sqrt(values.Length));
        Assert.InRange(sd, std * 0.95, std * 1.05);
    }

    [Fact]
    public void SameSeedSameWeightsDifferentSeedDifferentWeights()
    {
        static float[] Weights(ulong seed)
        {
            var block = new ConvPoolBNSign(1, 4);
            new Initializer(seed).Initialize(block);
            return block.Conv.Weight.ToArray();
        }
        Assert.Equal(Weights(7), Weights(7));
        Assert.NotEqual(Weights(7), Weights(8));
    }

    [Fact]
    public void SeededRandomIsReproducibleAndUnbiased()
    {
        var a = new SeededRandom(123);
        var b = new SeededRandom(123);
        for (var i = 0; i < 100; i++) Assert.Equal(a.NextUInt64(), b.NextUInt64());
        var counts = new int[3];
        var r = new SeededRandom(9);
        for (var i = 0; i < 30000; i++) counts[r.NextInt(3)]++;
        Assert.All(counts, c => Assert.InRange(c, 9500, 10500));
    }
}

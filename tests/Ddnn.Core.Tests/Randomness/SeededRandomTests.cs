using Ddnn.Core.Randomness;

namespace Ddnn.Core.Tests.Randomness;

public class SeededRandomTests
{
    [Fact]
    public void SplitMix64_matches_the_reference_sequence()
    {
        // Reference values of SplitMix64 from state 0 (Vigna's splitmix64.c).
        ulong state = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, SeededRandom.SplitMix64(ref state));
        Assert.Equal(0x6E789E6AA1B965F4UL, SeededRandom.SplitMix64(ref state));
        Assert.Equal(0x06C45D188009454FUL, SeededRandom.SplitMix64(ref state));
    }

    [Fact]
    public void Same_seed_same_stream_and_different_seed_different_stream()
    {
        var a = new SeededRandom(42);
        var b = new SeededRandom(42);
        var c = new SeededRandom(43);
        bool differs = false;
        for (int i = 0; i < 100; i++)
        {
            ulong x = a.NextUInt64();
            Assert.Equal(x, b.NextUInt64());
            differs |= x != c.NextUInt64();
        }
        Assert.True(differs);
    }

    [Fact]
    public void Bounded_draws_stay_in_range_and_cover_it()
    {
        var random = new SeededRandom(7);
        var seen = new int[7];
        for (int i = 0; i < 7000; i++)
        {
            int v = random.NextInt(7);
            Assert.InRange(v, 0, 6);
            seen[v]++;
            double d = random.NextDouble();
            Assert.True(d >= 0 && d < 1);
            float f = random.NextFloat();
            Assert.True(f >= 0 && f < 1);
        }
        Assert.All(seen, count => Assert.InRange(count, 850, 1150));
        Assert.Throws<ArgumentOutOfRangeException>(() => random.NextInt(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => random.NextInt(3, 3));
    }

    [Fact]
    public void Approximate_gaussian_has_unit_variance()
    {
        var random = new SeededRandom(3);
        double sum = 0, sumSquares = 0;
        const int n = 100_000;
        for (int i = 0; i < n; i++)
        {
            double g = random.NextApproxGaussian();
            sum += g;
            sumSquares += g * g;
        }
        double mean = sum / n;
        Assert.InRange(mean, -0.02, 0.02);
        Assert.InRange(sumSquares / n - mean * mean, 0.97, 1.03);
    }

    [Fact]
    public void Triangular_pair_has_zero_mean_unit_variance_and_is_uncorrelated()
    {
        var random = new SeededRandom(9);
        double sumA = 0, sumB = 0, sumAA = 0, sumBB = 0, sumAB = 0;
        const int n = 100_000;
        for (int i = 0; i < n; i++)
        {
            var (a, b) = random.NextTriangularPair();
            Assert.InRange(a, -2.45f, 2.45f);
            sumA += a; sumB += b; sumAA += a * a; sumBB += b * b; sumAB += a * b;
        }
        Assert.InRange(sumA / n, -0.02, 0.02);
        Assert.InRange(sumB / n, -0.02, 0.02);
        Assert.InRange(sumAA / n, 0.97, 1.03);
        Assert.InRange(sumBB / n, 0.97, 1.03);
        Assert.InRange(sumAB / n, -0.02, 0.02);
    }

    [Fact]
    public void Shuffle_is_a_seeded_permutation()
    {
        int[] a = Enumerable.Range(0, 50).ToArray();
        int[] b = Enumerable.Range(0, 50).ToArray();
        new SeededRandom(5).Shuffle<int>(a);
        new SeededRandom(5).Shuffle<int>(b);
        Assert.Equal(a, b);
        Assert.NotEqual(Enumerable.Range(0, 50), a);
        Assert.Equal(Enumerable.Range(0, 50), a.Order());
    }
}

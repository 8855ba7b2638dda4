namespace Ddnn.Core.Randomness;

/// <summary>
/// Deterministic pseudo-random generator: xoshiro256** seeded through SplitMix64. The same seed gives the
/// same sequence on every platform; there is deliberately no unseeded constructor.
/// </summary>
public sealed class SeededRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spareGaussian;
    private bool _hasSpare;

    /// <summary>A generator whose whole sequence is determined by <paramref name="seed"/>.</summary>
    public SeededRandom(ulong seed)
    {
        var sm = seed;
        _s0 = SplitMix64(ref sm);
        _s1 = SplitMix64(ref sm);
        _s2 = SplitMix64(ref sm);
        _s3 = SplitMix64(ref sm);
    }

    /// <summary>A new generator for sub-stream <paramref name="stream"/>, independent of how much this one has been used.</summary>
    public static SeededRandom Derive(ulong seed, ulong stream) => new(DeriveSeed(seed, stream));

    /// <summary>The seed of sub-stream <paramref name="stream"/> of <paramref name="seed"/>.</summary>
    public static ulong DeriveSeed(ulong seed, ulong stream)
    {
        var state = seed ^ (stream * 0xD1B54A32D192ED03UL);
        return SplitMix64(ref state);
    }

    /// <summary>One step of SplitMix64 (also used to expand seeds).</summary>
    internal static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>64 random bits.</summary>
    public ulong NextUInt64()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, <paramref name="exclusiveMax"/>), without modulo bias.</summary>
    public int NextInt(int exclusiveMax)
    {
        if (exclusiveMax <= 0) throw new ArgumentOutOfRangeException(nameof(exclusiveMax), exclusiveMax, "must be positive.");
        var bound = (ulong)exclusiveMax;
        var threshold = (0UL - bound) % bound;
        while (true)
        {
            var r = NextUInt64();
            var product = Math.BigMul(r, bound, out var low);
            if (low >= threshold) return (int)product;
        }
    }

    /// <summary>Uniform integer in [<paramref name="min"/>, <paramref name="exclusiveMax"/>).</summary>
    public int NextInt(int min, int exclusiveMax)
    {
        if (exclusiveMax <= min)
            throw new ArgumentOutOfRangeException(nameof(exclusiveMax), $"empty range [{min}, {exclusiveMax})");
        return min + NextInt(exclusiveMax - min);
    }

    /// <summary>Uniform double in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public double NextDouble(double min, double max) => min + (max - min) * NextDouble();

    /// <summary>Uniform float in [0, 1) with 24 random bits.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>True with probability <paramref name="probabilityTrue"/>.</summary>
    public bool NextBool(double probabilityTrue) => NextDouble() < probabilityTrue;

    /// <summary>
    /// Approximately standard normal (Irwin–Hall sum of 4 uniforms, variance 1; tails bounded at ±3.46). Unlike
    /// <see cref="NextGaussian"/> it uses no log/sin/cos, whose last bits differ between math libraries, so data built
    /// from it is bit-identical on every platform.
    /// </summary>
    public float NextApproxGaussian()
    {
        // Four 16-bit uniforms from one draw; their sum has mean 2 and variance 4/12 = 1/3.
        var r = NextUInt64();
        float sum = (r & 0xFFFF) + ((r >> 16) & 0xFFFF) + ((r >> 32) & 0xFFFF) + (r >> 48);
        const float scale = 1.7320508f / 65536f; // sqrt(3): unit variance
        return (sum - 2f * 65535f) * scale;
    }

    /// <summary>Two independent zero-mean, unit-variance triangular variates (each a sum of two 16-bit uniforms) from one draw: cheap, platform-exact noise.</summary>
    public (float First, float Second) NextTriangularPair()
    {
        var r = NextUInt64();
        const float scale = 2.4494897f / 65536f; // sqrt(6): a sum of two uniforms has variance 2/12
        var first = (float)(long)((r & 0xFFFF) + ((r >> 16) & 0xFFFF)) - 65535f;
        var second = (float)(long)(((r >> 32) & 0xFFFF) + (r >> 48)) - 65535f;
        return (first * scale, second * scale);
    }

    /// <summary>Standard normal sample (Box-Muller; the second value of each pair is kept for the next call).</summary>
    public double NextGaussian()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spareGaussian;
        }
        double u1;
        do u1 = NextDouble(); while (u1 <= 0);
        var u2 = NextDouble();
        var radius = Math.Sqrt(-2.0 * Math.Log(u1));
        var angle = 2.0 * Math.PI * u2;
        _spareGaussian = radius * Math.Sin(angle);
        _hasSpare = true;
        return radius * Math.Cos(angle);
    }

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher-Yates).</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}

namespace Ddnn.Training.Data;

/// <summary>xoshiro256** seeded through SplitMix64: the same seed gives the same stream on every machine and runtime.</summary>
/// <remarks>
/// Only integer arithmetic and exactly-rounded IEEE operations (+, −, ×, ÷) are used, so derived
/// floating-point values are bit-identical across platforms. The approximate Gaussian is an
/// Irwin–Hall sum rather than Box–Muller, avoiding log/sin/cos whose last bits differ between libms.
/// </remarks>
public sealed class DeterministicRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public DeterministicRandom(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>One SplitMix64 step: advances <paramref name="state"/> and returns a well-mixed 64-bit value.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Derives an independent seed for sub-stream <paramref name="stream"/> of <paramref name="seed"/>.</summary>
    public static ulong DeriveSeed(ulong seed, ulong stream)
    {
        ulong state = seed ^ (stream * 0xD1B54A32D192ED03UL);
        return SplitMix64(ref state);
    }

    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform integer in [0, <paramref name="exclusiveMax"/>), without modulo bias.</summary>
    public int NextInt(int exclusiveMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(exclusiveMax);
        ulong bound = (ulong)exclusiveMax;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            UInt128 product = (UInt128)r * bound;
            if ((ulong)product >= threshold)
                return (int)(ulong)(product >> 64);
        }
    }

    /// <summary>Uniform integer in [<paramref name="min"/>, <paramref name="exclusiveMax"/>).</summary>
    public int NextInt(int min, int exclusiveMax)
    {
        if (exclusiveMax <= min)
            throw new ArgumentOutOfRangeException(nameof(exclusiveMax), $"empty range [{min}, {exclusiveMax})");
        return min + NextInt(exclusiveMax - min);
    }

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform double in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public double NextDouble(double min, double max) => min + (max - min) * NextDouble();

    /// <summary>Uniform float in [0, 1) with 24 random bits.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    public bool NextBool(double probabilityTrue) => NextDouble() < probabilityTrue;

    /// <summary>Approximately standard normal (Irwin–Hall sum of 4 uniforms, variance 1; tails bounded at ±3.46).</summary>
    public float NextApproxGaussian()
    {
        // Four 16-bit uniforms from one draw; their sum has mean 2 and variance 4/12 = 1/3.
        ulong r = NextUInt64();
        float sum = (r & 0xFFFF) + ((r >> 16) & 0xFFFF) + ((r >> 32) & 0xFFFF) + (r >> 48);
        const float scale = 1.7320508f / 65536f; // sqrt(3): unit variance
        return (sum - 2f * 65535f) * scale;
    }

    /// <summary>Two independent zero-mean, unit-variance triangular variates (each a sum of two 16-bit uniforms) from one draw: cheap noise for images.</summary>
    public (float First, float Second) NextTriangularPair()
    {
        ulong r = NextUInt64();
        const float scale = 2.4494897f / 65536f; // sqrt(6): a sum of two uniforms has variance 2/12
        float first = (float)(long)((r & 0xFFFF) + ((r >> 16) & 0xFFFF)) - 65535f;
        float second = (float)(long)(((r >> 32) & 0xFFFF) + (r >> 48)) - 65535f;
        return (first * scale, second * scale);
    }

    /// <summary>Fisher–Yates shuffle of <paramref name="items"/> in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}

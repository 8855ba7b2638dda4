using Ddnn.Core.Randomness;

namespace Ddnn.Bench.Benchmarks;

/// <summary>Seeded inputs for the benchmarks, so every run measures the same numbers.</summary>
public static class BenchmarkData
{
    /// <summary>The seed every benchmark input derives from.</summary>
    public const ulong Seed = 20170605;

    /// <summary><paramref name="length"/> values uniform in [<paramref name="min"/>, <paramref name="max"/>) from stream <paramref name="stream"/>.</summary>
    public static float[] Uniform(int length, ulong stream, float min = -1f, float max = 1f)
    {
        var random = SeededRandom.Derive(Seed, stream);
        var values = new float[length];
        for (var i = 0; i < values.Length; i++) values[i] = min + (max - min) * (float)random.NextDouble();
        return values;
    }

    /// <summary><paramref name="length"/> random words (every bit used) from stream <paramref name="stream"/>.</summary>
    public static ulong[] Words(int length, ulong stream)
    {
        var random = SeededRandom.Derive(Seed, stream);
        var words = new ulong[length];
        for (var i = 0; i < words.Length; i++) words[i] = random.NextUInt64();
        return words;
    }

    /// <summary><paramref name="length"/> labels in [0, <paramref name="classes"/>) from stream <paramref name="stream"/>.</summary>
    public static int[] Labels(int length, int classes, ulong stream)
    {
        var random = SeededRandom.Derive(Seed, stream);
        var labels = new int[length];
        for (var i = 0; i < labels.Length; i++) labels[i] = random.NextInt(classes);
        return labels;
    }
}

using Ddnn.Kernels;

namespace Ddnn.Kernels.Tests.Float;

/// <summary>Seeded random inputs and the kernel paths to test.</summary>
internal static class TestData
{
    public static float[] Uniform(int length, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var data = new float[length];
        for (var i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return data;
    }

    /// <summary>Values on a coarse dyadic grid, so sums of a few products are exact in float32 in any order.</summary>
    public static float[] Dyadic(int length, int seed, int range = 8, int denominator = 16)
    {
        var rng = new Random(seed);
        var data = new float[length];
        for (var i = 0; i < data.Length; i++) data[i] = rng.Next(-range, range + 1) / (float)denominator;
        return data;
    }

    /// <summary>Every kernel path; theories over it are [SkippableTheory] and skip, with the reason, a path this processor lacks.</summary>
    public static TheoryData<KernelPath> AllPaths() => KernelPaths.Every();

    /// <summary>Every path but the scalar reference (each is compared against the scalar twin); skipped where unsupported.</summary>
    public static TheoryData<KernelPath> NonScalarPaths() => KernelPaths.EveryVector();

    /// <summary>
    /// Runs <paramref name="action"/> on <paramref name="path"/> with <paramref name="threads"/> kernel threads; skips the
    /// calling test (with the reason) when this processor cannot run the path.
    /// </summary>
    public static T On<T>(KernelPath path, int threads, Func<T> action)
    {
        using var onPath = KernelPaths.Enter(path);
        using var withThreads = KernelParallelism.Use(threads);
        return action();
    }
}

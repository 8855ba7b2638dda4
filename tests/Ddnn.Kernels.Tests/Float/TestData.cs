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

    /// <summary>Non-scalar paths this machine supports (each is compared against the scalar twin).</summary>
    public static IEnumerable<KernelPath> VectorPaths => KernelDispatch.Supported.Where(p => p != KernelPath.Scalar);

    public static TheoryData<KernelPath> AllPaths()
    {
        var data = new TheoryData<KernelPath>();
        foreach (var p in KernelDispatch.Supported) data.Add(p);
        return data;
    }

    public static TheoryData<KernelPath> NonScalarPaths()
    {
        var data = new TheoryData<KernelPath>();
        foreach (var p in VectorPaths) data.Add(p);
        if (data.Count == 0) data.Add(KernelPath.Scalar); // keeps the theory non-empty on scalar-only machines
        return data;
    }

    /// <summary>Runs <paramref name="action"/> on <paramref name="path"/> with <paramref name="threads"/> kernel threads.</summary>
    public static T On<T>(KernelPath path, int threads, Func<T> action)
    {
        using var onPath = KernelDispatch.Use(path);
        using var withThreads = KernelParallelism.Use(threads);
        return action();
    }
}

namespace Ddnn.Bench.Benchmarks;

/// <summary>Which benchmarks <c>ddnn bench</c> runs.</summary>
public enum BenchmarkSuite
{
    /// <summary>Ceilings and kernels (issue 2 targets).</summary>
    Kernels,

    /// <summary>DDNN training throughput (issue 3 targets).</summary>
    Training,

    /// <summary>Deployed inference at batch 1: packed device partition vs autograd, cascade runtime (issue 6 targets).</summary>
    Deploy,

    /// <summary>Every suite.</summary>
    All,
}

/// <summary>The benchmark classes of each suite, ceilings first so the kernels' ratios have their ceilings.</summary>
public static class BenchmarkSuites
{
    public static IReadOnlyList<string> Names { get; } = ["kernels", "training", "deploy", "all"];

    public static BenchmarkSuite Parse(string name) => name.ToLowerInvariant() switch
    {
        "kernels" => BenchmarkSuite.Kernels,
        "training" => BenchmarkSuite.Training,
        "deploy" => BenchmarkSuite.Deploy,
        "all" => BenchmarkSuite.All,
        _ => throw new ArgumentException($"unknown benchmark suite '{name}'; expected one of {string.Join("|", Names)}", nameof(name)),
    };

    public static Type[] Types(BenchmarkSuite suite) => suite switch
    {
        BenchmarkSuite.Kernels => KernelTypes,
        BenchmarkSuite.Training => [typeof(TrainingBenchmarks)],
        BenchmarkSuite.Deploy => [typeof(DeployBenchmarks)],
        BenchmarkSuite.All => [.. KernelTypes, typeof(TrainingBenchmarks), typeof(DeployBenchmarks)],
        _ => throw new ArgumentOutOfRangeException(nameof(suite), suite, "unknown suite"),
    };

    private static Type[] KernelTypes =>
    [
        typeof(CeilingBenchmarks), typeof(FloatGemmBenchmarks), typeof(BinaryGemmBenchmarks),
        typeof(BinaryConvBenchmarks), typeof(ParallelBenchmarks),
    ];
}

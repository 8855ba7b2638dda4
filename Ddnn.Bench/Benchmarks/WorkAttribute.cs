namespace Ddnn.Bench.Benchmarks;

/// <summary>
/// The work one invocation of a benchmark method does, so a median time becomes a rate (GFLOP/s, Gbit-MAC/s,
/// samples/s). The unit is per invocation; a method with [Benchmark(OperationsPerInvoke = n)] states work per operation.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class WorkAttribute(double units, WorkUnit unit) : Attribute
{
    public double Units { get; } = units;
    public WorkUnit Unit { get; } = unit;

    /// <summary>When set, the name of a numeric [Params] property the work is multiplied by (e.g. the bit count K).</summary>
    public string? ScaledBy { get; set; }
}

namespace Ddnn.Bench.Benchmarks;

/// <summary>
/// The work one invocation of a benchmark method does, so a median time becomes a rate (GFLOP/s, Gbit-MAC/s,
/// samples/s). The unit is per invocation; a method with [Benchmark(OperationsPerInvoke = n)] states work per operation.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class WorkAttribute(double units, string unit) : Attribute
{
    public double Units { get; } = units;
    public string Unit { get; } = unit;
}

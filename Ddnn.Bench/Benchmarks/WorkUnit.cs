namespace Ddnn.Bench.Benchmarks;

/// <summary>What a benchmark's work is counted in; <see cref="WorkUnits"/> gives the rate's display scale and name.</summary>
public enum WorkUnit
{
    /// <summary>Floating-point operations (a fused multiply-add counts as two).</summary>
    Flop,

    /// <summary>Multiply-accumulates of ±1 values, one per bit pair (XOR + popcount).</summary>
    BitMac,

    /// <summary>Float multiply-accumulates (one per weight tap per output, as in a conv).</summary>
    Mac,

    /// <summary>Training samples (forward + backward + step).</summary>
    Sample,
}

/// <summary>Display of rates per <see cref="WorkUnit"/>.</summary>
public static class WorkUnits
{
    /// <summary>Rate unit as shown, e.g. "GFLOP/s".</summary>
    public static string RateName(WorkUnit unit) => unit switch
    {
        WorkUnit.Flop => "GFLOP/s",
        WorkUnit.BitMac => "Gbit-MAC/s",
        WorkUnit.Mac => "GMAC/s",
        WorkUnit.Sample => "samples/s",
        _ => throw new ArgumentOutOfRangeException(nameof(unit), unit, "unknown work unit"),
    };

    /// <summary>Divisor from units per second to the shown rate (1e9 for the giga units).</summary>
    public static double Scale(WorkUnit unit) => unit == WorkUnit.Sample ? 1 : 1e9;
}

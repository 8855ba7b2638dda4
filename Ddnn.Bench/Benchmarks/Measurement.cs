using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Reports;

namespace Ddnn.Bench.Benchmarks;

/// <summary>One benchmark case's median time and the rate it implies.</summary>
public sealed record Measurement(string Type, string Method, string Parameters, double MedianNanoseconds, double Units,
    WorkUnit Unit, double AllocatedBytes)
{
    /// <summary>Work per second, in <see cref="Unit"/> per second.</summary>
    public double Rate => Units / (MedianNanoseconds * 1e-9);

    /// <summary>The rate in its display scale (GFLOP/s, Gbit-MAC/s, samples/s).</summary>
    public double DisplayRate => Rate / WorkUnits.Scale(Unit);

    /// <summary>Type.Method, plus the parameters (name=value, ordered by name) when there are any.</summary>
    public string Key => Parameters.Length == 0 ? $"{Type}.{Method}" : $"{Type}.{Method}({Parameters})";

    /// <summary>Turns a BenchmarkDotNet summary into measurements, skipping cases that did not run.</summary>
    public static IReadOnlyList<Measurement> From(Summary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var list = new List<Measurement>();
        foreach (var report in summary.Reports)
        {
            var stats = report.ResultStatistics;
            if (stats is null) continue;
            var benchmark = report.BenchmarkCase;
            var method = benchmark.Descriptor.WorkloadMethod;
            var work = method.GetCustomAttribute<WorkAttribute>()
                ?? throw new InvalidOperationException($"benchmark {benchmark.Descriptor.Type.Name}.{method.Name} has no [Work] attribute, so it has no rate.");
            var units = work.Units;
            if (work.ScaledBy is { } name)
            {
                var parameter = benchmark.Parameters.Items.FirstOrDefault(p => p.Name == name)
                    ?? throw new InvalidOperationException($"[Work(ScaledBy = \"{name}\")] on {method.Name} names no [Params] property.");
                units *= Convert.ToDouble(parameter.Value, CultureInfo.InvariantCulture);
            }
            var parameters = string.Join(",", benchmark.Parameters.Items.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p =>
                string.Create(CultureInfo.InvariantCulture, $"{p.Name}={p.Value}")));
            var allocated = report.GcStats.GetBytesAllocatedPerOperation(benchmark) ?? 0;
            list.Add(new Measurement(benchmark.Descriptor.Type.Name, method.Name, parameters, stats.Median, units, work.Unit, allocated));
        }
        return list;
    }
}

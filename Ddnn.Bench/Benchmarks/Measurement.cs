using System.Reflection;
using BenchmarkDotNet.Reports;

namespace Ddnn.Bench.Benchmarks;

/// <summary>One benchmark case's median time and the rate it implies.</summary>
public sealed record Measurement(string Type, string Method, string Parameters, double MedianNanoseconds, double Units, string Unit, double AllocatedBytes)
{
    /// <summary>Work per second, in <see cref="Unit"/> per second.</summary>
    public double Rate => Units / (MedianNanoseconds * 1e-9);

    /// <summary>Type.Method, plus parameters when there are any.</summary>
    public string Key => Parameters.Length == 0 ? $"{Type}.{Method}" : $"{Type}.{Method}({Parameters})";

    /// <summary>Turns a BenchmarkDotNet summary into measurements, skipping cases that did not run.</summary>
    public static IReadOnlyList<Measurement> From(Summary summary)
    {
        var list = new List<Measurement>();
        foreach (var report in summary.Reports)
        {
            var stats = report.ResultStatistics;
            if (stats is null) continue;
            var descriptor = report.BenchmarkCase.Descriptor;
            var method = descriptor.WorkloadMethod;
            var work = method.GetCustomAttribute<WorkAttribute>();
            var parameters = string.Join(",", report.BenchmarkCase.Parameters.Items.Select(p => $"{p.Name}={p.Value}"));
            var allocated = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? 0;
            list.Add(new Measurement(descriptor.Type.Name, method.Name, parameters, stats.Median,
                work?.Units ?? 1, work?.Unit ?? "op", allocated));
        }
        return list;
    }
}

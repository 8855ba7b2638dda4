using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using Perfolizer.Horology;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Ddnn.Bench.Benchmarks;

/// <summary>
/// The BenchmarkDotNet configuration of <c>ddnn bench</c>: in-process (no rebuild of a generated project), memory
/// diagnoser, and either a short smoke-test job or the measuring job.
/// </summary>
public static class BenchmarkRunnerSettings
{
    /// <summary>Builds the config; <paramref name="logger"/> receives BenchmarkDotNet's log.</summary>
    public static IConfig Create(bool quick, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        var job = quick
            ? Job.Default.WithId("quick").WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3)
                .WithIterationTime(TimeInterval.FromMilliseconds(40))
            : Job.Default.WithId("measure").WithLaunchCount(1).WithWarmupCount(4).WithIterationCount(15)
                .WithIterationTime(TimeInterval.FromMilliseconds(250));
        return ManualConfig.CreateEmpty()
            .AddJob(job.WithToolchain(InProcessEmitToolchain.Instance))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddExporter(MarkdownExporter.GitHub, CsvExporter.Default)
            .AddLogger(logger)
            .WithOptions(ConfigOptions.JoinSummary);
    }
}

using System.Globalization;
using BenchmarkDotNet.Running;
using Ddnn.Bench.Benchmarks;
using Ddnn.Core;
using Ddnn.Kernels;
using Ddnn.Training.Reporting;

namespace Ddnn.Bench.Cli.Verbs;

/// <summary>
/// <c>ddnn bench [kernels|training|all]</c>: runs the BenchmarkDotNet suites in process, prints the target table and
/// writes it as bench.csv and bench.md into --out.
/// </summary>
public sealed class BenchVerb : ICliVerb
{
    public const string VerbName = "bench";
    public const string CsvFileName = "bench.csv";
    public const string MarkdownFileName = "bench.md";

    private static readonly CliOption Suite = CliOption.Enum("suite", "all", [.. BenchmarkSuites.Names, ServeSuite],
        "which benchmarks to run (may also be given as the first word after 'bench'); serve: the MQTT serving load benchmark (K deployments on one broker, a rising offered rate), its own report");
    private static readonly CliOption Quick = CliOption.Flag("quick", "short BenchmarkDotNet job: a smoke test, not a measurement");
    private static readonly CliOption Out = CliOption.String("out", "results/bench", "folder for bench.csv and bench.md (serve: bench-serve.csv, .md, -p99.png and every process's log)", "dir");
    private static readonly CliOption Profile = CliOption.Flag("profile",
        "instead of BenchmarkDotNet, print a Stopwatch breakdown of the training step (phases and conv kernels) at 1 and 2 threads");

    public string Name => VerbName;
    public string Summary => "run the kernel, training and deploy benchmarks and print rates, ceilings, ratios and targets, or the MQTT serving load benchmark (bench serve)";
    private static readonly CliOption Model = CliOption.String("model", null, "deploy suite: a trained checkpoint (model.ddnn) instead of the seeded MV-FMNIST f=4 model; serve suite (required): the model every served tier loads (checkpoint, .ddnnp or export directory)", "file");

    /// <summary>The serving load benchmark (<c>ddnn bench serve</c>): not a BenchmarkDotNet suite, and not part of <c>all</c>.</summary>
    public const string ServeSuite = "serve";

    public IReadOnlyList<CliOption> Options { get; } = [Suite, Quick, Out, Profile, Model, .. BenchServeRun.Options];

    /// <summary>
    /// Rewrites <c>bench &lt;suite&gt; ...</c> into <c>bench --suite &lt;suite&gt; ...</c>, since the option parser takes
    /// options only; other command lines are returned unchanged.
    /// </summary>
    public static IReadOnlyList<string> AcceptPositionalSuite(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var verbAt = 0;
        while (verbAt < args.Count && args[verbAt] == "--verbose") verbAt++;
        if (verbAt + 1 >= args.Count || args[verbAt] != VerbName || args[verbAt + 1].StartsWith('-')) return args;
        return [.. args.Take(verbAt + 1), "--" + Suite.Name, .. args.Skip(verbAt + 1)];
    }

    public int Run(CliArguments arguments, CliContext context)
    {
        var quick = arguments.GetFlag(Quick.Name);
        var outDir = Path.GetFullPath(arguments.GetString(Out.Name));
        if (File.Exists(outDir)) throw new CliUsageException($"--out '{outDir}' is a file, not a folder");

        var modelPath = arguments.GetOptionalString(Model.Name);
        if (arguments.GetEnum(Suite.Name) == ServeSuite) return BenchServeRun.Run(arguments, context, outDir, modelPath);
        var suite = BenchmarkSuites.Parse(arguments.GetEnum(Suite.Name));
        DeployBenchmarks.ModelPath = modelPath is null ? null : Path.GetFullPath(modelPath);
        var loadBefore = LoadAverage.OneMinute();
        if (arguments.GetFlag(Profile.Name))
            return RunProfile(quick, outDir, loadBefore, context);
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ddnn bench {suite.ToString().ToLowerInvariant()}{(quick ? " --quick" : "")}: 1-minute load average {LoadAverage.Describe(loadBefore)}"));
        var measurements = RunSuite(suite, quick, context);
        var loadAfter = LoadAverage.OneMinute();

        var footnote = string.Create(CultureInfo.InvariantCulture,
            $"{(quick ? "QUICK smoke-test job: figures are not measurements. " : "")}Medians of BenchmarkDotNet " +
            $"(in-process, {(quick ? "3" : "15")} iterations); ratios against ceilings measured in this run. " +
            $"{ProcessorDescription.Describe()}, {Environment.ProcessorCount} logical cores; ceilings {FmaPeak.WidestBits}-bit FMA and " +
            $"{XorPopCountPeak.WidestBits}-bit XOR-popcount; default kernel path {KernelDispatch.DefaultPath} (a row naming a path ran on it); " +
            $"1-minute load average {LoadAverage.Describe(loadBefore)} before and {LoadAverage.Describe(loadAfter)} after " +
            $"(above ~2.5 other processes share the cores and rates drop). {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        var table = BenchReport.Build(measurements, footnote);
        context.Out.WriteLine();
        context.Out.Write(table.ToConsoleString());

        Directory.CreateDirectory(outDir);
        CsvFile.Write(Path.Combine(outDir, CsvFileName), table);
        AtomicFile.WriteAllText(Path.Combine(outDir, MarkdownFileName), $"## {table.Title}\n\n{table.ToMarkdown()}");
        context.Out.WriteLine($"wrote {Path.Combine(outDir, CsvFileName)} and {MarkdownFileName}");
        return CliApp.ExitSuccess;
    }

    private static int RunProfile(bool quick, string outDir, double? loadBefore, CliContext context)
    {
        var steps = quick ? 5 : 40;
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ddnn bench --profile: {steps} timed steps per thread count, 1-minute load average {LoadAverage.Describe(loadBefore)}"));
        Directory.CreateDirectory(outDir);
        foreach (var threads in new[] { 1, 2 })
        {
            context.Cancellation.ThrowIfCancellationRequested();
            var footnote = string.Create(CultureInfo.InvariantCulture,
                $"Stopwatch medians, kernel path {KernelDispatch.Active}, 1-minute load average {LoadAverage.Describe(LoadAverage.OneMinute())}.");
            var tables = TrainingProfile.Run(threads, steps, footnote);
            for (var i = 0; i < tables.Count; i++)
            {
                context.Out.WriteLine();
                context.Out.Write(tables[i].ToConsoleString());
                CsvFile.Write(Path.Combine(outDir, string.Create(CultureInfo.InvariantCulture, $"profile-{threads}t-{i + 1}.csv")), tables[i]);
            }
        }
        context.Out.WriteLine($"wrote profile-*.csv into {outDir}");
        return CliApp.ExitSuccess;
    }

    private static List<Measurement> RunSuite(BenchmarkSuite suite, bool quick, CliContext context)
    {
        var logger = context.Verbose ? (BenchmarkDotNet.Loggers.ILogger)BenchmarkDotNet.Loggers.ConsoleLogger.Default : new ProgressLogger(context.Out);
        var config = BenchmarkRunnerSettings.Create(quick, logger);
        // The in-process benchmarks set the process-wide defaults in their setup; put the --threads value and path back.
        var threads = KernelParallelism.DefaultMaxThreads;
        var path = KernelDispatch.DefaultPath;
        try
        {
            var measurements = new List<Measurement>();
            foreach (var summary in BenchmarkRunner.Run(BenchmarkSuites.Types(suite), config))
            {
                if (summary.HasCriticalValidationErrors)
                    throw new InvalidOperationException("BenchmarkDotNet refused to run: " +
                        string.Join("; ", summary.ValidationErrors.Select(e => e.Message)));
                measurements.AddRange(Measurement.From(summary));
                context.Cancellation.ThrowIfCancellationRequested();
            }
            var expected = BenchmarkSuites.Types(suite).Length;
            if (measurements.Count == 0)
                throw new InvalidOperationException($"none of the {expected} benchmark classes produced a result; rerun with --verbose for BenchmarkDotNet's log");
            return measurements;
        }
        finally
        {
            KernelParallelism.DefaultMaxThreads = threads;
            KernelDispatch.DefaultPath = path;
        }
    }
}

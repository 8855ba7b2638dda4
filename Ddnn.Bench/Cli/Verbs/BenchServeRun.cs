using System.Diagnostics;
using System.Globalization;
using System.Net;
using Ddnn.Bench.Benchmarks;
using Ddnn.Bench.Plots;
using Ddnn.Bench.Serving;
using Ddnn.Core;
using Ddnn.Core.Deploy;
using Ddnn.Core.Runtime;
using Ddnn.Core.Serving;
using Ddnn.Training.Reporting;

namespace Ddnn.Bench.Cli.Verbs;

/// <summary>
/// <c>ddnn bench serve</c>: the serving load benchmark. For each broker (embedded, mosquitto) and each K, K deployments
/// of the model share one broker, each with its own name, users, passwords and ACL: a real <c>ddnn serve local</c> and
/// <c>ddnn serve cloud</c> process per deployment, and the devices (one MQTT connection and user each) in a few
/// <c>ddnn serve devices</c> load generators. Every aggregator ticks the same rate ladder at the same times (a go
/// file); per step the benchmark reads back every answer and measures the CPU of the broker, the tier processes and
/// the machine. It reports every step, the knee per broker and K and what saturates first, as tables (console,
/// bench-serve.csv, bench-serve.md) and a p99 plot (bench-serve-p99.png).
/// </summary>
internal static class BenchServeRun
{
    public const string CsvFileName = "bench-serve.csv";
    public const string KneeCsvFileName = "bench-serve-knee.csv";
    public const string MarkdownFileName = "bench-serve.md";
    public const string PlotFileName = "bench-serve-p99.png";

    internal static readonly CliOption Brokers = CliOption.Enum("broker", "both", ["embedded", "mosquitto", "both"],
        "serve suite: which broker to load (both: the embedded one, then mosquitto, side by side in the report)");
    internal static readonly CliOption DeploymentCounts = CliOption.String("deployments", "1,4,16", "serve suite: the values of K, deployments of 6 devices sharing one broker, comma-separated", "k1,k2,...");
    internal static readonly CliOption Rates = CliOption.String("rates", "50,100,200,400,700,1000,1500,2000,3000,5000", "serve suite: the offered-rate ladder, samples/s of all K deployments together (each gets its share), rising; two warm-up steps, at a quarter and half the first rate, go before it, not reported", "r1,r2,...");
    internal static readonly CliOption StepSeconds = CliOption.Float("step-seconds", 4, "serve suite: seconds of ticking per step", min: 0.1);
    internal static readonly CliOption StepGap = CliOption.Float("step-gap-seconds", 1, "serve suite: seconds between steps, for the last answers to come in", min: 0);
    internal static readonly CliOption PerGenerator = CliOption.Int("deployments-per-generator", 4, "serve suite: deployments whose devices share one load-generator process (ddnn serve devices)", min: 1, max: 64);
    internal static readonly CliOption InFlight = CliOption.Int("in-flight", 1024, "serve suite: samples in flight per aggregator, so the offered rate is ticked even when answers lag", min: 1, max: 4096);
    internal static readonly CliOption WarmUp = CliOption.Int("warmup", 200, "serve suite: samples each aggregator ticks before the ladder, not measured", min: 0);
    internal static readonly CliOption TickPeriod = CliOption.Float("tick-period-ms", 0, "serve suite: each aggregator sends its ticks in frames at most this often (0: every sample its own tick, the most messages per sample)", min: 0);
    internal static readonly CliOption DeviceWait = CliOption.Float(ServeVerb.DeviceWait.Name, new AggregatorSettings().DeviceWaitMs,
        "serve suite: how long each aggregator waits after a tick for its devices' scores; a sample still missing some is answered degraded", min: 0);
    internal static readonly CliOption CloudWait = CliOption.Float(ServeVerb.CloudWait.Name, new AggregatorSettings().CloudWaitMs,
        "serve suite: how long each aggregator waits for the cloud's answer before it falls back to its own", min: 0);
    internal static readonly CliOption MosquittoPath = CliOption.String("mosquitto", MosquittoProcess.DefaultExecutable, "serve suite: the mosquitto executable", "file");

    public static IReadOnlyList<CliOption> Options { get; } = [Brokers, DeploymentCounts, Rates, StepSeconds, StepGap, PerGenerator, InFlight, WarmUp, TickPeriod, DeviceWait, CloudWait, MosquittoPath, .. ExperimentOptions.DataOptions];

    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    public static int Run(CliArguments arguments, CliContext context, string outDir, string? modelPath)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.Cancellation);
        // SIGTERM stops the benchmark as Ctrl+C does: every tier process and the broker it started are stopped too.
        using var onTerm = OperatingSystem.IsWindows() ? null : System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = true;
            stop.Cancel();
        });
        return RunAll(arguments, context with { Cancellation = stop.Token }, outDir, modelPath);
    }

    private static int RunAll(CliArguments arguments, CliContext context, string outDir, string? modelPath)
    {
        var inv = CultureInfo.InvariantCulture;
        if (modelPath is null) throw new CliUsageException("bench serve: --model <path> is required: the deployed model every tier serves (ddnn export directory, .ddnnp or .ddnn checkpoint)");
        DeployedModel model;
        try
        {
            model = DeployedModelLoader.Load(modelPath);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException or ArgumentException or IOException)
        {
            throw CliUsageException.CannotUse("load", modelPath, e);
        }
        if (model.Local is null) throw new CliUsageException("bench serve needs a model with a local exit: the local aggregator paces each deployment");
        var counts = ParseCounts(arguments.GetString(DeploymentCounts.Name));
        double[] rates;
        try
        {
            rates = LoadLadder.ParseRates(arguments.GetString(Rates.Name));
        }
        catch (FormatException e)
        {
            throw CliUsageException.BadValue(Rates.Name, arguments.GetString(Rates.Name), e.Message);
        }
        var brokers = arguments.GetEnum(Brokers.Name) switch { "both" => new[] { "embedded", "mosquitto" }, var one => [one] };
        var mosquitto = arguments.GetString(MosquittoPath.Name);
        if (brokers.Contains("mosquitto") && !File.Exists(mosquitto))
            throw new CliUsageException($"--{MosquittoPath.Name}: mosquitto is not installed: {mosquitto} is missing (apt-get install -y mosquitto), or give --broker embedded");
        var stepSeconds = arguments.GetFloat(StepSeconds.Name);
        var gap = arguments.GetFloat(StepGap.Name);
        var warmUp = arguments.GetInt(WarmUp.Name);
        // Checks the ladder as each aggregator will build it (ids must fit), with the largest share.
        _ = new LoadLadder([.. WithWarmStep(rates).Select(r => r / counts.Min())], stepSeconds, gap, (uint)warmUp);
        Directory.CreateDirectory(outDir);

        var runs = brokers.Length * counts.Length;
        var perRun = (rates.Length + WarmSteps) * (stepSeconds + gap);
        context.Out.WriteLine(string.Create(inv,
            $"bench serve: model {ModelFingerprint.Of(model).Short} ({model.Devices.Length} devices), brokers {string.Join(", ", brokers)}, K = {string.Join(", ", counts)}, ladder {string.Join(", ", rates)} samples/s, {stepSeconds} s + {gap} s per step: {runs} runs of {perRun:0} s of steps plus start-up; 1-minute load average {LoadAverage.Describe(LoadAverage.OneMinute())}; logs in {outDir}"));
        var loadBefore = LoadAverage.OneMinute();
        var started = DateTime.UtcNow;
        var steps = new List<ServeLoadStep>();
        var failures = new List<string>();
        foreach (var broker in brokers)
            foreach (var k in counts)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                var clock = Stopwatch.StartNew();
                try
                {
                    steps.AddRange(RunOne(arguments, context, model, modelPath, broker, k, rates, stepSeconds, gap, warmUp, mosquitto, outDir));
                    context.Out.WriteLine(string.Create(inv, $"bench serve: {broker}, K={k} done in {clock.Elapsed.TotalSeconds:0} s"));
                }
                catch (LoadRunException e)
                {
                    failures.Add($"{broker}, K={k}: {e.Message}");
                    context.Error.WriteLine($"ddnn bench serve: {broker}, K={k}: {e.Message}");
                }
            }
        var loadAfter = LoadAverage.OneMinute();
        var footnote =
            string.Create(inv, $"ddnn bench serve, {started:yyyy-MM-dd HH:mm}–{DateTime.UtcNow:HH:mm} UTC, {ProcessorDescription.Describe()}, {Environment.ProcessorCount} logical cores, ") +
            string.Create(inv, $"1-minute load average {LoadAverage.Describe(loadBefore)} before and {LoadAverage.Describe(loadAfter)} after (other users' processes count in the machine's CPU). ") +
            string.Create(inv, $"Model {ModelFingerprint.Of(model).Short}, {model.Devices.Length} devices per deployment, each device its own MQTT connection and user; one aggregator and one cloud process per deployment, ") +
            string.Create(inv, $"up to {arguments.GetInt(PerGenerator.Name)} deployments' devices per load generator; {stepSeconds} s per step, {gap} s between steps, {arguments.GetInt(InFlight.Name)} in flight, tick frames every {arguments.GetFloat(TickPeriod.Name)} ms (0: a tick per sample), devices waited for {arguments.GetFloat(DeviceWait.Name)} ms and the cloud {arguments.GetFloat(CloudWait.Name)} ms; ") +
            string.Create(inv, $"latency from when a sample was due to its answer. The embedded broker runs inside the benchmark process, which otherwise sleeps during a step.") +
            (failures.Count > 0 ? " FAILED runs: " + string.Join("; ", failures) : "");
        var stepTable = ServeLoadReport.StepTable(steps, footnote);
        var kneeTable = ServeLoadReport.KneeTable(steps, footnote);
        context.Out.WriteLine();
        context.Out.Write(stepTable.ToConsoleString());
        context.Out.WriteLine();
        context.Out.Write(kneeTable.ToConsoleString());
        CsvFile.Write(Path.Combine(outDir, CsvFileName), stepTable);
        CsvFile.Write(Path.Combine(outDir, KneeCsvFileName), kneeTable);
        AtomicFile.WriteAllText(Path.Combine(outDir, MarkdownFileName), $"## {kneeTable.Title}\n\n{kneeTable.ToMarkdown()}\n## {stepTable.Title}\n\n{stepTable.ToMarkdown()}");
        if (steps.Count > 0) new PlotWriter().Write(ServeLoadReport.P99Plot(steps), Path.Combine(outDir, PlotFileName));
        context.Out.WriteLine($"wrote {Path.Combine(outDir, CsvFileName)}, {KneeCsvFileName}, {MarkdownFileName}{(steps.Count > 0 ? ", " + PlotFileName : "")}");
        return failures.Count == 0 ? CliApp.ExitSuccess : CliApp.ExitFailure;
    }

    private static int[] ParseCounts(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var counts = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out counts[i]) || counts[i] < 1 || counts[i] > 64)
                throw CliUsageException.BadValue(DeploymentCounts.Name, text, $"'{parts[i]}' is not a number of deployments from 1 to 64");
        if (counts.Distinct().Count() != counts.Length) throw CliUsageException.BadValue(DeploymentCounts.Name, text, "a value is given twice");
        return counts;
    }

    /// <summary>A run (one broker, one K) that could not be measured; the others go on.</summary>
    private sealed class LoadRunException(string message) : Exception(message);

    private static string DeploymentName(int k) => string.Create(CultureInfo.InvariantCulture, $"load{k}");

    private static List<ServeLoadStep> RunOne(CliArguments arguments, CliContext context, DeployedModel model, string modelPath, string brokerKind, int count,
        double[] rates, double stepSeconds, double gap, int warmUp, string mosquittoPath, string outDir)
    {
        var inv = CultureInfo.InvariantCulture;
        var work = Path.Combine(outDir, string.Create(inv, $"{brokerKind}-k{count}"));
        if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        Directory.CreateDirectory(work);
        var names = Enumerable.Range(0, count).Select(DeploymentName).ToArray();
        var access = new SharedBrokerAccess(names.Select(n => AccessControlList.For(new TopicScheme(n), model)));
        var credentials = Path.Combine(work, "credentials");
        var hashes = access.WriteCredentials(credentials);
        EmbeddedBroker? embedded = null;
        MosquittoProcess? mosquitto = null;
        // In the temp folder: mosquitto drops to its own user, which may not reach into the output folder.
        var mosquittoDir = Path.Combine(Path.GetTempPath(), "ddnn-bench-mosquitto-" + Guid.NewGuid().ToString("N"));
        var tiers = new List<TierProcess>();
        try
        {
            BrokerAddress address;
            int brokerPid;
            if (brokerKind == "mosquitto")
            {
                try
                {
                    mosquitto = MosquittoProcess.Start(mosquittoDir, credentials, mosquittoPath);
                }
                catch (IOException e)
                {
                    throw new LoadRunException(e.Message);
                }
                address = mosquitto.Address;
                brokerPid = mosquitto.Id;
            }
            else
            {
                try
                {
                    embedded = EmbeddedBroker.StartAsync(IPAddress.Loopback, 0, access.Authorization(hashes)).GetAwaiter().GetResult();
                }
                catch (IOException e)
                {
                    throw new LoadRunException(e.Message);
                }
                address = embedded.Address;
                brokerPid = Environment.ProcessId;
            }
            var inFlight = arguments.GetInt(InFlight.Name).ToString(inv);
            // The warm-up steps are not reported (WarmSteps).
            var ladder = new LoadLadder([.. WithWarmStep(rates).Select(r => r / count)], stepSeconds, gap, (uint)warmUp);
            var share = string.Join(",", ladder.Rates.Select(r => r.ToString("R", inv)));
            var goFile = Path.Combine(work, "go");
            var ready = new HashSet<string>(StringComparer.Ordinal);
            var stepLines = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            string[] Common(string tier, string deployment) =>
            [
                tier, "--model", modelPath, "--broker", address.ToString(), "--deployment", deployment, "--in-flight", inFlight,
                "--user", SharedBrokerAccess.UserOf(deployment, tier), "--password-file", BrokerCredentials.PasswordFileOf(credentials, SharedBrokerAccess.UserOf(deployment, tier)),
            ];
            foreach (var name in names)
                tiers.Add(TierProcess.Start($"{name}/cloud", Common("cloud", name), Path.Combine(work, $"{name}-cloud.log")));
            var perGenerator = arguments.GetInt(PerGenerator.Name);
            for (var g = 0; g * perGenerator < count; g++)
            {
                var group = names.Skip(g * perGenerator).Take(perGenerator).ToArray();
                tiers.Add(TierProcess.Start(string.Create(inv, $"devices{g}"),
                [
                    "devices", "--model", modelPath, "--broker", address.ToString(), "--deployments", string.Join(",", group), "--credentials", credentials,
                    "--in-flight", inFlight, "--first-sample", warmUp.ToString(inv), .. ServeAllRun.PassThrough(arguments, ExperimentOptions.DataOptions),
                ], Path.Combine(work, string.Create(inv, $"devices{g}.log"))));
            }
            var locals = new List<TierProcess>();
            foreach (var (name, j) in names.Select((n, j) => (n, j)))
            {
                var lines = stepLines[name] = [];
                var local = TierProcess.Start($"{name}/local",
                [
                    .. Common("local", name), "--warmup", warmUp.ToString(inv), "--first-sample", warmUp.ToString(inv), "--rate-steps", share,
                    "--step-seconds", stepSeconds.ToString("R", inv), "--step-gap-seconds", gap.ToString("R", inv), "--go-file", goFile,
                    "--tick-phase", ((double)j / count).ToString("R", inv),
                    "--answers", Path.Combine(work, $"{name}-answers.csv"), "--start-timeout", "600", "--tick-period-ms", arguments.GetFloat(TickPeriod.Name).ToString("R", inv),
                    "--device-wait-ms", arguments.GetFloat(DeviceWait.Name).ToString("R", inv), "--cloud-wait-ms", arguments.GetFloat(CloudWait.Name).ToString("R", inv),
                ], Path.Combine(work, $"{name}-local.log"), line =>
                {
                    lock (ready)
                    {
                        if (line == ServeVerb.LocalReadyLine) ready.Add(name);
                        else if (line.StartsWith(ServeVerb.LocalStepPrefix, StringComparison.Ordinal)) lines.Add(line);
                    }
                });
                locals.Add(local);
                tiers.Add(local);
            }

            // Every aggregator has its peers online and its warm-up answered: all start the ladder at one time.
            var startBound = TimeSpan.FromSeconds(90 + 5 * count);
            var waited = Stopwatch.StartNew();
            while (true)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                lock (ready) if (ready.Count == count) break;
                if (tiers.FirstOrDefault(t => t.HasExited) is { } gone)
                {
                    // Its last lines may still be in the pipe: wait for the output to drain before quoting them.
                    gone.WaitForExit(TimeSpan.FromSeconds(5));
                    throw new LoadRunException($"{gone.Name} exited (code {gone.ExitCode}) before the ladder started: {LastLine(gone)} (logs in {work})");
                }
                if (waited.Elapsed > startBound)
                {
                    string[] missing;
                    lock (ready) missing = [.. names.Where(n => !ready.Contains(n))];
                    throw new LoadRunException($"{missing.Length} aggregators not ready after {startBound.TotalSeconds:0} s ({string.Join(", ", missing.Take(4))}...): their peers did not come online or the warm-up was not answered; logs in {work}");
                }
                Thread.Sleep(100);
            }
            context.Out.WriteLine(string.Create(inv, $"bench serve: {brokerKind}, K={count}: {tiers.Count} processes ready after {waited.Elapsed.TotalSeconds:0} s; stepping"));
            var goMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 500;
            AtomicFile.WriteAllText(goFile, goMs.ToString(inv));
            var cpu = new List<(Cpu Start, Cpu End)>();
            for (var i = 0; i < ladder.Count; i++)
            {
                SleepUntil(goMs + ladder.StartOf(i) * 1000, context);
                var start = Cpu.Read(brokerPid, tiers);
                SleepUntil(goMs + (ladder.StartOf(i) + stepSeconds) * 1000, context);
                var end = Cpu.Read(brokerPid, tiers);
                cpu.Add((start, end));
                var (b, c, m) = Cpu.Shares(start, end);
                context.Out.WriteLine(string.Create(inv,
                    $"bench serve: {brokerKind}, K={count}, step {i}/{ladder.Count - 1}{(i < WarmSteps ? " (warm-up, not reported)" : "")}, {ladder.Rates[i] * count:0} samples/s offered: broker {b:P0} of a core, tiers {c:0.00} cores, machine {m:P0}"));
            }
            // The aggregators stop after their last step; a step that ran over is waited for, within bounds.
            var lastBound = Stopwatch.StartNew();
            foreach (var local in locals)
                if (!local.WaitForExit(TimeSpan.FromSeconds(Math.Max(1, 60 - lastBound.Elapsed.TotalSeconds))))
                    throw new LoadRunException($"{local.Name} did not finish its ladder within 60 s of the last step; log {Path.Combine(work, local.Name.Replace('/', '-') + ".log")}");
            foreach (var local in locals)
                if (local.ExitCode != 0) throw new LoadRunException($"{local.Name} failed (exit code {local.ExitCode}): {LastLine(local)}");
            StopAll(tiers);
            return Measure(brokerKind, count, names, ladder, work, stepLines, cpu);
        }
        finally
        {
            StopAll(tiers);
            foreach (var tier in tiers) tier.Dispose();
            embedded?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            mosquitto?.Dispose();
            if (Directory.Exists(mosquittoDir))
            {
                // Its log goes with the run's other logs; the folder (config, password hashes) goes away.
                try
                {
                    var log = Path.Combine(mosquittoDir, "mosquitto.log");
                    if (File.Exists(log)) File.Copy(log, Path.Combine(work, "mosquitto.log"), overwrite: true);
                    Directory.Delete(mosquittoDir, recursive: true);
                }
                catch (IOException)
                {
                    // Best effort: a leftover temp folder.
                }
            }
        }
    }

    /// <summary>
    /// Steps ticked before the reported ones. The first samples after a start (and, less, after the first step) were
    /// slow in every deployment at once, at low rates enough to set a step's p99 (answers of 2026-12-04, K = 4):
    /// the tiers' hot paths being compiled again once the load arrives.
    /// </summary>
    internal const int WarmSteps = 2;

    /// <summary>The ladder as the aggregators tick it: warm-up steps at a quarter and half the first rate, then <paramref name="rates"/>.</summary>
    internal static double[] WithWarmStep(double[] rates) => [rates[0] / 4, rates[0] / 2, .. rates];

    /// <summary>Stops every tier process at once (SIGTERM, SIGKILL after the grace), so that stopping 36 takes one grace, not 36.</summary>
    private static void StopAll(List<TierProcess> tiers) => Parallel.ForEach(tiers, new ParallelOptions { MaxDegreeOfParallelism = 64 }, t => t.Stop(StopGrace));

    private static List<ServeLoadStep> Measure(string broker, int count, string[] names, LoadLadder ladder, string work,
        Dictionary<string, List<string>> stepLines, List<(Cpu Start, Cpu End)> cpu)
    {
        var latencies = Enumerable.Range(0, ladder.Count).Select(_ => new List<double>()).ToArray();
        var answered = new long[ladder.Count];
        var degraded = new long[ladder.Count];
        var perSecond = new double[ladder.Count];
        var late = new double[ladder.Count];
        foreach (var name in names)
        {
            List<CascadeOutcome> answers;
            try
            {
                answers = AnswerFile.Read(Path.Combine(work, $"{name}-answers.csv"));
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                throw new LoadRunException($"cannot read the answers of {name}: {e.Message}");
            }
            var seen = new HashSet<long>();
            var mine = new long[ladder.Count];
            foreach (var a in answers)
            {
                var step = ladder.StepOf(a.Sample);
                if (step < 0 || a.Tier == ExitTier.None || !seen.Add(a.Sample)) continue;
                answered[step]++;
                mine[step]++;
                latencies[step].Add(a.LatencyMs);
                if (a.Degraded || a.PresentAtLocal.Contains(false)) degraded[step]++;
            }
            foreach (var line in stepLines[name])
            {
                // "local: step i: n answers of m in s s, started d ms late, g given up": the window and the late start
                // from here; the answers themselves from the answers file, the one count of what was answered.
                var f = line[ServeVerb.LocalStepPrefix.Length..].Split(' ');
                var inv = CultureInfo.InvariantCulture;
                if (f.Length != 15 || !int.TryParse(f[0].TrimEnd(':'), inv, out var i) || i < 0 || i >= ladder.Count
                    || !double.TryParse(f[6], inv, out var seconds) || !double.TryParse(f[9], inv, out var lateMs))
                    throw new LoadRunException($"{name}'s aggregator printed a step line this benchmark cannot read: '{line}'");
                perSecond[i] += mine[i] / Math.Max(seconds, ladder.StepSeconds);
                late[i] = Math.Max(late[i], lateMs);
            }
        }
        var steps = new List<ServeLoadStep>();
        for (var i = WarmSteps; i < ladder.Count; i++)
        {
            var sorted = latencies[i].Order().ToArray();
            var offered = ladder.SamplesOf(i) * count;
            var (b, c, m) = Cpu.Shares(cpu[i].Start, cpu[i].End);
            steps.Add(new ServeLoadStep
            {
                Broker = broker,
                Deployments = count,
                OfferedRate = Math.Round(ladder.Rates[i] * count, 6),
                Offered = offered,
                AnsweredPerSecond = perSecond[i],
                P50Ms = sorted.Length == 0 ? double.NaN : ServeAllRun.Percentile(sorted, 50),
                P99Ms = sorted.Length == 0 ? double.NaN : ServeAllRun.Percentile(sorted, 99),
                Unanswered = offered - answered[i],
                Degraded = degraded[i],
                BrokerCpu = b,
                ClientsCpu = c,
                MachineCpu = m,
                StartedLateMs = late[i],
            });
        }
        return steps;
    }

    private static string LastLine(TierProcess tier)
    {
        var lines = tier.LastLines().ReplaceLineEndings("\n").Split('\n').Where(l => l.Trim().Length > 0).ToArray();
        return lines.LastOrDefault(l => l.Contains("ddnn serve", StringComparison.Ordinal) || l.Contains("error", StringComparison.OrdinalIgnoreCase))
            ?? lines.LastOrDefault() ?? "(no output)";
    }

    private static void SleepUntil(double unixMs, CliContext context)
    {
        while (true)
        {
            var left = unixMs - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            if (left <= 0) return;
            if (context.Cancellation.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(Math.Min(left, 200)))) context.Cancellation.ThrowIfCancellationRequested();
        }
    }

    /// <summary>CPU seconds at one moment: the broker's process, the tier processes together, and the machine.</summary>
    private readonly record struct Cpu(double Wall, double? Broker, double?[] Tiers, (double Busy, double Total)? Machine)
    {
        public static Cpu Read(int brokerPid, List<TierProcess> tiers) => new(
            Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency,
            CpuClock.ProcessSeconds(brokerPid),
            [.. tiers.Select(t => CpuClock.ProcessSeconds(t.Id))],
            CpuClock.MachineSeconds());

        /// <summary>Broker share of a core, tier processes in cores, machine share of all cores, between two readings.</summary>
        public static (double? Broker, double? Tiers, double? Machine) Shares(Cpu start, Cpu end)
        {
            var wall = end.Wall - start.Wall;
            if (wall <= 0) return (null, null, null);
            double? broker = start.Broker is { } b0 && end.Broker is { } b1 ? (b1 - b0) / wall : null;
            double? machine = start.Machine is { } m0 && end.Machine is { } m1 && m1.Total > m0.Total ? (m1.Busy - m0.Busy) / (m1.Total - m0.Total) : null;
            // Only processes read at both ends count: one that exited within the step would otherwise subtract its whole life.
            var tiers = start.Tiers.Zip(end.Tiers).Sum(t => t is ({ } t0, { } t1) ? t1 - t0 : 0);
            return (broker, tiers / wall, machine);
        }
    }
}

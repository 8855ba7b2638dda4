using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Ddnn.Bench.Serving;
using Ddnn.Core.Deploy;
using Ddnn.Core;
using Ddnn.Core.Runtime;
using Ddnn.Core.Serving;
using Ddnn.Training.Data;
using Ddnn.Training.Reporting;

namespace Ddnn.Bench.Cli.Verbs;

/// <summary>
/// <c>ddnn serve all</c>: a whole deployment on this machine, every tier its own <c>ddnn serve</c> process, over the
/// given broker or an embedded one. The devices sense the chosen split; the local aggregator ticks a warm-up, then every
/// sample of the split once, and writes its answers; this process prints what <c>ddnn infer</c> prints for them, plus
/// wall-clock latency per exit level, the MQTT payload bytes per link and what was lost, late or dropped.
/// </summary>
internal static class ServeAllRun
{
    private const int DefaultWarmUp = 20;
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    public static int Run(CliArguments arguments, CliContext context)
    {
        var inv = CultureInfo.InvariantCulture;
        var topics = ServeVerb.ReadTopics(arguments);
        var (modelPath, model) = ServeVerb.LoadModel(arguments);
        var fingerprint = ModelFingerprint.Of(model);
        var split = ServeVerb.LoadSplit(arguments, context, model);
        var count = split.Count;
        var warmUp = arguments.GetOptionalInt(ServeVerb.WarmUp.Name) ?? DefaultWarmUp;
        // Measured ids start at a multiple of the split size, so id mod count is the split index (DatasetSensor).
        var first = (uint)((warmUp + count - 1) / count * count);
        if (first + (long)count > uint.MaxValue) throw new CliUsageException("the warm-up and the split do not fit 32-bit sample ids");

        var outDir = arguments.GetOptionalString(ServeVerb.Out.Name) is { } o ? Path.GetFullPath(o) : null;
        if (outDir is not null && File.Exists(outDir)) throw new CliUsageException($"--out '{outDir}' is a file, not a folder");
        var work = outDir ?? Path.Combine(Path.GetTempPath(), "ddnn-serve-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);

        EmbeddedBroker? embedded = null;
        BrokerAddress broker;
        // The folder of password files the tiers connect with: the given one (a broker-config run for an outside
        // broker), a fresh set for the embedded broker, or none (an outside broker that lets anonymous clients in).
        string? credentials = arguments.GetOptionalString(ServeVerb.Credentials.Name) is { } given ? Path.GetFullPath(given) : null;
        var acl = AccessControlList.For(topics, model);
        if (arguments.GetOptionalString(ServeVerb.Broker.Name) is not null)
        {
            broker = ServeVerb.ReadBroker(arguments);
            if (credentials is not null)
                foreach (var user in acl.Users)
                    if (!File.Exists(BrokerCredentials.PasswordFileOf(credentials, user)))
                        throw new CliUsageException($"--credentials '{credentials}' has no password file for {user} ({BrokerCredentials.PasswordFileOf(credentials, user)}); write the folder with ddnn serve broker-config for this model and deployment");
        }
        else
        {
            if (credentials is not null) throw new CliUsageException("--credentials goes with --broker; without it serve all generates a fresh set for its embedded broker");
            ServeVerb.RefuseCloudWorkers(arguments, "serve all");
            credentials = Path.Combine(work, "credentials");
            BrokerCredentials.Generate(acl).WriteTo(credentials);
            var (bind, port) = ServeVerb.ReadListen(arguments, defaultPort: 0);
            embedded = ServeVerb.StartBroker(bind, port, ServeVerb.ReadAuthorization(credentials, acl));
            broker = embedded.Address;
        }
        string? PasswordOf(string user) => credentials is null ? null : BrokerCredentials.ReadPassword(BrokerCredentials.PasswordFileOf(credentials, user));
        IEnumerable<string> CredentialArgs(PartitionId tier) => credentials is null ? []
            : ["--user", AccessControlList.UserOf(tier), "--password-file", BrokerCredentials.PasswordFileOf(credentials, AccessControlList.UserOf(tier))];
        var tiers = new List<TierProcess>();
        MqttTransport? observer = null;
        try
        {
            context.Out.WriteLine(string.Create(inv,
                $"serve all: model {fingerprint.Short}, deployment '{topics.Deployment}', {(embedded is null ? "broker" : "embedded broker")} {broker}, {count} samples of {split.Name} after {warmUp} warm-up; logs in {work}"));
            var online = new HashSet<PartitionId>();
            var brokerBytes = new BrokerByteCounters();
            observer = ServeVerb.Transport(new MqttTransportOptions
            {
                Broker = broker,
                ClientId = $"ddnn-{topics.Deployment}-observer-{Environment.ProcessId}-{Random.Shared.Next():x8}",
                UserName = credentials is null ? null : AccessControlList.MonitorUser,
                Password = PasswordOf(AccessControlList.MonitorUser),
                Describe = $"serve all's observer (user {AccessControlList.MonitorUser})",
                CaFile = arguments.GetOptionalString(ServeVerb.CaFile.Name) is { } ca ? Path.GetFullPath(ca) : null,
            }, (topic, payload) =>
            {
                if (brokerBytes.TryRead(topic, payload)) return;
                if (!topics.TryParse(topic, out var parsed) || parsed.Kind != TopicKind.Status || StatusMessage.TryRead(payload, out _) is not { } status) return;
                lock (online)
                {
                    if (status.Online && status.Fingerprint.Equals(fingerprint)) online.Add(parsed.Tier);
                    else online.Remove(parsed.Tier);
                }
            });
            try
            {
                // A mosquitto publishes its own byte counters under $SYS; the embedded broker has none.
                observer.ConnectAsync(embedded is null ? [topics.StatusFilter, .. BrokerByteCounters.Topics] : [topics.StatusFilter], context.Cancellation).GetAwaiter().GetResult();
            }
            catch (BrokerConnectException e)
            {
                context.Error.WriteLine($"ddnn serve all: {e.Message}");
                return CliApp.ExitFailure;
            }

            var common = new List<string>
            {
                "--model", Path.GetFullPath(modelPath), "--broker", broker.ToString(), "--deployment", topics.Deployment,
                "--keep-alive", arguments.GetInt(ServeVerb.KeepAlive.Name).ToString(inv), "--first-sample", first.ToString(inv),
                "--in-flight", arguments.GetInt(ServeVerb.InFlight.Name).ToString(inv),
            };
            common.AddRange(PassThrough(arguments, [ServeVerb.NoBundles, ServeVerb.CaFile, ServeVerb.CloudWorkers, ServeVerb.CodeWarmUpOption]));
            var others = topics.Tiers(model).Where(p => p.Kind != PartitionKind.Local).ToList();
            foreach (var id in others.OrderByDescending(p => p.Kind))
            {
                var args = new List<string>(common) { "--tier", Word(id.Kind), "--stats", Path.Combine(work, $"{id}.stats.json") };
                args.AddRange(CredentialArgs(id));
                switch (id.Kind)
                {
                    case PartitionKind.Device:
                        args.AddRange(["--device", id.Index.ToString(inv), "--split", arguments.GetEnum(ServeVerb.Split.Name)]);
                        args.AddRange(PassThrough(arguments, ExperimentOptions.DataOptions));
                        args.AddRange(PassThrough(arguments, [ServeVerb.Scores]));
                        break;
                    case PartitionKind.Edge:
                        args.AddRange(["--edge", id.Index.ToString(inv)]);
                        args.AddRange(PassThrough(arguments, [ServeVerb.MapWait, ServeVerb.HoldMs]));
                        break;
                    default:
                        if (topics.HasCloudWorkers) args.AddRange(["--worker", id.Index.ToString(inv)]);
                        args.AddRange(PassThrough(arguments, [ServeVerb.MapWait, ServeVerb.HoldMs]));
                        break;
                }
                tiers.Add(TierProcess.Start(id.ToString(), args, Path.Combine(work, $"{id}.log")));
            }
            var startTimeout = TimeSpan.FromSeconds(arguments.GetFloat(ServeVerb.StartTimeout.Name));
            var starting = Stopwatch.StartNew();
            while (true)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                lock (online)
                    if (others.All(online.Contains)) break;
                if (tiers.FirstOrDefault(t => t.HasExited) is { } dead)
                {
                    // Exited is not yet drained: wait for its last output lines, which say why.
                    dead.WaitForExit(TimeSpan.FromSeconds(5));
                    return Failed(context, dead, $"{dead.Name} exited with code {dead.ExitCode} while starting");
                }
                if (starting.Elapsed > startTimeout)
                {
                    string missing;
                    lock (online) missing = string.Join(", ", others.Where(p => !online.Contains(p)));
                    context.Error.WriteLine($"ddnn serve all: {missing} did not come online within {startTimeout.TotalSeconds:0} s (logs in {work})");
                    return CliApp.ExitFailure;
                }
                Thread.Sleep(50);
            }
            context.Out.WriteLine(string.Create(inv, $"serve all: {others.Count} tiers online after {starting.Elapsed.TotalSeconds:0.0} s; starting the local aggregator"));

            var answersPath = Path.Combine(work, "answers.csv");
            var localArgs = new List<string>(common)
            {
                "--tier", "local", "--stats", Path.Combine(work, "local.stats.json"), "--answers", answersPath,
                "--samples", count.ToString(inv), "--warmup", warmUp.ToString(inv),
                "--run-id", (arguments.GetOptionalInt(ServeVerb.RunId.Name) ?? Random.Shared.Next(1, int.MaxValue)).ToString(inv),
            };
            localArgs.AddRange(CredentialArgs(new PartitionId(PartitionKind.Local)));
            localArgs.AddRange(PassThrough(arguments, [ServeVerb.Threshold, ServeVerb.EdgeThreshold, ServeVerb.Rate, ServeVerb.TickPeriod,
                ServeVerb.DeviceWait, ServeVerb.EdgeMapWait, ServeVerb.EdgeScoreWait, ServeVerb.CloudWait, ServeVerb.StartTimeout, ServeVerb.MapWait]));
            var progress = new ProgressReporter(context.Out, context.Interactive).Start("served samples", count, "samples");
            var progressDone = false;
            double? windowSeconds = null;
            var brokerBefore = brokerBytes.Latest;
            var wall = Stopwatch.StartNew();
            var local = TierProcess.Start("local", localArgs, Path.Combine(work, "local.log"), line =>
            {
                if (line.StartsWith("progress: answered ", StringComparison.Ordinal)
                    && long.TryParse(line["progress: answered ".Length..].Split(' ')[0], NumberStyles.None, inv, out var answered))
                    lock (progress)
                        if (!progressDone) progress.Report(answered);
                if (line.StartsWith(ServeVerb.MeasuredPrefix, StringComparison.Ordinal)
                    && line[ServeVerb.MeasuredPrefix.Length..].Split(' ') is [_, "answers", "in", var seconds, "s"]
                    && double.TryParse(seconds, NumberStyles.Float, inv, out var s))
                    windowSeconds = s;
            });
            tiers.Add(local);
            var bound = RunBound(arguments, warmUp + count) + startTimeout;
            while (!local.WaitForExit(TimeSpan.FromMilliseconds(200)))
            {
                if (context.Cancellation.IsCancellationRequested || wall.Elapsed > bound)
                {
                    local.Stop(StopGrace);
                    if (context.Cancellation.IsCancellationRequested) context.Cancellation.ThrowIfCancellationRequested();
                    return Failed(context, local, $"the run did not finish within {bound.TotalSeconds:0} s");
                }
            }
            wall.Stop();
            lock (progress)
            {
                progressDone = true;
                progress.Complete();
            }
            if (local.ExitCode != 0) return Failed(context, local, $"the local aggregator exited with code {local.ExitCode}");
            // The broker publishes its counters once per sys_interval: wait for one that covers the end of the run.
            var brokerAfter = brokerBefore is null ? null : brokerBytes.WaitForNewer(TimeSpan.FromSeconds(3));
            foreach (var tier in tiers) tier.Stop(StopGrace);

            var stats = new List<TierStats>();
            foreach (var id in topics.Tiers(model))
            {
                var path = Path.Combine(work, $"{id}.stats.json");
                if (File.Exists(path)) stats.Add(TierStats.Read(path));
                else context.Error.WriteLine($"note: {id} left no counters ({path})");
            }
            var answers = AnswerFile.Read(answersPath);
            var report = Report(context, model, split, arguments, answers, first, stats, wall.Elapsed, windowSeconds, broker, embedded is not null,
                brokerBefore is { } b && brokerAfter is { } a ? (a.Received - b.Received, a.Sent - b.Sent) : null);
            if (outDir is not null)
            {
                var json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
                AtomicFile.WriteAllText(Path.Combine(outDir, "summary.json"), json);
                context.Out.WriteLine($"wrote {Path.Combine(outDir, "summary.json")}");
            }
            return CliApp.ExitSuccess;
        }
        finally
        {
            observer?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            foreach (var tier in tiers)
            {
                tier.Stop(StopGrace);
                tier.Dispose();
            }
            embedded?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            if (outDir is null)
            {
                try
                {
                    Directory.Delete(work, recursive: true);
                }
                catch (IOException)
                {
                    // Best effort: a leftover temp folder.
                }
            }
        }
    }

    private static int Failed(CliContext context, TierProcess tier, string what)
    {
        var last = tier.LastLines().ReplaceLineEndings("\n").Split('\n').LastOrDefault(l => l.Contains("ddnn serve", StringComparison.Ordinal) || l.Contains("error", StringComparison.OrdinalIgnoreCase))
            ?? tier.LastLines().ReplaceLineEndings("\n").Split('\n').LastOrDefault() ?? "";
        context.Error.WriteLine($"ddnn serve all: {what}: {last}");
        return CliApp.ExitFailure;
    }

    private static string Word(PartitionKind kind) => kind switch
    {
        PartitionKind.Device => "device",
        PartitionKind.Edge => "edge",
        PartitionKind.Local => "local",
        _ => "cloud",
    };

    /// <summary>How long a healthy run may take: every sample waiting out every stage, at the rate if one is set, generously.</summary>
    private static TimeSpan RunBound(CliArguments arguments, long samples)
    {
        var worstMs = arguments.GetFloat(ServeVerb.DeviceWait.Name) + arguments.GetFloat(ServeVerb.EdgeMapWait.Name)
            + arguments.GetFloat(ServeVerb.EdgeScoreWait.Name) + arguments.GetFloat(ServeVerb.CloudWait.Name);
        var rate = arguments.GetFloat(ServeVerb.Rate.Name);
        var seconds = samples * worstMs / 1000 / arguments.GetInt(ServeVerb.InFlight.Name);
        if (rate > 0) seconds = Math.Max(seconds, samples / rate + worstMs / 1000);
        return TimeSpan.FromSeconds(seconds + 120);
    }

    /// <summary>The given options (only those set on this command line), as arguments for a child.</summary>
    internal static IEnumerable<string> PassThrough(CliArguments arguments, IEnumerable<CliOption> options)
    {
        var inv = CultureInfo.InvariantCulture;
        foreach (var option in options)
        {
            if (!arguments.IsSet(option.Name)) continue;
            if (option.Kind == OptionKind.Flag)
            {
                // A flag takes no value: present means on.
                if (arguments.GetFlag(option.Name)) yield return "--" + option.Name;
                continue;
            }
            var value = option.Kind switch
            {
                OptionKind.Int => arguments.GetInt(option.Name).ToString(inv),
                OptionKind.Float => arguments.GetFloat(option.Name).ToString("R", inv),
                OptionKind.Enum => arguments.GetEnum(option.Name),
                _ => arguments.GetString(option.Name),
            };
            yield return "--" + option.Name;
            yield return value;
        }
    }

    private static object Report(CliContext context, DeployedModel model, MultiViewDataset split, CliArguments arguments, List<CascadeOutcome> answers,
        uint first, List<TierStats> stats, TimeSpan wall, double? windowSeconds, BrokerAddress broker, bool embedded, (long Received, long Sent)? brokerCounted)
    {
        var inv = CultureInfo.InvariantCulture;
        var count = split.Count;
        var outcomes = new CascadeOutcome?[count];
        var answeredTwice = 0;
        foreach (var a in answers)
        {
            var index = a.Sample - first;
            if (index < 0 || index >= count) continue;
            if (outcomes[index] is not null) answeredTwice++;
            outcomes[index] = a;
        }
        var unanswered = outcomes.Count(x => x is null);
        var givenUp = outcomes.Count(x => x is { Tier: ExitTier.None });
        // Answered, but not as the healthy deployment would: a fallback, or without some device's scores (which only a
        // model with a local exit sends to the aggregator).
        var degraded = outcomes.Count(x => x is { } o && o.Tier != ExitTier.None && (o.Degraded || (model.Local is not null && o.PresentAtLocal.Contains(false))));

        var links = new Dictionary<string, LinkCount>(StringComparer.Ordinal);
        foreach (var s in stats)
            foreach (var (link, c) in s.Published)
                links[link] = links.TryGetValue(link, out var sum) ? new LinkCount(sum.Messages + c.Messages, sum.Bytes + c.Bytes) : c;
        long Bytes(params string[] names) => names.Sum(n => links.GetValueOrDefault(n)?.Bytes ?? 0);
        var measured = new LinkBytes(
            Bytes(ServedLinks.DeviceToLocal, ServedLinks.DeviceMapsToLocal, ServedLinks.DeviceToEdge, ServedLinks.DeviceToCloud),
            Bytes(ServedLinks.CloudRequest, ServedLinks.CloudJob, ServedLinks.CloudToLocal),
            Bytes(ServedLinks.EdgeToLocal, ServedLinks.EdgeMapsToLocal, ServedLinks.EdgeToCloud));

        var scores = ScoreEncodingOption.Read(arguments) ?? model.Scores;
        var table = InferVerb.RunTable($"served run on {split.Name} ({(embedded ? "embedded broker" : "broker")} {broker}, every tier its own process)",
            model, scores, arguments.GetFloat(ServeVerb.Threshold.Name), split, outcomes, "mean latency (wall clock, due to answer)",
            "wall time (measured samples)", wall, measured);
        context.Out.Write(table.ToConsoleString());

        var latency = new ResultTable("end-to-end latency per exit level (wall clock, from when a sample was due to its answer)",
            [ResultColumn.Text("exit"), ResultColumn.Number("samples"), ResultColumn.Number("p50 ms", "0.000"), ResultColumn.Number("p95 ms", "0.000"), ResultColumn.Number("p99 ms", "0.000"), ResultColumn.Number("max ms", "0.000")]);
        var latencies = new Dictionary<string, object>(StringComparer.Ordinal);
        void AddLatencies(string name, Func<ExitTier, bool> counted)
        {
            var values = outcomes.Where(x => x is not null && counted(x.Tier)).Select(x => x!.LatencyMs).Order().ToArray();
            if (values.Length == 0) return;
            latency.AddRow(name, values.Length, Percentile(values, 50), Percentile(values, 95), Percentile(values, 99), values[^1]);
            latencies[name] = new { samples = values.Length, p50 = Percentile(values, 50), p95 = Percentile(values, 95), p99 = Percentile(values, 99), max = values[^1] };
        }
        foreach (var tier in Enum.GetValues<ExitTier>()) AddLatencies(tier.ToString(), t => t == tier);
        // Every answer that some tier gave, whatever its exit: the deployment's latency as its users see it.
        AddLatencies("all", t => t != ExitTier.None);
        context.Out.WriteLine();
        context.Out.Write(latency.ToConsoleString());

        var bytes = new ResultTable("MQTT payload bytes per link (measured samples; envelope included, MQTT framing not)",
            [ResultColumn.Text("link"), ResultColumn.Number("messages"), ResultColumn.Number("bytes"), ResultColumn.Number("bytes per sample", "0.00")]);
        var linkReport = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var link in ServedLinks.All)
        {
            if (!links.TryGetValue(link, out var c)) continue;
            bytes.AddRow(link, c.Messages, c.Bytes, c.Bytes / (double)count);
            linkReport[link] = new { messages = c.Messages, bytes = c.Bytes, bytesPerSample = c.Bytes / (double)count };
        }
        var warm = links.Where(l => l.Key.EndsWith(ServedLinks.WarmUpSuffix, StringComparison.Ordinal)).Sum(l => l.Value.Bytes);
        context.Out.WriteLine();
        context.Out.Write(bytes.ToConsoleString());
        var perDevice = measured.Devices / (double)count / model.Devices.Length;
        context.Out.WriteLine(string.Create(inv, $"bytes per device per sample from MQTT payloads: {perDevice:0.00} (warm-up messages, {warm} bytes, not counted)"));
        // The two hops apart: what the devices send to the aggregator (scores, and with cloud workers their maps), what
        // the aggregator sends up to the cloud (requests, and with cloud workers the bundled jobs), against the paper's
        // per-device formula, which counts a device's map as if it went straight to the cloud.
        var toAggregator = Bytes(ServedLinks.DeviceToLocal, ServedLinks.DeviceMapsToLocal, ServedLinks.EdgeToLocal, ServedLinks.EdgeMapsToLocal);
        var toCloud = Bytes(ServedLinks.CloudRequest, ServedLinks.CloudJob);
        var straight = Bytes(ServedLinks.DeviceToCloud, ServedLinks.EdgeToCloud);
        var localExits = outcomes.Count(x => x is { Tier: ExitTier.Local }) / (double)count;
        var paperPerDevice = new Ddnn.Core.Inference.CommunicationLedger(model.Config, scores).BytesPerDevice(localExits);
        context.Out.WriteLine(string.Create(inv,
            $"device->aggregator: {toAggregator / (double)count:0.00} bytes per sample ({toAggregator / (double)count / model.Devices.Length:0.00} per device); aggregator->cloud: {toCloud / (double)count:0.00} bytes per sample; straight to the cloud (without cloud workers): {straight / (double)count:0.00} bytes per sample; paper formula per device at this l: {paperPerDevice:0.00}"));

        var drops = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var s in stats)
            foreach (var (reason, n) in s.Drops)
                drops[reason] = drops.GetValueOrDefault(reason) + n;
        var late = drops.GetValueOrDefault(nameof(DropReason.Late)) + drops.GetValueOrDefault(nameof(DropReason.Duplicate));
        var publishDrops = stats.Sum(s => s.PublishesDropped);
        var queueDrops = stats.Sum(s => s.QueueDropped);
        var reconnects = stats.Sum(s => s.Reconnects);
        var counters = new ResultTable("lost, late and dropped", [ResultColumn.Text("what"), ResultColumn.Text("count")])
            .AddRow("unanswered (no answer at all / given up, no tier)", $"{unanswered} / {givenUp}")
            .AddRow("answered degraded (a fallback, or some device's scores missing)", degraded.ToString(inv))
            .AddRow("answered twice", answeredTwice.ToString(inv))
            .AddRow("late or duplicate messages dropped", late.ToString(inv))
            .AddRow("messages dropped by the tiers", drops.Count == 0 ? "0" : string.Join(", ", drops.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => $"{d.Key} {d.Value}")))
            .AddRow("publishes dropped (queue full, disconnected, failed)", publishDrops.ToString(inv))
            .AddRow("received messages dropped (tier queue full)", queueDrops.ToString(inv))
            .AddRow("reconnects", reconnects.ToString(inv))
            .AddRow("answered samples per second (measured window: first measured tick to last answer)",
                windowSeconds is { } w ? string.Create(inv, $"{(count - unanswered - givenUp) / Math.Max(w, 1e-9):0} ({count - unanswered - givenUp} answered in {w:0.000} s)") : "not reported")
            .AddRow("answered samples per second (wall: local process start to exit)", (count / Math.Max(wall.TotalSeconds, 1e-9)).ToString("0", inv));
        context.Out.WriteLine();
        context.Out.Write(counters.ToConsoleString());

        // Where the CPU went: with every tier on a shared core, the busiest process sets the rate.
        var own = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        context.Out.WriteLine(string.Create(inv, $"CPU per process (start-up included), seconds: {string.Join(", ", stats.Select(s => $"{s.Tier} {s.CpuSeconds:0.00}"))}, this process ({(embedded ? "embedded broker, " : "")}observer, data) {own:0.00}"));
        context.Out.WriteLine(string.Create(inv, $"CPU per measured sample, µs: {string.Join(", ", stats.Select(s => $"{s.Tier} {s.CpuSeconds * 1e6 / count:0}"))}"));

        // Ours against the broker's: every payload the tiers published (warm-up and status included) against what
        // mosquitto counted in and out (MQTT framing, topics, pings, subscriptions and this process's observer too).
        var allPayload = stats.Sum(s => s.Published.Values.Sum(c => c.Bytes));
        var allMessages = stats.Sum(s => s.Published.Values.Sum(c => c.Messages));
        var mqttPublishes = stats.Sum(s => s.Publishes);
        if (brokerCounted is { } bc)
            context.Out.WriteLine(string.Create(inv,
                $"broker's own count ($SYS/broker/bytes, local start to end of run): received {bc.Received}, sent {bc.Sent}; the tiers published {allMessages} messages in {mqttPublishes} MQTT publishes (bundles), {allPayload} payload bytes"));

        var tiers = new int[Enum.GetValues<ExitTier>().Length];
        foreach (var x in outcomes) if (x is not null) tiers[(int)x.Tier]++;
        return new
        {
            model = ModelFingerprint.Of(model).ToString(),
            broker = broker.ToString(),
            embeddedBroker = embedded,
            split = split.Name,
            samples = count,
            threshold = arguments.GetFloat(ServeVerb.Threshold.Name),
            edgeThreshold = arguments.GetFloat(ServeVerb.EdgeThreshold.Name),
            rate = arguments.GetFloat(ServeVerb.Rate.Name),
            inFlight = arguments.GetInt(ServeVerb.InFlight.Name),
            accuracy = outcomes.Select((x, i) => x is not null && x.Prediction == split.GetLabel(i)).Count(c => c) / (double)count,
            exits = Enum.GetValues<ExitTier>().ToDictionary(t => t.ToString(), t => tiers[(int)t]),
            latencyMs = latencies,
            links = linkReport,
            bytesPerDevicePerSample = perDevice,
            cloudWorkers = arguments.GetInt(ServeVerb.CloudWorkers.Name),
            deviceToAggregatorBytesPerSample = toAggregator / (double)count,
            aggregatorToCloudBytesPerSample = toCloud / (double)count,
            straightToCloudBytesPerSample = straight / (double)count,
            paperBytesPerDevicePerSample = paperPerDevice,
            warmUpBytes = warm,
            unanswered,
            givenUp,
            degraded,
            answeredTwice,
            lateOrDuplicate = late,
            drops,
            publishesDropped = publishDrops,
            receivedDropped = queueDrops,
            reconnects,
            wallSeconds = wall.TotalSeconds,
            windowSeconds,
            answeredPerSecond = windowSeconds is { } ws ? (count - unanswered - givenUp) / Math.Max(ws, 1e-9) : (double?)null,
            answeredPerSecondWall = count / Math.Max(wall.TotalSeconds, 1e-9),
            publishedMessages = allMessages,
            mqttPublishes,
            publishedPayloadBytes = allPayload,
            brokerBytesReceived = brokerCounted?.Received,
            brokerBytesSent = brokerCounted?.Sent,
            tiers = stats,
        };
    }

    /// <summary>Nearest-rank percentile of sorted <paramref name="sorted"/>.</summary>
    internal static double Percentile(double[] sorted, double p)
    {
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>
/// mosquitto's own byte counters, <c>$SYS/broker/bytes/received</c> and <c>/sent</c>, as it publishes them (every
/// <c>sys_interval</c> seconds; set it to 1 for runs this short).
/// </summary>
internal sealed class BrokerByteCounters
{
    private const string ReceivedTopic = "$SYS/broker/bytes/received", SentTopic = "$SYS/broker/bytes/sent";
    public static readonly string[] Topics = [ReceivedTopic, SentTopic];

    private readonly Lock _lock = new();
    private long? _received, _sent;
    private int _updates;

    /// <summary>Both counters, once each has been seen.</summary>
    public (long Received, long Sent)? Latest
    {
        get
        {
            lock (_lock) return _received is { } r && _sent is { } s ? (r, s) : null;
        }
    }

    /// <summary>True when the message was one of the counters (a malformed value is ignored).</summary>
    public bool TryRead(string topic, byte[] payload)
    {
        var received = topic == ReceivedTopic;
        if (!received && topic != SentTopic) return false;
        if (!long.TryParse(System.Text.Encoding.ASCII.GetString(payload), NumberStyles.None, CultureInfo.InvariantCulture, out var value)) return true;
        lock (_lock)
        {
            if (received) _received = value;
            else _sent = value;
            _updates++;
        }
        return true;
    }

    /// <summary>The counters after both have been published again, or null when they are not within <paramref name="timeout"/>.</summary>
    public (long Received, long Sent)? WaitForNewer(TimeSpan timeout)
    {
        int start;
        lock (_lock) start = _updates;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            lock (_lock)
                if (_updates >= start + 2) break;
            Thread.Sleep(50);
        }
        lock (_lock) return _updates >= start + 2 ? Latest : null;
    }
}

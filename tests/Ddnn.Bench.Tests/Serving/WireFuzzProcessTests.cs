using System.Diagnostics;
using System.Globalization;
using Ddnn.Bench.Serving;
using Ddnn.Core.Deploy;
using Ddnn.Core.Runtime;
using Ddnn.Core.Serving;
using Ddnn.Core.Tests.Serving;
using Ddnn.TestSupport;
using Xunit.Abstractions;

namespace Ddnn.Bench.Tests.Serving;

/// <summary>
/// The fuzzer against tier processes on a real mosquitto: six devices, the cloud (or two cloud workers sharing the
/// aggregator's jobs) and a local aggregator, each its own <c>ddnn serve</c> process, flooded in the middle of a run. No
/// tier exits, every fuzz message a tier receives is one drop of the reason its class gives (the tiers' <c>--stats</c>),
/// the run's answers stay right, the oversized ones never reach a tier, and afterwards a new run of a new aggregator
/// against the same device and cloud processes answers every sample as the in-process cascade runtime (<c>ddnn
/// infer</c>) does. Each tier's peak working set (VmHWM) is reported. The broker runs without an ACL (anyone may
/// publish anything), so one client can put the fuzz on every topic, the workers' job topic included.
/// </summary>
[Collection(ServingProcessCollection.Name)]
public sealed class WireFuzzProcessTests(ServedModels models, ITestOutputHelper output) : IClassFixture<ServedModels>
{
    private static readonly TimeSpan StepLimit = TimeSpan.FromSeconds(120);
    private const int FuzzMessages = 5000;
    private const uint RunA = 4242, RunB = 4343;
    private const int Split = 24;
    private const uint FirstA = 50_000 * Split, FirstB = 100_000 * Split;

    private static readonly string[] LongWaits = ["--device-wait-ms", "30000", "--cloud-wait-ms", "30000"];

    [Fact]
    public Task Tier_processes_flooded_by_the_fuzzer_count_every_drop_by_reason_and_a_new_run_still_answers_as_infer() => FloodAndRunAgain(cloudWorkers: 0);

    /// <summary>
    /// The same with two cloud workers (<c>--cloud-workers 2</c>): the fuzz goes to the job topic the workers share, to
    /// the maps and answers on the aggregator's inbox, and to the workers' statuses. A job is handed to one worker, so
    /// the workers' drops are checked together per reason (each at least what it alone received: the statuses).
    /// </summary>
    [Fact]
    public Task Cloud_worker_processes_flooded_by_the_fuzzer_count_every_drop_by_reason_and_a_new_run_still_answers_as_infer() => FloodAndRunAgain(cloudWorkers: 2);

    private async Task FloodAndRunAgain(int cloudWorkers)
    {
        var model = DeployedModelLoader.Load(models.Plain);
        var fingerprint = ModelFingerprint.Of(model);
        var topics = new TopicScheme("ddnn", cloudWorkers); // the deployment --deployment defaults to
        var inv = CultureInfo.InvariantCulture;
        var clouds = Enumerable.Range(0, topics.CloudTiers).Select(k => new PartitionId(PartitionKind.Cloud, k)).ToArray();
        var split = ServeEquivalenceTests.LoadTestSplit();
        Assert.Equal(Split, split.Count);
        var (threshold, _) = ServeEquivalenceTests.ThresholdsForEveryLevel(model, split, edges: false);
        var infer = new CascadeRuntime(model, new CascadeOptions { LocalThreshold = threshold });
        var expected = Enumerable.Range(0, Split).Select(s => infer.Run(s, split.GetSample(s))).ToArray();
        Assert.Contains(expected, o => o.Tier == ExitTier.Local);
        Assert.Contains(expected, o => o.Tier == ExitTier.Cloud);

        using var dir = new TempDirectory();
        using var mosquitto = Mosquitto.Start();
        var tiers = new Dictionary<string, TierProcess>();
        try
        {
            TierProcess Start(string name, params string[] extra)
            {
                List<string> args =
                [
                    "--model", models.Plain, "--broker", mosquitto.Address.ToString(), "--in-flight", "8", "--stats", dir.File(name + ".stats.json"),
                    "--cloud-workers", cloudWorkers.ToString(inv),
                ];
                if (name.StartsWith("dev", StringComparison.Ordinal)) args.AddRange(["--tier", "device", "--device", name[3..], .. ServedModels.DataArgs]);
                // With workers the aggregator gathers the maps the one cloud gathers otherwise: the same long wait.
                else if (name.StartsWith("local", StringComparison.Ordinal)) args.AddRange(["--tier", "local", .. cloudWorkers > 0 ? ["--map-wait-ms", "30000"] : Array.Empty<string>()]);
                else if (cloudWorkers > 0) args.AddRange(["--tier", "cloud", "--worker", Array.FindIndex(clouds, c => c.ToString() == name).ToString(inv)]);
                else args.AddRange(["--tier", "cloud", "--map-wait-ms", "30000", "--hold-ms", "60000"]);
                args.AddRange(extra);
                return tiers[name] = TierProcess.Start(name, args, dir.File(name + ".log"));
            }
            var served = Enumerable.Range(0, model.Devices.Length).Select(d => $"dev{d}").Concat(clouds.Select(c => c.ToString())).ToArray();
            foreach (var name in served) Start(name);
            // A tier frozen in the middle of its MQTT connect (other jobs on this machine stop processes for minutes)
            // gives up with "cannot reach the MQTT broker"; that start, and only that, is tried again, at most twice.
            var restarts = 0;
            WaitUntil(tiers, () =>
            {
                foreach (var n in served)
                    if (tiers[n].HasExited && tiers[n].LastLines().Contains("cannot reach the MQTT broker", StringComparison.Ordinal) && restarts++ < 2)
                    {
                        output.WriteLine($"{n} could not connect at start, started again: {tiers[n].LastLines()}");
                        tiers[n].Dispose();
                        Start(n);
                    }
                return served.All(n => tiers[n].LastLines().Contains("serving model", StringComparison.Ordinal));
            }, "every tier to connect");
            string[] Local(uint run, uint first, string samples, string rate, string answers) =>
            [
                "--run-id", run.ToString(inv), "--first-sample", first.ToString(inv), "--warmup", "0", "--samples", samples, "--rate", rate,
                "--threshold", threshold.ToString("R", inv), .. LongWaits, "--answers", dir.File(answers), "--start-timeout", "120",
            ];
            // Run A ticks at a steady rate through the flood; its answers must stay those of infer. The fuzz's far-behind
            // class assumes a cloud tier that knows the newest sample: with workers, each must have answered a job first,
            // which a client of the test's own sees on the answer topics (the broker hands the jobs out one by one).
            var answeredBy = new HashSet<string>(StringComparer.Ordinal);
            await using (var watcher = new MqttTransport(new MqttTransportOptions { Broker = mosquitto.Address, ClientId = $"answers-{Environment.ProcessId}" }, (topic, _) =>
            {
                lock (answeredBy) answeredBy.Add(topic);
            }))
            {
                await watcher.ConnectAsync([.. clouds.Select(c => topics.To(new PartitionId(PartitionKind.Local), c))], CancellationToken.None);
                Start("localA", Local(RunA, FirstA, "100000", "10", "a.csv"));
                WaitUntil(tiers, () => Answers(dir.File("a.csv")) is var a && a.Count >= 12 && a.Any(o => o.Tier == ExitTier.Cloud), "run A's first answers, one from the cloud");
                WaitUntil(tiers, () => { lock (answeredBy) return answeredBy.Count == clouds.Length; }, "every cloud tier to answer a job of run A");
                await watcher.DisconnectAsync(StepLimit);
            }
            var flooded = served.Append("localA").ToArray();
            var before = flooded.ToDictionary(n => n, n => PeakKilobytes(tiers[n].Id));

            var newest = (uint)Answers(dir.File("a.csv")).Max(o => o.Sample);
            var fuzzer = new WireFuzzer(model, fingerprint, topics, RunA, seed: 14);
            var messages = fuzzer.Generate(FuzzMessages, newest, oversized: 3);
            var flood = Stopwatch.StartNew();
            await using (var publisher = new MqttTransport(new MqttTransportOptions { Broker = mosquitto.Address, ClientId = $"fuzzer-{Environment.ProcessId}" }, (_, _) => { }))
            {
                await publisher.ConnectAsync([], CancellationToken.None);
                foreach (var m in messages) publisher.Publish(m.Topic, m.Payload, Delivery.AtMostOnce, retain: false);
                // Acknowledged only once mosquitto has routed everything this client sent before it.
                publisher.Publish($"{TopicScheme.Prefix}/{topics.Deployment}/fuzz-end", [1], Delivery.AtLeastOnce, retain: false);
                await publisher.DisconnectAsync(StepLimit);
                Assert.True(publisher.Dropped == 0, $"the fuzzer's client dropped {publisher.Dropped} publishes");
                Assert.Equal(messages.Count + 1, publisher.Publishes);
            }
            var floodSeconds = flood.Elapsed.TotalSeconds;
            // The aggregator handles its queue in order: answers to later ticks mean the flood ahead of them was handled.
            var answeredAtEnd = Answers(dir.File("a.csv")).Count;
            WaitUntil(tiers, () => Answers(dir.File("a.csv")).Count >= answeredAtEnd + 20, "run A to answer 20 more samples after the flood");
            Assert.All(flooded, n => Assert.False(tiers[n].HasExited, $"{n} exited during the flood: {tiers[n].LastLines()}"));
            var peak = flooded.ToDictionary(n => n, n => PeakKilobytes(tiers[n].Id));
            Assert.True(tiers["localA"].Stop(TimeSpan.FromSeconds(20)), "run A's aggregator did not stop on SIGTERM");
            Assert.True(tiers["localA"].ExitCode == 0, $"run A's aggregator exited with {tiers["localA"].ExitCode}: {tiers["localA"].LastLines()}");
            var answersA = Answers(dir.File("a.csv"));
            Assert.Equal(answersA.Count, answersA.Select(o => o.Sample).Distinct().Count());
            foreach (var a in answersA) Same(expected[(int)(a.Sample % Split)], a, "run A");

            // Run B: a new aggregator (new run id) against the same device and cloud processes.
            Start("localB", Local(RunB, FirstB, Split.ToString(inv), "0", "b.csv"));
            WaitUntil(tiers, () => tiers["localB"].HasExited, "run B to finish", "localA", "localB");
            Assert.True(tiers["localB"].WaitForExit(TimeSpan.FromSeconds(10)));
            Assert.True(tiers["localB"].ExitCode == 0, tiers["localB"].LastLines());
            var answersB = Answers(dir.File("b.csv"));
            Assert.Equal(Split, answersB.Count);
            Assert.Equal(Split, answersB.Select(o => o.Sample).Distinct().Count());
            foreach (var b in answersB) Same(expected[(int)(b.Sample % Split)], b, "run B");
            foreach (var tier in Enum.GetValues<ExitTier>())
                Assert.Equal(expected.Count(o => o.Tier == tier), answersB.Count(o => o.Tier == tier));

            Assert.All(served, n => Assert.False(tiers[n].HasExited, $"{n} exited: {tiers[n].LastLines()}"));
            foreach (var n in served)
            {
                Assert.True(tiers[n].Stop(TimeSpan.FromSeconds(20)), $"{n} did not stop on SIGTERM");
                Assert.True(tiers[n].ExitCode == 0, $"{n} exited with {tiers[n].ExitCode}: {tiers[n].LastLines()}");
            }

            // Every fuzz message a tier's subscriptions take is one drop of its class's reason; the oversized ones, above
            // the tiers' 1 MB maximum packet size, are never delivered; run B adds none. A job goes to one worker of the
            // shared subscription, which one the broker decides: those drops are expected of the workers together.
            var receivers = ReceiversOf(model, fingerprint, topics);
            var expectedDrops = receivers.ToDictionary(r => r.Id.ToString(), _ => new Dictionary<DropReason, long>());
            var shared = new Dictionary<DropReason, long>();
            foreach (var m in messages.Where(m => m.Class != FuzzClass.Oversized))
                foreach (var tier in WireFuzzer.Receivers(receivers, m.Topic))
                {
                    var reason = WireFuzzer.Expected(m, tier.Id);
                    var want = cloudWorkers > 0 && m.Topic == topics.CloudJob ? shared : expectedDrops[tier.Id.ToString()];
                    want[reason] = want.GetValueOrDefault(reason) + 1;
                }
            var counted = flooded.ToDictionary(n => n, n => TierStats.Read(dir.File(n + ".stats.json")));
            Assert.Empty(TierStats.Read(dir.File("localB.stats.json")).Drops);
            string Reconnected(TierStats stats) => stats.Reconnects > 0
                ? $"; it reconnected {stats.Reconnects} times (stopped by another job long enough for its will?), and what came meanwhile was lost" : "";
            if (cloudWorkers > 0)
            {
                Assert.NotEmpty(shared);
                var workers = clouds.Select(c => counted[c.ToString()]).ToArray();
                foreach (var reason in Enum.GetValues<DropReason>())
                {
                    var alone = clouds.Sum(c => expectedDrops[c.ToString()].GetValueOrDefault(reason));
                    Assert.True(alone + shared.GetValueOrDefault(reason) == workers.Sum(w => w.DropsOf(reason)),
                        $"cloud workers: {reason}: counted {workers.Sum(w => w.DropsOf(reason))} together, the fuzz they received makes {alone} on their own topics and {shared.GetValueOrDefault(reason)} on the shared job topic" +
                        string.Concat(workers.Select(Reconnected)));
                }
                // The jobs of both runs, each answered by one worker; the ones run A's aggregator published as it stopped may be lost.
                var jobs = new[] { "localA", "localB" }.Sum(n => TierStats.Read(dir.File(n + ".stats.json")).Published
                    .Where(l => l.Key.StartsWith(ServedLinks.CloudJob, StringComparison.Ordinal)).Sum(l => l.Value.Messages));
                var cloudAnswers = answersA.Concat(answersB).Count(o => o.Tier == ExitTier.Cloud);
                Assert.InRange(workers.Sum(w => w.Answered), cloudAnswers, jobs);
                output.WriteLine(string.Create(inv, $"{shared.Values.Sum()} fuzz messages on the shared job topic; {jobs} jobs published, answered by the workers: {string.Join(", ", workers.Select(w => $"{w.Tier} {w.Answered}"))}"));
            }
            var report = new List<string>();
            foreach (var n in flooded)
            {
                var stats = counted[n];
                var want = expectedDrops[n == "localA" ? "local" : n];
                foreach (var reason in Enum.GetValues<DropReason>())
                {
                    var message = $"{n}: {reason}: counted {stats.DropsOf(reason)}, the fuzz it received makes {want.GetValueOrDefault(reason)}" + Reconnected(stats);
                    // A worker also counts its share of the jobs (checked together above).
                    if (cloudWorkers > 0 && n.StartsWith("cloud", StringComparison.Ordinal)) Assert.True(want.GetValueOrDefault(reason) <= stats.DropsOf(reason), message);
                    else Assert.True(want.GetValueOrDefault(reason) == stats.DropsOf(reason), message);
                }
                Assert.True(stats.QueueDropped == 0, $"{n}: {stats.QueueDropped} received messages dropped (its queue was full)" + Reconnected(stats));
                Assert.True(stats.Drops.Values.Sum() > 300, $"{n} counted {stats.Drops.Values.Sum()} drops");
                // The drop log: at most one line per reason per second of the flood and what followed it, each naming a topic.
                var lines = File.ReadAllLines(dir.File(n + ".log")).Where(l => l.Contains(": dropped ", StringComparison.Ordinal)).ToList();
                foreach (var reason in stats.Drops.Where(d => d.Value > 0).Select(d => Enum.Parse<DropReason>(d.Key)))
                {
                    var of = lines.Where(l => l.Contains($": dropped {reason} on ddnn/", StringComparison.Ordinal)).ToList();
                    Assert.NotEmpty(of);
                    Assert.True(of.Count <= floodSeconds + 30, $"{n}: {of.Count} lines for {reason}");
                }
                report.Add(string.Create(inv, $"{n}: {stats.Drops.Values.Sum()} drops, VmHWM {before[n] / 1024.0:0.0} MB before the flood, {peak[n] / 1024.0:0.0} MB after; {lines.Count} drop log lines"));
            }
            output.WriteLine(string.Create(inv, $"{messages.Count} fuzz messages ({messages.Count(m => m.Class == FuzzClass.Oversized)} oversized) published in {floodSeconds:0.0} s"));
            foreach (var line in report) output.WriteLine(line);
        }
        finally
        {
            foreach (var tier in tiers.Values)
            {
                tier.Stop(TimeSpan.FromSeconds(5));
                tier.Dispose();
            }
        }
    }

    private static void Same(CascadeOutcome expected, CascadeOutcome actual, string run) =>
        Assert.True(expected.Tier == actual.Tier && expected.Prediction == actual.Prediction,
            $"{run}, sample {actual.Sample} (split sample {actual.Sample % Split}): infer says {expected.Tier} {expected.Prediction}, serve says {actual.Tier} {actual.Prediction}");

    /// <summary>Each served tier as an object of its own kind, for the subscriptions its process makes (the same code).</summary>
    private static List<ServingTier> ReceiversOf(DeployedModel model, ModelFingerprint fingerprint, TopicScheme topics)
    {
        var clock = new MonotonicClock();
        var none = new NoTransport();
        var list = new List<ServingTier>();
        for (var d = 0; d < model.Devices.Length; d++) list.Add(new DeviceTier(model, d, fingerprint, topics, none, clock, new NoSensor()));
        if (topics.HasCloudWorkers)
            for (var k = 0; k < topics.CloudWorkers; k++) list.Add(new CloudWorkerTier(model, k, fingerprint, topics, none, clock));
        else list.Add(new CloudTier(model, fingerprint, topics, none, clock));
        list.Add(new LocalAggregatorTier(model, fingerprint, topics, none, clock));
        return list;
    }

    private sealed class NoTransport : IMessageTransport
    {
        public void Publish(string topic, ReadOnlySpan<byte> payload, Delivery delivery, bool retain) { }
    }

    private sealed class NoSensor : IDeviceSensor
    {
        public bool TryRead(int device, uint sample, Span<float> view) => false;
    }

    /// <summary>The peak resident set of process <paramref name="pid"/> (VmHWM in /proc/&lt;pid&gt;/status), kB.</summary>
    private static long PeakKilobytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private static List<CascadeOutcome> Answers(string path)
    {
        if (!File.Exists(path)) return [];
        string text;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        using (var reader = new StreamReader(stream))
            text = reader.ReadToEnd();
        var complete = text[..(text.LastIndexOf('\n') + 1)];
        if (complete.Count(c => c == '\n') < 2) return [];
        var copy = path + ".read";
        File.WriteAllText(copy, complete);
        return AnswerFile.Read(copy);
    }

    /// <summary>
    /// Waits until <paramref name="condition"/> holds, failing when a tier not in <paramref name="mayExit"/> exits or
    /// after <see cref="StepLimit"/> of this process's running time: a gap of more than 2 s between two polls 50 ms
    /// apart is time this test was stopped (other jobs freeze processes on this machine), and does not count.
    /// </summary>
    private static void WaitUntil(Dictionary<string, TierProcess> tiers, Func<bool> condition, string what, params string[] mayExit)
    {
        var clock = Stopwatch.StartNew();
        var stopped = TimeSpan.Zero;
        var last = clock.Elapsed;
        while (!condition())
        {
            if (tiers.Values.FirstOrDefault(t => t.HasExited && !mayExit.Contains(t.Name)) is { } dead)
                Assert.Fail($"{dead.Name} exited ({dead.ExitCode}) while waiting for {what}: {dead.LastLines()}");
            var now = clock.Elapsed;
            if (now - last > TimeSpan.FromSeconds(2)) stopped += now - last;
            last = now;
            if (now - stopped >= StepLimit)
                Assert.Fail($"timed out after {StepLimit.TotalSeconds} s waiting for {what}; the tiers said:\n{string.Join("\n", tiers.Values.Select(t => $"--- {t.Name}\n{t.LastLines()}"))}");
            Thread.Sleep(50);
        }
    }
}

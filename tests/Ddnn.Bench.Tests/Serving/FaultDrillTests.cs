using System.Diagnostics;
using System.Globalization;
using Ddnn.Bench.Serving;
using Ddnn.Core.Runtime;
using Ddnn.TestSupport;

namespace Ddnn.Bench.Tests.Serving;

/// <summary>
/// Fault drills on a real deployment: mosquitto of the test's own and every tier its own <c>ddnn serve</c> process,
/// the local aggregator ticking at a steady rate. Processes are killed, frozen and restarted by their own ids; every
/// wait is bounded. The answers file of the aggregator (one line per answer, flushed) is how the drill follows the run.
/// </summary>
[Collection(ServingProcessCollection.Name)]
public sealed class FaultDrillTests(ServedModels models) : IClassFixture<ServedModels>
{
    /// <summary>How long any one step of a drill may take on a loaded 2-core machine before the drill fails.</summary>
    private static readonly TimeSpan StepLimit = TimeSpan.FromSeconds(90);

    /// <summary>The bound stated for a restarted device (or cloud): its first answer comes within this many answers after its process announced itself online.</summary>
    private const int RejoinBound = 100;

    /// <summary>
    /// The bound stated for a device behind a restored link: its answers return within this many answers (10 s at 20
    /// ticks/s) after the link is up. Its client notices the loss by its keep-alive, retries at most 1 s apart, and a
    /// connect attempt under way when the link returns waits for TCP's SYN retransmission (1 s, then 2 s).
    /// </summary>
    private const int LinkRejoinBound = 200;

    private sealed class Deployment : IDisposable
    {
        private readonly TempDirectory _dir = new();
        private readonly List<string> _common;
        private readonly Dictionary<string, TierProcess> _tiers = [];
        private readonly NetworkNamespace? _boundary;
        private readonly string? _isolated;
        private readonly int _cloudWorkers;

        /// <param name="boundary">With <paramref name="isolated"/>: the namespace that tier runs in, reaching mosquitto on the veth address (the others use 127.0.0.1).</param>
        /// <param name="cloudWorkers">0: one cloud; n: the cloud is n workers (cloud, cloud1, ...) sharing the aggregator's bundled requests.</param>
        public Deployment(string model, double threshold, NetworkNamespace? boundary = null, string? isolated = null, int cloudWorkers = 0)
        {
            _boundary = boundary;
            _isolated = isolated;
            _cloudWorkers = cloudWorkers;
            Mosquitto = Mosquitto.Start(alsoOn: boundary?.HostAddress);
            _common = ["--model", model, "--keep-alive", "1", "--cloud-workers", cloudWorkers.ToString(CultureInfo.InvariantCulture)];
            try
            {
                StartAll(threshold);
            }
            catch
            {
                // The caller's using never sees a half-started deployment: stop what was started.
                Dispose();
                throw;
            }
        }

        private void StartAll(double threshold)
        {
            foreach (var d in Enumerable.Range(0, 6)) Start($"dev{d}");
            Start("cloud");
            for (var k = 1; k < _cloudWorkers; k++) Start($"cloud{k}");
            WaitUntil(() => _tiers.Values.All(t => Log(t.Name).Contains("serving model", StringComparison.Ordinal)), "every tier to connect");
            Start("local", "--samples", "100000", "--warmup", "40", "--first-sample", FirstSample.ToString(CultureInfo.InvariantCulture), "--rate", "20", "--in-flight", "64", "--threshold", threshold.ToString("R", CultureInfo.InvariantCulture),
                "--device-wait-ms", "2000", "--cloud-wait-ms", "5000", "--answers", AnswersPath, "--start-timeout", "60");
        }

        /// <summary>The first measured sample id: ids below are the warm-up (first inferences, JIT), not written.</summary>
        public const long FirstSample = 40;

        public Mosquitto Mosquitto { get; }
        public string AnswersPath => _dir.File("answers.csv");
        public string StatsPath(string name) => _dir.File(name + ".stats.json");

        public void Start(string name, params string[] extra)
        {
            var inside = _boundary is not null && name == _isolated;
            var broker = inside ? Mosquitto.AddressOn(_boundary!.HostAddress) : Mosquitto.Address;
            var args = new List<string>(_common) { "--broker", broker.ToString(), "--stats", _dir.File(name + ".stats.json") };
            if (name.StartsWith("dev", StringComparison.Ordinal)) args.AddRange(["--tier", "device", "--device", name[3..], .. ServedModels.DataArgs]);
            else if (name.StartsWith("cloud", StringComparison.Ordinal) && _cloudWorkers > 0) args.AddRange(["--tier", "cloud", "--worker", name == "cloud" ? "0" : name[5..]]);
            else args.AddRange(["--tier", name]);
            args.AddRange(extra);
            if (_tiers.Remove(name, out var old)) old.Dispose();
            _tiers[name] = TierProcess.Start(name, args, _dir.File(name + "." + Guid.NewGuid().ToString("N")[..6] + ".log"), launcher: inside ? _boundary!.Exec : null);
        }

        public TierProcess this[string name] => _tiers[name];

        public string Log(string name) => _tiers[name].LastLines();

        /// <summary>The answers so far (a partly written last line is left for the next read).</summary>
        public List<CascadeOutcome> Answers()
        {
            if (!File.Exists(AnswersPath)) return [];
            string text;
            using (var stream = new FileStream(AnswersPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            using (var reader = new StreamReader(stream))
                text = reader.ReadToEnd();
            var complete = text[..(text.LastIndexOf('\n') + 1)];
            var scratch = _dir.File("answers-copy.csv");
            File.WriteAllText(scratch, complete);
            return complete.Length == 0 ? [] : AnswerFile.Read(scratch);
        }

        /// <summary>Waits until at least <paramref name="count"/> answers exist; returns them.</summary>
        public List<CascadeOutcome> WaitForAnswers(int count, string why)
        {
            List<CascadeOutcome> answers = [];
            WaitUntil(() => (answers = Answers()).Count >= count, $"{count} answers ({why})");
            return answers;
        }

        public void WaitUntil(Func<bool> condition, string what)
        {
            var clock = Stopwatch.StartNew();
            while (!condition())
            {
                if (_tiers.Values.FirstOrDefault(t => t.HasExited && t.Name is "local") is { } dead)
                    Assert.Fail($"the local aggregator exited ({dead.ExitCode}) while waiting for {what}: {dead.LastLines()}");
                if (clock.Elapsed >= StepLimit)
                    Assert.Fail($"timed out after {StepLimit.TotalSeconds} s waiting for {what}; the tiers said:\n{string.Join("\n", _tiers.Values.Select(t => $"--- {t.Name}\n{t.LastLines()}"))}");
                Thread.Sleep(50);
            }
        }

        /// <summary>Stops the aggregator cleanly and checks what must always hold: it stopped in time and answered no sample twice.</summary>
        public List<CascadeOutcome> Finish()
        {
            Assert.True(_tiers["local"].Stop(TimeSpan.FromSeconds(20)), "the local aggregator did not stop on SIGTERM");
            var answers = Answers();
            Assert.Equal(answers.Count, answers.Select(a => a.Sample).Distinct().Count());
            Assert.DoesNotContain("answered twice", Log("local"), StringComparison.Ordinal);
            return answers;
        }

        public void Dispose()
        {
            foreach (var tier in _tiers.Values)
            {
                tier.Signal(PosixSignalNumber.Cont);
                tier.Stop(TimeSpan.FromSeconds(5));
                tier.Dispose();
            }
            Mosquitto.Dispose();
            _dir.Dispose();
        }
    }

    private static bool Present(CascadeOutcome o, int device) => o.PresentAtLocal[device];

    /// <summary>The answers of samples ticked after sample <paramref name="id"/>, in sample order (answers come back out of order when several are in flight).</summary>
    private static List<CascadeOutcome> After(IEnumerable<CascadeOutcome> answers, long id) => answers.Where(a => a.Sample > id).OrderBy(a => a.Sample).ToList();

    /// <summary>Waits until every sample of (<paramref name="from"/>, <paramref name="from"/> + <paramref name="count"/>] is answered; returns those answers.</summary>
    private static List<CascadeOutcome> Span(Deployment run, long from, int count, string why)
    {
        List<CascadeOutcome> span = [];
        run.WaitUntil(() => (span = After(run.Answers(), from).Where(a => a.Sample <= from + count).ToList()).Count == count, $"samples {from + 1}..{from + count} ({why})");
        return span;
    }

    private static long Newest(Deployment run) => run.Answers().Select(a => a.Sample).DefaultIfEmpty(Deployment.FirstSample).Max();

    [Fact]
    public void A_killed_device_is_noticed_the_run_goes_on_degraded_and_a_restarted_one_rejoins()
    {
        using var run = new Deployment(models.Plain, threshold: 1.01);
        var warm = Span(run, Deployment.FirstSample, 20, "warm");
        Assert.Contains(warm, o => o.PresentAtLocal.All(p => p));
        run["dev2"].Signal(PosixSignalNumber.Kill);
        var killed = Newest(run);
        // The will arrives at once (the socket closed), so the aggregator stops waiting for dev2 within a few samples;
        // the others are fused without it (5 of 6 at the local exit).
        var tail = Span(run, killed + 20, 40, "answers without dev2");
        Assert.All(tail, o => Assert.False(Present(o, 2)));
        Assert.All(tail, o => Assert.Equal(ExitTier.Local, o.Tier));
        Assert.Contains(tail, o => o.PresentAtLocal.Count(p => p) == 5);

        run.Start("dev2");
        run.WaitUntil(() => run.Log("dev2").Contains("serving model", StringComparison.Ordinal), "dev2 to come back");
        var rejoined = Span(run, Newest(run), RejoinBound, "dev2 to rejoin");
        Assert.Contains(rejoined, o => Present(o, 2));
        run.Finish();
    }

    [Fact]
    public void A_frozen_device_is_answered_around_by_the_timeout_and_the_will()
    {
        using var run = new Deployment(models.Plain, threshold: 1.01);
        Span(run, Deployment.FirstSample, 20, "warm");
        run["dev4"].Signal(PosixSignalNumber.Stop);
        var frozen = Newest(run);
        // First the device wait runs out, then (1.5 keep-alives later) the broker publishes dev4's will.
        var during = Span(run, frozen + 10, 40, "answers while dev4 is frozen");
        Assert.All(during, o => Assert.False(Present(o, 4)));
        Assert.All(during, o => Assert.Equal(ExitTier.Local, o.Tier));
        run["dev4"].Signal(PosixSignalNumber.Cont);
        var back = Span(run, Newest(run), RejoinBound, "dev4 back");
        Assert.Contains(back, o => Present(o, 4));
        run.Finish();
    }

    [Fact]
    public void Without_the_cloud_the_local_exit_answers_degraded_and_after_a_restart_the_cloud_answers_again()
    {
        // Threshold 0: no sample is confident enough to exit locally, every one goes to the cloud.
        using var run = new Deployment(models.Plain, threshold: 0);
        Assert.Contains(Span(run, Deployment.FirstSample, 20, "warm"), o => o.Tier == ExitTier.Cloud);
        run["cloud"].Signal(PosixSignalNumber.Kill);
        var tail = Span(run, Newest(run) + 20, 30, "answers without the cloud");
        Assert.All(tail, o => Assert.Equal(ExitTier.LocalFallback, o.Tier));
        Assert.All(tail, o => Assert.True(o.Degraded));

        run.Start("cloud");
        run.WaitUntil(() => run.Log("cloud").Contains("serving model", StringComparison.Ordinal), "the cloud to come back");
        var back = Span(run, Newest(run), RejoinBound, "the cloud to answer again");
        Assert.Contains(back, o => o.Tier == ExitTier.Cloud);
        run.Finish();
    }

    [Fact]
    public void A_killed_cloud_worker_loses_only_the_jobs_it_held_and_the_other_worker_answers_the_rest()
    {
        // Threshold 0: every sample goes to the cloud, as a bundled job that one of two workers answers.
        using var run = new Deployment(models.Plain, threshold: 0, cloudWorkers: 2);
        Assert.All(Span(run, Deployment.FirstSample, 20, "warm"), o => Assert.Equal(ExitTier.Cloud, o.Tier));
        run["cloud1"].Signal(PosixSignalNumber.Kill);
        var killed = Newest(run);
        // The socket closed, so mosquitto drops cloud1's share of the subscription and publishes its will at once: from
        // then on every job goes to cloud, and the jobs cloud1 held fall back to the local exit after the cloud wait.
        var tail = Span(run, killed + 20, 40, "answers from the remaining worker");
        Assert.All(tail, o => Assert.Equal(ExitTier.Cloud, o.Tier));
        // The jobs lost with cloud1 are answered last, when the cloud wait (5 s) runs out: wait for every sample so far.
        Span(run, Deployment.FirstSample, (int)(killed + 60 - Deployment.FirstSample), "every sample up to the tail, the lost ones by their fallback");
        var answers = run.Finish();
        run["cloud"].Stop(TimeSpan.FromSeconds(20));
        var lost = answers.Where(o => o.Tier != ExitTier.Cloud).ToList();
        Assert.All(lost, o => Assert.True(o.Tier == ExitTier.LocalFallback && o.Degraded, $"sample {o.Sample}: {o.Tier}"));
        // What cloud1 held: the jobs the broker handed it (alone or in a bundle) until it saw the connection close. Only
        // samples ticked before the tail can be among them; from the tail on (checked above) the other worker answers all.
        Assert.All(lost, o => Assert.True(o.Sample <= killed + 20, $"sample {o.Sample} fell back, ticked after the broker knew cloud1 was gone ({lost.Count} lost: {string.Join(", ", lost.Select(x => x.Sample))})"));
        var local = TierStats.Read(run.StatsPath("local"));
        var survivor = TierStats.Read(run.StatsPath("cloud"));
        var jobs = local.Published.Where(l => l.Key.StartsWith(ServedLinks.CloudJob, StringComparison.Ordinal)).Sum(l => l.Value.Messages);
        // Counted: every fallback is a job no worker answered (the aggregator's degraded answers, warm-up included),
        // and the rest add up: what the killed worker answered before it died is what neither the survivor nor a
        // fallback accounts for, and it did take a share.
        Assert.Equal(lost.Count, local.Degraded);
        Assert.True(jobs - survivor.Answered - local.Degraded > 0, $"cloud1 answered none of {jobs} jobs before it was killed (cloud answered {survivor.Answered})");
        Assert.Equal(0, local.DropsOf(Ddnn.Core.Serving.DropReason.Duplicate));
    }

    [Fact]
    public void After_mosquitto_restarts_every_tier_reconnects_and_no_sample_is_answered_twice()
    {
        using var run = new Deployment(models.Plain, threshold: 0.5);
        Span(run, Deployment.FirstSample, 20, "warm");
        run.Mosquitto.Restart(TimeSpan.FromMilliseconds(500));
        // Samples in flight during the restart are lost (answered by the fallbacks or not at all); afterwards every
        // device is back and the cloud answers again.
        var after = Span(run, Newest(run) + 40, 40, "answers after the restart");
        Assert.Contains(after, o => o.PresentAtLocal.All(p => p) && !o.Degraded);
        run.Finish();
        foreach (var name in Enumerable.Range(0, 6).Select(d => $"dev{d}").Append("cloud"))
            run[name].Stop(TimeSpan.FromSeconds(20));
        foreach (var name in Enumerable.Range(0, 6).Select(d => $"dev{d}").Append("cloud").Append("local"))
            Assert.Matches("reconnects [1-9]", run.Log(name));
    }

    [Fact]
    public void A_device_that_dies_while_mosquitto_is_down_is_not_waited_for_after_the_restart()
    {
        using var run = new Deployment(models.Plain, threshold: 1.01);
        Span(run, Deployment.FirstSample, 20, "warm");
        // The restarted broker has no session of dev2 and so never publishes its will: the aggregator must not keep
        // waiting the device wait (2 s) for it on every sample.
        run.Mosquitto.Restart(TimeSpan.FromMilliseconds(500), whileDown: () => run["dev2"].Signal(PosixSignalNumber.Kill));
        var after = Span(run, Newest(run) + 40, 40, "answers after the restart");
        Assert.All(after, o => Assert.False(Present(o, 2)));
        Assert.All(after, o => Assert.True(o.LatencyMs < 1000, $"sample {o.Sample} took {o.LatencyMs} ms: the aggregator still waits for dead dev2"));
        Assert.Contains(after, o => o.PresentAtLocal.Count(p => p) == 5);
        Assert.Contains("lost the broker", run.Log("local"), StringComparison.Ordinal);
        run.Finish();
    }

    [Fact]
    public void A_device_cut_off_by_its_network_link_is_answered_around_and_rejoins_when_the_link_is_back()
    {
        // dev3 runs in a network namespace of its own, behind a veth pair; mosquitto listens on 127.0.0.1 for the other
        // tiers and on the veth's host end for dev3, which cannot reach the host's loopback. Every step is bounded by
        // StepLimit, so the drill ends within about 5 StepLimits at worst (~30 s on a quiet machine).
        using var boundary = new NetworkNamespace();
        using var run = new Deployment(models.Plain, threshold: 1.01, boundary, isolated: "dev3");
        var warm = Span(run, Deployment.FirstSample, 20, "warm");
        Assert.Contains(warm, o => o.PresentAtLocal.All(p => p));
        boundary.Cut();
        var cut = Newest(run);
        // Nothing crosses the link: the device wait answers the first samples, then (1.5 keep-alives after dev3's last
        // packet) the broker publishes dev3's will and the aggregator stops waiting for it, as for a killed process.
        var during = Span(run, cut + 20, 40, "answers while dev3's link is cut");
        Assert.All(during, o => Assert.False(Present(o, 3)));
        Assert.All(during, o => Assert.Equal(ExitTier.Local, o.Tier));
        Assert.Contains(during, o => o.PresentAtLocal.Count(p => p) == 5);

        boundary.Restore();
        var back = Span(run, Newest(run), LinkRejoinBound, "dev3 back over the restored link");
        Assert.Contains(back, o => Present(o, 3));
        run.Finish();
        Assert.Matches("degraded [1-9]", run.Log("local"));
        run["dev3"].Stop(TimeSpan.FromSeconds(20));
        Assert.Matches("reconnects [1-9]", run.Log("dev3"));
    }
}

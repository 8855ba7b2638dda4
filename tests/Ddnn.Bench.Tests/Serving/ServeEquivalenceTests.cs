using System.Globalization;
using Ddnn.Bench.Serving;
using Ddnn.Core.Deploy;
using Ddnn.Core.Runtime;
using Ddnn.TestSupport;

namespace Ddnn.Bench.Tests.Serving;

/// <summary>
/// Tiny trained models on synthetic data: the default one (no edges), one with two edges of three devices, and (trained
/// when first asked for) one without a local exit.
/// </summary>
public sealed class ServedModels : IDisposable
{
    public static readonly string[] DataArgs = ["--limit", "24", "--data-seed", "3"];

    private const string EdgeConfig = """
        {
          "devices": 6, "inputChannels": 3, "inputHeight": 32, "inputWidth": 32, "classes": 3, "binary": true,
          "deviceFilters": [4], "localAggregator": "MP",
          "edges": [
            { "devices": [0, 1, 2], "aggregator": "CC", "filters": [8] },
            { "devices": [3, 4, 5], "aggregator": "CC", "filters": [8] }
          ],
          "cloudAggregator": "CC", "cloudFilters": [16]
        }
        """;

    private const string NoLocalConfig = """
        {
          "devices": 6, "inputChannels": 3, "inputHeight": 32, "inputWidth": 32, "classes": 3, "binary": true,
          "deviceFilters": [4], "localAggregator": null, "cloudAggregator": "CC", "cloudFilters": [16]
        }
        """;

    private readonly TempDirectory _temp = new();
    private readonly Lazy<string> _noLocal;

    public ServedModels()
    {
        File.WriteAllText(_temp.File("edges.json"), EdgeConfig);
        File.WriteAllText(_temp.File("no-local.json"), NoLocalConfig);
        Plain = Train("plain", []);
        Edges = Train("edges", ["--config", _temp.File("edges.json")]);
        _noLocal = new(() => Train("no-local", ["--config", _temp.File("no-local.json")]));
    }

    public string Plain { get; }
    public string Edges { get; }

    /// <summary>Six devices and the cloud, no local exit: every sample goes to the cloud.</summary>
    public string NoLocal => _noLocal.Value;

    public string Scratch(string name) => _temp.Combine(name + "-" + Guid.NewGuid().ToString("N"));

    private string Train(string name, string[] extra)
    {
        var dir = _temp.Combine(name);
        DdnnCli.Succeed(["train", "--out", dir, .. DataArgs, "--epochs", "1", "--batch", "8", "--threads", "1", "--seed", "5", .. extra]);
        return Path.Combine(dir, "model.ddnn");
    }

    public void Dispose() => _temp.Dispose();
}

/// <summary>
/// With no faults, <c>ddnn serve all</c> (every tier its own process, over MQTT) gives the same prediction and exit
/// level for every sample as the in-process cascade runtime of <c>ddnn infer</c>, with thresholds that send samples out
/// at every level. The waits are far longer than any pause of a loaded machine, so no timeout fires (every tier is
/// online and waited for, so long waits cost nothing in a healthy run).
/// </summary>
[Collection(ServingProcessCollection.Name)]
public sealed class ServeEquivalenceTests(ServedModels models) : IClassFixture<ServedModels>
{
    private static readonly string[] LongWaits =
    [
        "--device-wait-ms", "30000", "--edge-map-wait-ms", "30000", "--edge-score-wait-ms", "30000", "--cloud-wait-ms", "30000",
        "--map-wait-ms", "30000", "--hold-ms", "60000", "--warmup", "4", "--start-timeout", "120",
    ];

    /// <summary>Broker, model with edges, cloud workers (0: the one cloud gathers the maps; 2: two workers share bundled requests, mosquitto only).</summary>
    public static TheoryData<string, bool, int> Cases => new()
    {
        { "embedded", false, 0 },
        { "mosquitto", false, 0 },
        { "embedded", true, 0 },
        { "mosquitto", true, 0 },
        { "mosquitto", false, 2 },
        { "mosquitto", true, 2 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Serve_all_answers_every_sample_as_infer_does(string broker, bool edges, int cloudWorkers)
    {
        var modelPath = edges ? models.Edges : models.Plain;
        var model = DeployedModelLoader.Load(modelPath);
        var split = LoadTestSplit();
        var (local, edge) = ThresholdsForEveryLevel(model, split, edges);
        var expected = new CascadeRuntime(model, new CascadeOptions { LocalThreshold = local, EdgeThreshold = edge });
        var outcomes = Enumerable.Range(0, split.Count).Select(s => expected.Run(s, split.GetSample(s))).ToArray();
        Assert.Contains(outcomes, o => o.Tier == ExitTier.Local);
        Assert.Contains(outcomes, o => o.Tier == ExitTier.Cloud);
        if (edges) Assert.Contains(outcomes, o => o.Tier == ExitTier.Edge);
        ServeAllAnswersAsInfer(modelPath, broker, local, edge, cloudWorkers, outcomes);
    }

    /// <summary>
    /// Without a local exit the devices send their maps on the tick (with cloud workers to the aggregator, which sends
    /// the job at once, without a local decision): every sample is answered at the cloud, as <c>ddnn infer</c> answers it.
    /// </summary>
    [Theory]
    [InlineData("embedded", 0)]
    [InlineData("mosquitto", 2)]
    public void Serve_all_without_a_local_exit_answers_every_sample_at_the_cloud_as_infer_does(string broker, int cloudWorkers)
    {
        var model = DeployedModelLoader.Load(models.NoLocal);
        Assert.Null(model.Local);
        var split = LoadTestSplit();
        var expected = new CascadeRuntime(model, new CascadeOptions());
        var outcomes = Enumerable.Range(0, split.Count).Select(s => expected.Run(s, split.GetSample(s))).ToArray();
        Assert.All(outcomes, o => Assert.Equal(ExitTier.Cloud, o.Tier));
        var run = ServeAllAnswersAsInfer(models.NoLocal, broker, local: 0.8, edge: 0.8, cloudWorkers, outcomes);
        Assert.Matches(@"answered degraded \(a fallback, or some device's scores missing\) +0\n", run.Out.ReplaceLineEndings("\n"));
    }

    /// <summary>Runs <c>serve all</c> of <paramref name="modelPath"/> and checks its answers against <paramref name="outcomes"/>, infer's for the split.</summary>
    private CliResult ServeAllAnswersAsInfer(string modelPath, string broker, double local, double edge, int cloudWorkers, CascadeOutcome[] outcomes)
    {
        var split = LoadTestSplit();
        // mosquitto runs with the deployment's password and ACL files (allow_anonymous false), as the embedded broker
        // of serve all always does: every tier must be allowed all it does.
        var credentials = broker == "mosquitto" ? models.Scratch("credentials") : null;
        var workerArgs = cloudWorkers > 0 ? ["--cloud-workers", cloudWorkers.ToString(CultureInfo.InvariantCulture)] : Array.Empty<string>();
        if (credentials is not null) DdnnCli.Succeed(["serve", "broker-config", "--model", modelPath, "--out", credentials, .. workerArgs]);
        using var mosquitto = broker == "mosquitto" ? Mosquitto.Start(credentials: credentials) : null;
        var outDir = models.Scratch("serve");
        var inv = CultureInfo.InvariantCulture;
        string[] args =
        [
            "serve", "all", "--model", modelPath, .. ServedModels.DataArgs, "--threshold", local.ToString("R", inv),
            "--edge-threshold", edge.ToString("R", inv), "--out", outDir, .. LongWaits, .. workerArgs,
            .. mosquitto is null ? Array.Empty<string>() : ["--broker", mosquitto.Address.ToString(), "--credentials", credentials!],
        ];
        var run = RunBounded(args, TimeSpan.FromMinutes(4));
        Assert.True(run.Code == 0, run.ToString());

        var answers = AnswerFile.Read(Path.Combine(outDir, "answers.csv"));
        Assert.Equal(split.Count, answers.Count);
        var first = answers.Min(a => a.Sample);
        Assert.Equal(split.Count, answers.Select(a => a.Sample).Distinct().Count());
        foreach (var a in answers)
        {
            var o = outcomes[a.Sample - first];
            Assert.True(o.Tier == a.Tier && o.Prediction == a.Prediction,
                $"sample {a.Sample - first}: infer says {o.Tier} {o.Prediction}, serve says {a.Tier} {a.Prediction}\n{run}");
        }
        foreach (var tier in Enum.GetValues<ExitTier>())
            Assert.Equal(outcomes.Count(o => o.Tier == tier), answers.Count(a => a.Tier == tier));
        Assert.True(File.Exists(Path.Combine(outDir, "summary.json")));
        if (mosquitto is null) Assert.True(File.Exists(BrokerCredentials.PasswordFileOf(Path.Combine(outDir, "credentials"), "local")), "serve all wrote no credentials for its embedded broker");
        Assert.Contains("end-to-end latency per exit level", run.Out, StringComparison.Ordinal);
        Assert.Contains("MQTT payload bytes per link", run.Out, StringComparison.Ordinal);
        if (cloudWorkers > 0) AssertEveryJobAnsweredOnce(outDir, cloudWorkers, run);
        return run;
    }

    /// <summary>
    /// Every cloud request the aggregator sent (warm-up included) was answered by exactly one worker: the workers'
    /// answers add up to the jobs, each worker took some, and the aggregator met no late or second answer.
    /// </summary>
    private static void AssertEveryJobAnsweredOnce(string outDir, int cloudWorkers, CliResult run)
    {
        var local = TierStats.Read(Path.Combine(outDir, "local.stats.json"));
        var jobs = local.Published.Where(l => l.Key.StartsWith(ServedLinks.CloudJob, StringComparison.Ordinal)).Sum(l => l.Value.Messages);
        var workers = Enumerable.Range(0, cloudWorkers)
            .Select(k => TierStats.Read(Path.Combine(outDir, $"{new PartitionId(PartitionKind.Cloud, k)}.stats.json"))).ToArray();
        Assert.True(jobs > 0, $"the aggregator sent no cloud job\n{run}");
        Assert.Equal(jobs, workers.Sum(w => w.Answered));
        Assert.All(workers, w => Assert.True(w.Answered > 0, $"{w.Tier} answered no job of {jobs}: the broker did not share them"));
        Assert.Equal(0, local.DropsOf(Ddnn.Core.Serving.DropReason.Late) + local.DropsOf(Ddnn.Core.Serving.DropReason.Duplicate));
        Assert.Contains("local->cloud (job)", run.Out, StringComparison.Ordinal);
        Assert.Contains("device->aggregator:", run.Out, StringComparison.Ordinal);
    }

    internal static Ddnn.Training.Data.MultiViewDataset LoadTestSplit()
    {
        var source = Ddnn.Training.Data.DatasetSource.Parse("synthetic");
        var options = new Ddnn.Training.Data.DatasetLoadOptions
        {
            Synthetic = new Ddnn.Training.Data.SyntheticSceneOptions { Seed = 3, TrainCount = 24, ValidationCount = 24, TestCount = 24 },
        };
        return source.Load(options, CancellationToken.None).Test;
    }

    /// <summary>
    /// A local threshold between the entropies of the samples (a third exit locally), and with edges an edge threshold
    /// that lets about half of the rest exit at the edge level; midpoints between neighbours, so rounding cannot flip one.
    /// </summary>
    internal static (double Local, double Edge) ThresholdsForEveryLevel(DeployedModel model, Ddnn.Training.Data.MultiViewDataset split, bool edges)
    {
        var probe = new CascadeRuntime(model, new CascadeOptions { LocalThreshold = 0, EdgeThreshold = 0 });
        var all = Enumerable.Range(0, split.Count).Select(s => probe.Run(s, split.GetSample(s))).ToArray();
        var localEntropies = all.Select(o => (double)o.LocalEntropy).Order().ToArray();
        var local = Between(localEntropies, localEntropies.Length / 3);
        if (!edges) return (local, 0.8);
        var rest = all.Where(o => o.LocalEntropy >= local).Select(o => (double)o.EdgeEntropy).Order().ToArray();
        return (local, Between(rest, rest.Length / 2));
    }

    private static double Between(double[] sorted, int at)
    {
        at = Math.Clamp(at, 1, sorted.Length - 1);
        return (sorted[at - 1] + sorted[at]) / 2;
    }

    /// <summary>Runs a command line in process, cancelled (cleanly) after <paramref name="limit"/>.</summary>
    private static CliResult RunBounded(string[] args, TimeSpan limit)
    {
        using var cancel = new CancellationTokenSource(limit);
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Program.Run(args, output, error, cancel.Token, environment: _ => null);
        return new CliResult(code, output.ToString(), error.ToString());
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Ddnn.Core.Model;
using Ddnn.Core.State;
using Ddnn.TestSupport;
using Ddnn.Training.Optim;
using Ddnn.Training.Reporting;
using Ddnn.Training.Trainer;

namespace Ddnn.Training.Tests.Formats;

/// <summary>
/// Files written by the reflection-based JSON code (tests/fixtures/format, see its README) still load to the values
/// recorded when they were written, and writing those values again gives the same bytes.
/// </summary>
public sealed class FormatFixtureTests
{
    private static readonly Lazy<Dictionary<string, string>> Expected = new(() =>
        File.ReadAllLines(Fixtures.Path("format", "expected.txt"))
            .Select(line => line.Split(' ', 2))
            .ToDictionary(parts => parts[0], parts => parts[1], StringComparer.Ordinal));

    private static string Fixture(params string[] parts) => Fixtures.Path(["format", .. parts]);

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    [Fact]
    public void TheConfigurationWithEdgesLoadsToItsValuesAndWritesTheSameText()
    {
        var text = File.ReadAllText(Fixture("config-edges.json"));
        var config = DdnnConfigJson.Load(Fixture("config-edges.json"));
        Assert.Equal((3, 3, 8, 8, 3, false), (config.Devices, config.InputChannels, config.InputHeight, config.InputWidth, config.Classes, config.Binary));
        Assert.Equal([3], config.DeviceFilters);
        Assert.Equal(new PoolSpec(2, 2, 0), config.DevicePool);
        Assert.Equal(Aggregation.AveragePool, config.LocalAggregator);
        Assert.Equal(2, config.Edges.Count);
        Assert.Equal([0, 1], config.Edges[0].Devices);
        Assert.Equal(Aggregation.MaxPool, config.Edges[0].Aggregator);
        Assert.Equal([5], config.Edges[0].Filters);
        Assert.Equal(new PoolSpec(3, 1, 1), config.Edges[0].Pool);
        Assert.Equal([2], config.Edges[1].Devices);
        Assert.Equal(Aggregation.Concat, config.Edges[1].Aggregator);
        Assert.Equal([5], config.Edges[1].Filters);
        Assert.Equal(Aggregation.AveragePool, config.CloudAggregator);
        Assert.Equal([6], config.CloudFilters);
        Assert.Equal(new PoolSpec(3, 1, 0), config.CloudPool);
        Assert.Equal(new ExitWeights { Device = 0.5f, Local = 0.25f, Edge = 0.75f, Cloud = 2f }, config.ExitWeights);
        Assert.Equal((1e-3f, 0.2f), (config.BatchNormEps, config.BatchNormMomentum));
        Assert.Equal(text, DdnnConfigJson.Serialize(config));
    }

    [Fact]
    public void TheConfigurationWithoutALocalExitLoadsToItsValuesAndWritesTheSameText()
    {
        var text = File.ReadAllText(Fixture("config-no-local.json"));
        var config = DdnnConfigJson.Parse(text);
        Assert.Null(config.LocalAggregator);
        Assert.Equal((2, 1, 12, 10, 3, true), (config.Devices, config.InputChannels, config.InputHeight, config.InputWidth, config.Classes, config.Binary));
        Assert.Equal([2, 3], config.DeviceFilters);
        Assert.Empty(config.Edges);
        Assert.Equal([4], config.CloudFilters);
        Assert.Equal(text, DdnnConfigJson.Serialize(config));
    }

    [Fact]
    public void TheModelFileLoadsToTheRecordedTensorsAndSavesToTheSameBytes()
    {
        var model = DdnnModelFile.Load(Fixture("model.ddnn"));
        Assert.Equal(Expected.Value["model.state.sha256"], Convert.ToHexString(SHA256.HashData(ModuleState.Serialize(model))));
        Assert.Equal(File.ReadAllText(Fixture("config-edges.json")), DdnnConfigJson.Serialize(model.Config));
        using var dir = new TempDirectory();
        DdnnModelFile.Save(model, dir.File("again.ddnn"));
        Assert.Equal(File.ReadAllBytes(Fixture("model.ddnn")), File.ReadAllBytes(dir.File("again.ddnn")));
    }

    [Fact]
    public void TheCheckpointLoadsToTheRecordedProgressAndSerializesToTheSameBytes()
    {
        var bytes = File.ReadAllBytes(Fixture("run.ckpt"));
        var checkpoint = TrainingCheckpoint.Deserialize(bytes, "run.ckpt");
        Assert.Equal(new TrainingOptions
        {
            Epochs = 3, BatchSize = 16, LearningRate = 0.004f, Schedule = LearningRateSchedule.Cosine, Seed = 9, DeviceDropout = 0.125,
        }, checkpoint.Options);
        Assert.Equal(Expected.Value["checkpoint.completedEpochs"], checkpoint.CompletedEpochs.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(Expected.Value["checkpoint.dataFingerprint"], checkpoint.DataFingerprint);
        Assert.Equal(Expected.Value["checkpoint.threads"], checkpoint.Threads.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(checkpoint.CompletedEpochs, checkpoint.History.Count);
        foreach (var e in checkpoint.History)
            Assert.Equal(Expected.Value[$"checkpoint.history.{e.Epoch}"],
                string.Join(' ', new[] { e.Loss, e.Seconds, e.SamplesPerSecond }.Concat(e.ExitLosses).Concat(e.ValidationAccuracy).Select(R)));
        Assert.Equal(File.ReadAllText(Fixture("config-edges.json")), DdnnConfigJson.Serialize(checkpoint.Config));
        Assert.Equal(bytes, checkpoint.Serialize());
    }

    [Fact]
    public void AnEvaluationReportWritesTheSameText()
    {
        // The report has no reader of its own; the test reads it back with the reflection serializer.
        var text = File.ReadAllText(Fixture("report.json"));
        var report = JsonSerializer.Deserialize<EvaluationReport>(text, new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        })!;
        Assert.Equal("synthetic", report.Dataset);
        Assert.Contains(report.Exits, e => e.TestViewAccuracy is null);
        Assert.Equal(text, report.ToJson());
    }

    [Fact]
    public void RunInfoLoadsToItsValuesAndWritesTheSameText()
    {
        var text = File.ReadAllText(Fixture("run.json"));
        var info = RunInfo.FromJson(text);
        Assert.Equal(["ddnn", "experiment", "--seed", "4"], info.CommandLine);
        Assert.Equal((4L, (long?)null, "synthetic", 2), (info.Seed, info.DataSeed, info.Dataset, info.Threads));
        Assert.Equal(new DateTimeOffset(2026, 12, 4, 12, 30, 5, 250, TimeSpan.Zero), info.StartedUtc);
        Assert.Equal("Linux \"quoted\" é", info.Versions["os"]);
        Assert.Equal([new PhaseTiming("train", 1.5), new PhaseTiming("table-3", 0.1)], info.Timings);
        Assert.Equal(text, info.ToJson());
    }

    [Fact]
    public void AResultsManifestLoadsToItsStudiesAndIsRewrittenInTheSameFormat()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("results");
        Directory.CreateDirectory(Path.Combine(root, "table-3"));
        File.Copy(Fixture("results", ResultsFolder.ManifestFileName), Path.Combine(root, ResultsFolder.ManifestFileName));
        File.Copy(Fixture("results", "table-3", "table.csv"), Path.Combine(root, "table-3", "table.csv"));

        var folder = ResultsFolder.Open(root, force: true);
        var study = Assert.Single(folder.CompletedStudies);
        Assert.Equal("table-3", study.Id);
        Assert.Equal(Expected.Value["results.table-3.completedUtc"], study.CompletedUtc.ToString("O", CultureInfo.InvariantCulture));
        Assert.Equal(Expected.Value["results.table-3.seconds"], R(study.Seconds));
        Assert.Equal(["table.csv"], study.Files);

        folder.WriteStudy("other", s => File.WriteAllText(Path.Combine(s.Path, "x.txt"), "x"));
        var rewritten = File.ReadAllText(Path.Combine(root, ResultsFolder.ManifestFileName));
        var original = File.ReadAllText(Fixture("results", ResultsFolder.ManifestFileName));
        // The earlier entry is written exactly as before, followed by the new one.
        var firstEntry = original[original.IndexOf("    {", StringComparison.Ordinal)..original.LastIndexOf("    }", StringComparison.Ordinal)];
        Assert.StartsWith(original[..original.IndexOf("    {", StringComparison.Ordinal)] + firstEntry + "    },\n    {\n      \"id\": \"other\",", rewritten);
    }
}

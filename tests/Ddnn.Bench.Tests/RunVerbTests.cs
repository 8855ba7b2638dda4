using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ddnn.Kernels;

namespace Ddnn.Bench.Tests;

/// <summary><c>train</c> on a tiny synthetic run, then <c>eval</c>, <c>sweep</c>, <c>calibrate</c>, <c>export</c> and <c>infer</c> on its files.</summary>
[Collection(CliStateCollection.Name)]
public class RunVerbTests(TrainedRun run) : IClassFixture<TrainedRun>
{
    private static readonly string[] RunFiles = ["model.ddnn", "config.json", "checkpoint.ckpt", "train.log", "metrics.json"];
    private static readonly string[] InferData = ["--train-samples", "4", "--validation-samples", "4", "--test-samples", "12"];

    private CliResult Trained
    {
        get
        {
            Assert.True(run.Result.Code == 0, run.Result.ToString());
            return run.Result;
        }
    }

    // Console table cells are separated by at least two spaces.
    private static string[] Cells(string line) => Regex.Split(line.Trim(), @"\s{2,}");

    private static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();

    [Fact]
    public void Train_writes_the_run_files()
    {
        var result = Trained;
        foreach (var file in RunFiles) Assert.True(File.Exists(Path.Combine(run.Directory, file)), $"{file} missing");
        Assert.Contains("metrics written to", result.Out);
        Assert.Contains("accuracy of each exit", result.Out);

        var metrics = Json(Path.Combine(run.Directory, "metrics.json"));
        Assert.Equal(1, metrics.GetProperty("training").GetProperty("options").GetProperty("epochs").GetInt32());
        Assert.Equal(1, metrics.GetProperty("training").GetProperty("epochs").GetArrayLength());
        Assert.Equal(24, metrics.GetProperty("evaluation").GetProperty("testSamples").GetInt32());
        var log = File.ReadAllText(Path.Combine(run.Directory, "train.log"));
        Assert.Contains("model saved to", log);
        Assert.Contains("communication per device per sample", log);
        Assert.Equal(JsonValueKind.Object, Json(Path.Combine(run.Directory, "config.json")).ValueKind);
    }

    [Fact]
    public void Train_refuses_to_overwrite_a_run_without_resume()
    {
        _ = Trained;
        var before = RunFiles.ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(run.Directory, f)));
        var again = DdnnCli.Run(["train", "--out", run.Directory, .. TrainedRun.DataArgs, .. TrainedRun.TrainArgs]);
        Assert.Equal(2, again.Code);
        var line = again.SingleErrorLine();
        Assert.Contains("already holds a run", line);
        Assert.Contains("--resume", line);
        foreach (var (file, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(run.Directory, file)));
    }

    [Fact]
    public void Resume_continues_a_run_and_keeps_its_options()
    {
        var dir = run.Scratch("resume");
        DdnnCli.Succeed(["train", "--out", dir, .. TrainedRun.DataArgs, .. TrainedRun.TrainArgs]);

        var conflicting = DdnnCli.Run(["train", "--out", dir, "--resume", "--seed", "9", .. TrainedRun.DataArgs]);
        Assert.Equal(2, conflicting.Code);
        Assert.Contains("--seed differs from the checkpoint", conflicting.SingleErrorLine());

        var resumed = DdnnCli.Succeed(["train", "--out", dir, "--resume", "--epochs", "2", "--threads", "1", .. TrainedRun.DataArgs]);
        Assert.Contains("resuming after epoch 1 of 2", resumed.Out);
        var epochs = Json(Path.Combine(dir, "metrics.json")).GetProperty("training").GetProperty("epochs");
        Assert.Equal([1, 2], epochs.EnumerateArray().Select(e => e.GetProperty("epoch").GetInt32()).ToArray());
    }

    [Fact]
    public void Eval_reproduces_the_evaluation_of_train()
    {
        _ = Trained;
        var json = run.Scratch("eval") + ".json";
        var threadsBefore = (KernelParallelism.DefaultMaxThreads, KernelParallelism.MaxThreads);
        var result = DdnnCli.Succeed(["eval", "--model", run.ModelPath, "--threads", "1", "--json", json, .. TrainedRun.DataArgs]);
        Assert.Contains($"report written to {json}", result.Out);
        // --threads bounds the verb's own work only: the caller's setting is as it was.
        Assert.Equal(threadsBefore, (KernelParallelism.DefaultMaxThreads, KernelParallelism.MaxThreads));

        var exits = DdnnCli.TableAfter(result.Out, "accuracy of each exit");
        Assert.Equal(["exit", "test (%)", "validation (%)", "test, visible views vs view label (%)"], Cells(exits[0]));
        Assert.Matches("^-+( +-+)+$", exits[1]);
        Assert.Equal(["dev0", "dev1", "dev2", "dev3", "dev4", "dev5", "local", "cloud"], exits[2..].Select(l => Cells(l)[0]).ToArray());

        // Same model, same data: the same figures as the evaluation train ran at the end.
        var fromEval = Json(json).GetProperty("exits");
        var fromTrain = Json(Path.Combine(run.Directory, "metrics.json")).GetProperty("evaluation").GetProperty("exits");
        Assert.Equal(JsonSerializer.Serialize(fromTrain), JsonSerializer.Serialize(fromEval));
        var cloudTest = fromEval[7].GetProperty("testAccuracy").GetDouble();
        Assert.Equal((100 * cloudTest).ToString("F2", CultureInfo.InvariantCulture), Cells(exits[^1])[1]);
    }

    [Fact]
    public void Sweep_prints_and_writes_the_threshold_table_and_refuses_to_overwrite_without_force()
    {
        _ = Trained;
        var outDir = run.Scratch("sweep");
        var args = new[] { "sweep", "--model", run.ModelPath, "--step", "0.25", "--out", outDir }.Concat(TrainedRun.DataArgs).ToArray();
        var result = DdnnCli.Succeed(args);
        var table = DdnnCli.TableAfter(result.Out, "Threshold sweep (test split)");
        Assert.Equal(["T", "local exit (%)", "overall acc (%)", "formula bytes", "wire bytes f32", "wire bytes u8", "vs raw (x)", "vs raw, wire f32 (x)"], Cells(table[0]));
        Assert.Equal(["0.00", "0.25", "0.50", "0.75", "1.00"], table[2..7].Select(l => Cells(l)[0]).ToArray());

        var csv = File.ReadAllLines(Path.Combine(outDir, "threshold-sweep", "table.csv"));
        Assert.Equal("T,local exit (%),overall acc (%),formula bytes,wire bytes f32,wire bytes u8,vs raw (x),\"vs raw, wire f32 (x)\"", csv[0]);
        Assert.Equal(6, csv.Length);
        Assert.StartsWith("1,100,", csv[5]);   // at T = 1 every sample exits locally
        Assert.True(new FileInfo(Path.Combine(outDir, "threshold-sweep", "plot.png")).Length > 0);

        var again = DdnnCli.Run(args);
        Assert.Equal(1, again.Code);
        Assert.Contains("--force", again.SingleErrorLine());
        DdnnCli.Succeed([.. args, "--force"]);
    }

    [Theory]
    [InlineData("bytes:30", "target: at most 30 bytes per device")]
    [InlineData("drop:2%", "target: accuracy at most 2 points below cloud-only")]
    public void Calibrate_reports_the_chosen_threshold(string target, string expected)
    {
        _ = Trained;
        var result = DdnnCli.Succeed(["calibrate", "--model", run.ModelPath, "--target", target, "--threads", "1", .. TrainedRun.DataArgs]);
        Assert.Contains(expected, result.Out);
        Assert.Matches(@"chosen on validation: T = [0-9.]+: [0-9.]+% local exits", result.Out);
        var table = DdnnCli.TableAfter(result.Out, "At the chosen T on the test split");
        Assert.Equal("scheme", Cells(table[0])[0]);
        Assert.Equal(["raw offload (8-bit input)", "DDNN, all samples to the cloud", "DDNN cascade at calibrated T"],
            table[2..5].Select(l => Cells(l)[0]).ToArray());
    }

    [Fact]
    public void Export_writes_one_deploy_file_per_partition_and_lists_their_sizes()
    {
        _ = Trained;
        var outDir = run.Scratch("export");
        var result = DdnnCli.Succeed("export", "--model", run.ModelPath, "--out", outDir);
        var table = DdnnCli.TableAfter(result.Out, "deploy files in");
        Assert.Equal(["partition", "file", "size (B)", "parameters (B)", "tight (bits)", "paper (bits)", "peak working (B)"], Cells(table[0]));
        var rows = table[2..11].Select(Cells).ToArray();
        Assert.Equal(["dev0", "dev1", "dev2", "dev3", "dev4", "dev5", "local", "cloud", "whole model"], rows.Select(r => r[0]).ToArray());
        foreach (var row in rows)
            Assert.Equal(new FileInfo(Path.Combine(outDir, row[1])).Length.ToString(CultureInfo.InvariantCulture), row[2]);
        Assert.Equal(["-", "-", "-", "-"], rows[^1][3..]);
        Assert.StartsWith("parameter bytes: as stored for the kernels", table[11]);
    }

    [Fact]
    public void Infer_runs_the_exported_cascade_over_a_split_and_one_sample()
    {
        _ = Trained;
        var outDir = run.Scratch("deploy");
        DdnnCli.Succeed("export", "--model", run.ModelPath, "--out", outDir);

        var all = DdnnCli.Succeed(["infer", "--model", outDir, .. InferData]);
        var metrics = Metrics(all);
        Assert.Equal("12", metrics["samples"]);
        Assert.Equal("0.8", metrics["threshold T"]);
        var exits = new[] { "local exits", "edge exits", "cloud exits" }.Sum(k => double.Parse(metrics[k].TrimEnd('%', ' '), CultureInfo.InvariantCulture));
        Assert.Equal(100, exits, 1e-9);
        // 12 samples x devices, each device's first layer one channel group (or none without the shortcut).
        Assert.Matches(@"^(\d+ of \d+ \(\d+\.\d{3} %\)|- \(no split-sum shortcut\))$", metrics["first-layer groups recomputed in exact order"]);

        var one = DdnnCli.Succeed(["infer", "--model", outDir, "--sample", "3", .. InferData]);
        var tiers = DdnnCli.TableAfter(one.Out, "sample 3 of synthetic/test");
        Assert.Equal(["exit", "prediction", "entropy"], Cells(tiers[0]));
        Assert.Equal(8, tiers.Length - 2);
        Assert.Contains("cascade runtime", one.Out);

        // A training checkpoint is accepted too and gives the same cascade.
        var fromCheckpoint = DdnnCli.Succeed(["infer", "--model", run.ModelPath, .. InferData]);
        var checkpointMetrics = Metrics(fromCheckpoint);
        Assert.Equal(metrics.Remove(WallTime), checkpointMetrics.Remove(WallTime));

        var badSample = DdnnCli.Run(["infer", "--model", outDir, "--sample", "12", .. InferData]);
        Assert.Equal(2, badSample.Code);
        Assert.Contains("--sample '12': the synthetic/test split has 12 samples", badSample.SingleErrorLine());
        var badDevice = DdnnCli.Run(["infer", "--model", outDir, "--drop-device", "6", .. InferData]);
        Assert.Equal(2, badDevice.Code);
        Assert.Contains("--drop-device '6'", badDevice.SingleErrorLine());
    }

    [Fact]
    public void The_score_encoding_chosen_at_export_is_what_infer_sends_unless_overridden()
    {
        _ = Trained;
        var u8 = run.Scratch("deploy-u8");
        DdnnCli.Succeed("export", "--model", run.ModelPath, "--out", u8, "--scores", "u8");
        var f32 = run.Scratch("deploy-f32");
        DdnnCli.Succeed("export", "--model", run.ModelPath, "--out", f32);
        Assert.True(new FileInfo(Path.Combine(u8, "local.ddnnp")).Length == new FileInfo(Path.Combine(f32, "local.ddnnp")).Length);

        var fromU8 = Metrics(DdnnCli.Succeed(["infer", "--model", u8, .. InferData]));
        var fromF32 = Metrics(DdnnCli.Succeed(["infer", "--model", f32, .. InferData]));
        var overridden = Metrics(DdnnCli.Succeed(["infer", "--model", f32, "--scores", "u8", .. InferData]));
        Assert.Equal("uint8", fromU8["class scores on the wire"]);
        Assert.Equal("float32", fromF32["class scores on the wire"]);
        Assert.Equal("uint8", overridden["class scores on the wire"]);
        // One byte per class instead of four: the synthetic set has 3 classes, so 9 bytes less per device and sample.
        const string perDevice = "bytes per device per sample (real messages)";
        Assert.Equal(double.Parse(fromF32[perDevice], CultureInfo.InvariantCulture) - 9, double.Parse(fromU8[perDevice], CultureInfo.InvariantCulture), 6);
        Assert.Equal(fromU8.Remove(WallTime), overridden.Remove(WallTime));
    }

    [Fact]
    public void Infer_takes_the_data_options_of_train()
    {
        _ = Trained;
        var capped = Metrics(DdnnCli.Succeed(["infer", "--model", run.ModelPath, .. InferData, "--limit", "5", "--data-seed", "2"]));
        Assert.Equal("5", capped["samples"]);
    }

    private const string WallTime = "wall time (all tiers, in process)";

    // The metric/value rows of infer's run table; metric names keep their indentation-free text.
    private static ImmutableSortedDictionary<string, string> Metrics(CliResult result) =>
        DdnnCli.TableAfter(result.Out, "cascade runtime on synthetic/test").Skip(2)
            .ToImmutableSortedDictionary(l => Cells(l)[0], l => Cells(l)[1], StringComparer.Ordinal);
}

using System.Text.Json;
using Ddnn.Core.Model;
using Ddnn.Kernels;
using Ddnn.Training.Calibration;
using Ddnn.Training.Trainer;

namespace Ddnn.Training.Tests.Trainer;

public class DdnnEvaluatorTests
{
    private static readonly Lazy<(DdnnModel Model, EvaluationReport Report)> Trained = new(() =>
    {
        var data = TinyRuns.Learnable;
        var model = TinyRuns.Model(TinyRuns.Config(data.Train, deviceFilters: 4, cloudFilters: 8));
        new DdnnTrainer(model, data.Train, data.Validation, new TrainingOptions { Epochs = 4, BatchSize = 32, Seed = 2 }).Run();
        var report = EvaluationReport.Evaluate(model, data.Validation, data.Test, new CalibrationTarget.AccuracyDrop(0.01), "synthetic");
        return (model, report);
    });

    [Fact]
    public void After_a_short_run_the_fused_exits_beat_chance()
    {
        var report = Trained.Value.Report;
        var majority = TinyRuns.Learnable.Test.ClassCounts().Max() / (double)TinyRuns.Learnable.Test.Count;
        var local = report.Exits.Single(e => e.Exit == "local");
        var cloud = report.Exits.Single(e => e.Exit == "cloud");
        Assert.True(local.TestAccuracy > majority + 0.1, $"local {local.TestAccuracy} vs majority {majority}");
        Assert.True(cloud.TestAccuracy > majority + 0.1, $"cloud {cloud.TestAccuracy} vs majority {majority}");
        Assert.All(report.Exits.Take(3), e => Assert.NotNull(e.TestViewAccuracy));
    }

    [Fact]
    public void The_report_has_every_exit_a_calibrated_cascade_and_one_absent_device_row_per_device()
    {
        var report = Trained.Value.Report;
        Assert.Equal(["dev0", "dev1", "dev2", "local", "cloud"], report.Exits.Select(e => e.Exit));
        Assert.Single(report.Calibration.Thresholds);
        Assert.Equal(["local", "cloud"], report.TestCascade.Levels);
        Assert.InRange(report.TestCascade.LocalExitFraction, 0, 1);
        Assert.Equal(1, report.TestCascade.ExitFractions.Sum(), 9);
        Assert.Equal(3 * 16 * 16, report.TestCascade.RawOffloadBytesPerDevice);
        // c = 4|C| + (1 - l) f o / 8 with f = 4 filters of 8x8.
        Assert.Equal(12 + (1 - report.TestCascade.LocalExitFraction) * 4 * 64 / 8.0, report.TestCascade.BytesPerDevice, 9);
        Assert.Equal([0, 1, 2], report.DeviceAbsent.Select(a => a.Device));
        Assert.All(report.DeviceAbsent, a =>
        {
            Assert.Equal(["local", "cloud"], a.Exits);
            Assert.All(a.Accuracy, v => Assert.InRange(v, 0, 1));
        });
    }

    [Fact]
    public void Scoring_with_a_device_absent_changes_the_fused_answers_but_not_other_devices()
    {
        var model = Trained.Value.Model;
        var evaluator = new DdnnEvaluator(model, batchSize: 64);
        var all = evaluator.Score(TinyRuns.Learnable.Test);
        var without0 = evaluator.Score(TinyRuns.Learnable.Test, absentDevice: 0);
        Assert.Equal(all.Exits[1].Predictions, without0.Exits[1].Predictions);
        Assert.NotEqual(all.Exits[4].Entropies, without0.Exits[4].Entropies);
        // Batching does not change the answers.
        var single = new DdnnEvaluator(model, batchSize: 7).Score(TinyRuns.Learnable.Test);
        Assert.Equal(all.Exits[4].Predictions, single.Exits[4].Predictions);
        Assert.True(model.IsTraining);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    public void Scoring_on_several_threads_gives_the_same_bits_as_on_one(int absentDevice)
    {
        var model = Trained.Value.Model;
        var test = TinyRuns.Learnable.Test;
        SplitScores Score(int threads)
        {
            using var scope = KernelParallelism.Use(threads);
            return new DdnnEvaluator(model, batchSize: 7).Score(test, absentDevice);
        }
        var one = Score(1);
        foreach (var threads in new[] { 2, 3 })
        {
            var many = Score(threads);
            Assert.Equal(one.Labels, many.Labels);
            for (var e = 0; e < one.Exits.Count; e++)
            {
                Assert.Equal(one.Exits[e].Predictions, many.Exits[e].Predictions);
                Assert.Equal(one.Exits[e].Entropies.Select(BitConverter.SingleToInt32Bits), many.Exits[e].Entropies.Select(BitConverter.SingleToInt32Bits));
            }
        }
        Assert.True(model.IsTraining);
    }

    [Fact]
    public void The_report_serializes_to_json_and_prints_aligned_tables()
    {
        var report = Trained.Value.Report;
        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal(5, json.RootElement.GetProperty("exits").GetArrayLength());
        Assert.True(json.RootElement.GetProperty("testCascade").GetProperty("bytesPerDevice").GetDouble() > 0);
        var text = new StringWriter();
        report.WriteTables(text);
        var printed = text.ToString();
        Assert.Contains("accuracy of each exit", printed);
        Assert.Contains("raw offload", printed);
        Assert.Contains("dev2", printed);
        Assert.Contains("one device absent", printed);
    }

    [Fact]
    public void An_edge_configuration_trains_and_evaluates_end_to_end()
    {
        var data = TinyRuns.Small;
        var config = DdnnBuilder.Devices(3).Input(3, 8, 8).Classes(3).DeviceBlocks(2).LocalExit(Aggregation.MaxPool)
            .Edge([0, 1], Aggregation.Concat, 4).Edge([2], Aggregation.MaxPool, 4).Cloud(Aggregation.Concat, 4).Build();
        var model = TinyRuns.Model(config);
        var trainer = new DdnnTrainer(model, data.Train, data.Validation, new TrainingOptions { Epochs = 1, BatchSize = 16, DeviceDropout = 0.2 });
        trainer.Run();
        Assert.Equal(7, trainer.History[0].ExitLosses.Length);
        // A device that never sees the object at this tiny size has only ignored rows (loss 0); fused exits always learn.
        Assert.All(trainer.History[0].ExitLosses, l => Assert.True(double.IsFinite(l) && l >= 0));
        Assert.All(trainer.History[0].ExitLosses.Skip(3), l => Assert.True(l > 0));

        var report = EvaluationReport.Evaluate(model, data.Validation, data.Test, new CalibrationTarget.AccuracyDrop(0.01), "synthetic");
        Assert.Equal(["local", "edge", "cloud"], report.TestCascade.Levels);
        Assert.Equal(2, report.Calibration.Thresholds.Length);
        Assert.Equal(["local", "edge0", "edge1", "cloud"], report.DeviceAbsent[0].Exits);
        var scores = new DdnnEvaluator(model).Score(data.Test, absentDevice: 2);
        Assert.NotNull(scores.EdgeLevel);
        Assert.All(scores.EdgeLevel!.Entropies, h => Assert.InRange(h, 0f, 1f));
    }
}

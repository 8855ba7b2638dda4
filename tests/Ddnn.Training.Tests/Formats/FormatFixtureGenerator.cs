using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Ddnn.Core.Model;
using Ddnn.Core.State;
using Ddnn.Training.Calibration;
using Ddnn.Training.Optim;
using Ddnn.Training.Reporting;
using Ddnn.Training.Trainer;
using Ddnn.Training.Tests.Trainer;

namespace Ddnn.Training.Tests.Formats;

/// <summary>
/// Wrote tests/fixtures/format once, with the JSON code as it was before source generation, so that
/// FormatFixtureTests can check that the files still load to the same values. Runs only when
/// DDNN_WRITE_FORMAT_FIXTURES names the output folder.
/// </summary>
public sealed class FormatFixtureGenerator
{
    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    [Fact]
    public void Write()
    {
        var outDir = Environment.GetEnvironmentVariable("DDNN_WRITE_FORMAT_FIXTURES");
        if (string.IsNullOrEmpty(outDir)) return;
        Directory.CreateDirectory(outDir);
        var expected = new StringBuilder();
        void Expect(string key, object value) => expected.Append(key).Append(' ').Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append('\n');

        var data = TinyRuns.Small;
        // Every field away from its default, so a value lost on reading shows.
        var config = DdnnBuilder.Devices(data.Train.ViewCount).Input(data.Train.Channels, data.Train.Height, data.Train.Width).Classes(data.Train.ClassCount)
            .Binary(false).DeviceBlocks(3).DevicePool(2, 2, 0).LocalExit(Aggregation.AveragePool)
            .Edge([0, 1], Aggregation.MaxPool, 5).Edge([2], Aggregation.Concat, 5)
            .Cloud(Aggregation.AveragePool, 6).CloudPool(3, 1, 0)
            .ExitWeights(new ExitWeights { Device = 0.5f, Local = 0.25f, Edge = 0.75f, Cloud = 2f })
            .BatchNorm(1e-3f, 0.2f).Build();
        DdnnConfigJson.Save(config, Path.Combine(outDir, "config-edges.json"));
        var noLocal = DdnnBuilder.Devices(2).Input(1, 12, 10).Classes(3).DeviceBlocks(2, 3).NoLocalExit()
            .Cloud(Aggregation.Concat, 4).Build();
        DdnnConfigJson.Save(noLocal, Path.Combine(outDir, "config-no-local.json"));

        var model = TinyRuns.Model(config, seed: 11);
        var trainer = new DdnnTrainer(model, data.Train, data.Validation, new TrainingOptions
        {
            Epochs = 3, BatchSize = 16, LearningRate = 0.004f, Schedule = LearningRateSchedule.Cosine, Seed = 9, DeviceDropout = 0.125,
        });
        trainer.Run();
        DdnnModelFile.Save(model, Path.Combine(outDir, "model.ddnn"));
        Expect("model.state.sha256", Convert.ToHexString(SHA256.HashData(ModuleState.Serialize(model))));
        var checkpoint = trainer.Checkpoint();
        checkpoint.Save(Path.Combine(outDir, "run.ckpt"));
        Expect("checkpoint.completedEpochs", checkpoint.CompletedEpochs);
        Expect("checkpoint.dataFingerprint", checkpoint.DataFingerprint);
        Expect("checkpoint.threads", checkpoint.Threads);
        foreach (var e in checkpoint.History)
            Expect($"checkpoint.history.{e.Epoch}", string.Join(' ', new[] { e.Loss, e.Seconds, e.SamplesPerSecond }.Concat(e.ExitLosses).Concat(e.ValidationAccuracy).Select(R)));

        var report = EvaluationReport.Evaluate(model, data.Validation, data.Test, new CalibrationTarget.AccuracyDrop(0.01), "synthetic");
        report.Save(Path.Combine(outDir, "report.json"));

        var info = new RunInfo
        {
            CommandLine = ["ddnn", "experiment", "--seed", "4"], Seed = 4, DataSeed = null, Dataset = "synthetic", Threads = 2,
            StartedUtc = new DateTimeOffset(2026, 12, 4, 12, 30, 5, 250, TimeSpan.Zero),
            Versions = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["ddnn"] = "1.0.0", ["os"] = "Linux \"quoted\" é" },
            Timings = [new PhaseTiming("train", 1.5), new PhaseTiming("table-3", 0.1)],
        };
        File.WriteAllText(Path.Combine(outDir, "run.json"), info.ToJson());

        var results = ResultsFolder.Open(Path.Combine(outDir, "results"), force: false);
        var study = results.WriteStudy("table-3", s => File.WriteAllText(Path.Combine(s.Path, "table.csv"), "a,b\n1,2\n"));
        Expect("results.table-3.completedUtc", study.CompletedUtc.ToString("O", CultureInfo.InvariantCulture));
        Expect("results.table-3.seconds", R(study.Seconds));
        File.WriteAllText(Path.Combine(outDir, "expected.txt"), expected.ToString());
    }
}

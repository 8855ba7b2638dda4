using System.Globalization;
using System.Text.Json;
using Ddnn.Core;
using Ddnn.Core.Model;
using Ddnn.Training.Experiments;
using Ddnn.Training.Optim;
using Ddnn.Training.Reporting;
using Ddnn.Training.Trainer;

namespace Ddnn.Bench.Cli.Verbs;

/// <summary>
/// <c>ddnn train</c>: joint training of a DDNN on a data set, checkpointing every epoch into --out, then the full
/// evaluation (exit accuracies, calibrated cascade, communication, device-absent accuracy) on the test split.
/// </summary>
public sealed class TrainVerb : ICliVerb
{
    public const string ModelFile = "model.ddnn";
    public const string ConfigFile = "config.json";
    public const string CheckpointFile = "checkpoint.ckpt";
    public const string LogFile = "train.log";
    public const string MetricsFile = "metrics.json";

    private static readonly CliOption Config = CliOption.String("config", null, "DDNN configuration JSON (default: the paper's MP-CC model for the data set)", valueName: "json");
    private static readonly CliOption Seed = CliOption.Int("seed", 1, "training seed: initialization, batch order and device dropout", min: 0);
    private static readonly CliOption Epochs = CliOption.Int("epochs", 10, "total training epochs", min: 1);
    private static readonly CliOption Out = CliOption.String("out", null, $"run directory: {ModelFile}, {ConfigFile}, {CheckpointFile}, {LogFile}, {MetricsFile} (required)", valueName: "dir");
    private static readonly CliOption LearningRate = CliOption.Float("lr", 1e-3, "Adam learning rate", min: 1e-12, max: 10);
    private static readonly CliOption Dropout = CliOption.Float("dropout", 0, "device dropout: probability that a device is absent for a training sample", min: 0, max: 1);
    private static readonly CliOption Resume = CliOption.Flag("resume", $"continue the run whose {CheckpointFile} is in --out (bit-identical to an uninterrupted run)");

    public string Name => "train";
    public string Summary => "train a DDNN jointly over all exits, then calibrate and evaluate it";

    public IReadOnlyList<CliOption> Options { get; } =
    [
        .. ExperimentOptions.DataOptions, Config, Seed, ExperimentOptions.Threads, Epochs, Out, ExperimentOptions.Batch, LearningRate, ExperimentOptions.Schedule, Dropout,
        Resume, ExperimentOptions.Target,
    ];

    public int Run(CliArguments arguments, CliContext context)
    {
        var outDir = arguments.GetOptionalString(Out.Name) ?? throw new CliUsageException("--out <dir> is required (the run directory)");
        var target = ExperimentOptions.ReadTarget(arguments);
        using var threadScope = ExperimentOptions.UseThreads(arguments, out var threads);
        var checkpointPath = Path.Combine(outDir, CheckpointFile);
        var resume = arguments.GetFlag(Resume.Name);
        if (resume && !File.Exists(checkpointPath))
            throw new CliUsageException($"--resume: no checkpoint at {checkpointPath}");
        if (!resume && File.Exists(checkpointPath))
            throw new CliUsageException($"--out {outDir} already holds a run ({CheckpointFile}); pass --resume to continue it or choose another directory");

        // A resumed run's options are checked before the (possibly slow) data load.
        var saved = resume ? TrainingCheckpoint.Load(checkpointPath) : null;
        if (saved is not null) CheckResumeOptions(arguments, saved.Options);
        var (source, splits) = ExperimentOptions.LoadData(arguments, context);
        Directory.CreateDirectory(outDir);
        using var logFile = new StreamWriter(Path.Combine(outDir, LogFile), append: true);
        var log = new TeeWriter(context.Out, logFile);
        log.WriteLine($"ddnn train {string.Join(' ', Environment.GetCommandLineArgs().Skip(2))}");

        DdnnTrainer trainer;
        if (resume)
        {
            trainer = DdnnTrainer.Resume(checkpointPath, splits.Train, splits.Validation, arguments.IsSet(Epochs.Name) ? arguments.GetInt(Epochs.Name) : null);
            if (saved!.Threads != threads)
                context.Error.WriteLine($"note: the checkpoint was trained with {saved.Threads} threads and this run uses {threads}; the continuation is bit-identical only with the same count");
            log.WriteLine($"resuming after epoch {trainer.CompletedEpochs} of {trainer.Options.Epochs}");
        }
        else
        {
            var config = ReadConfig(arguments, source.Kind);
            var model = new DdnnModel(config);
            new Initializer((ulong)arguments.GetInt(Seed.Name)).Initialize(model);
            var options = new TrainingOptions
            {
                Epochs = arguments.GetInt(Epochs.Name),
                BatchSize = arguments.GetInt(ExperimentOptions.Batch.Name),
                LearningRate = (float)arguments.GetFloat(LearningRate.Name),
                Schedule = ExperimentOptions.ReadSchedule(arguments),
                Seed = (ulong)arguments.GetInt(Seed.Name),
                DeviceDropout = arguments.GetFloat(Dropout.Name),
            };
            trainer = new DdnnTrainer(model, splits.Train, splits.Validation, options) { CheckpointPath = checkpointPath };
        }
        DdnnConfigJson.Save(trainer.Model.Config, Path.Combine(outDir, ConfigFile));
        var config0 = trainer.Model.Config;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"model: {config0.Devices} devices {config0.InputChannels}x{config0.InputHeight}x{config0.InputWidth}, device filters [{string.Join(",", config0.DeviceFilters)}], " +
            $"local {config0.LocalAggregator?.ToShortName() ?? "none"}, {config0.Edges.Count} edges, cloud {config0.CloudAggregator.ToShortName()} [{string.Join(",", config0.CloudFilters)}], " +
            $"{(config0.Binary ? "binary" : "float")}, {trainer.Model.Parameters().Sum(p => p.Length)} parameters; " +
            $"epochs {trainer.Options.Epochs}, batch {trainer.Options.BatchSize}, lr {trainer.Options.LearningRate} ({trainer.Options.Schedule.ToShortName()}), seed {trainer.Options.Seed}, device dropout {trainer.Options.DeviceDropout}, threads {threads}"));

        var progress = new ProgressReporter(context.Out, context.Interactive);
        trainer.Run(progress, logFile, context.Cancellation);
        DdnnModelFile.Save(trainer.Model, Path.Combine(outDir, ModelFile));
        log.WriteLine($"model saved to {Path.Combine(outDir, ModelFile)}");
        log.WriteLine();

        var report = EvaluationReport.Evaluate(trainer.Model, splits.Validation, splits.Test, target, source.ToString(),
            trainer.Options.BatchSize, log, context.Cancellation);
        log.WriteLine();
        report.WriteTables(log);
        log.Flush();
        WriteMetrics(Path.Combine(outDir, MetricsFile), trainer, threads, report);
        context.Out.WriteLine($"metrics written to {Path.Combine(outDir, MetricsFile)}");
        return CliApp.ExitSuccess;
    }

    private static Core.Model.DdnnConfig ReadConfig(CliArguments arguments, Training.Data.DatasetKind kind)
    {
        var path = arguments.GetOptionalString(Config.Name);
        return path is null ? PaperConfigs.For(kind) : DdnnConfigJson.Load(path);
    }

    /// <summary>A resumed run keeps its options; contradicting them on the command line is an error, not silently ignored.</summary>
    private static void CheckResumeOptions(CliArguments arguments, TrainingOptions saved)
    {
        void Check(CliOption option, bool same, object savedValue)
        {
            if (arguments.IsSet(option.Name) && !same)
                throw new CliUsageException($"--{option.Name} differs from the checkpoint's value {savedValue}; a resumed run keeps its options");
        }
        Check(Seed, (ulong)arguments.GetInt(Seed.Name) == saved.Seed, saved.Seed);
        Check(ExperimentOptions.Batch, arguments.GetInt(ExperimentOptions.Batch.Name) == saved.BatchSize, saved.BatchSize);
        Check(LearningRate, (float)arguments.GetFloat(LearningRate.Name) == saved.LearningRate, saved.LearningRate);
        Check(ExperimentOptions.Schedule, ExperimentOptions.ReadSchedule(arguments) == saved.Schedule, saved.Schedule.ToShortName());
        Check(Dropout, arguments.GetFloat(Dropout.Name) == saved.DeviceDropout, saved.DeviceDropout);
        if (arguments.IsSet(Config.Name))
            throw new CliUsageException("--config cannot be combined with --resume; the checkpoint holds the configuration");
    }

    private static void WriteMetrics(string path, DdnnTrainer trainer, int threads, EvaluationReport report)
    {
        var options = new JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        var metrics = new
        {
            training = new
            {
                trainer.Options,
                threads,
                exits = trainer.Layout.Names,
                epochs = trainer.History,
            },
            evaluation = report,
        };
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(metrics, options));
    }
}

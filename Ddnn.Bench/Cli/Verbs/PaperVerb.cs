using System.Diagnostics;
using System.Globalization;
using Ddnn.Bench.Plots;
using Ddnn.Training.Data;
using Ddnn.Training.Experiments;
using Ddnn.Training.Optim;
using Ddnn.Training.Reporting;
using Ddnn.Training.Trainer;

namespace Ddnn.Bench.Cli.Verbs;

/// <summary>
/// <c>ddnn paper</c>: trains every model the paper's six studies need and writes each study (table.csv, plot.png) into
/// --out as soon as it is complete, plus report.md (each study beside the paper's figures, with computed findings) and
/// run.json. Quick by default on the embedded synthetic data; --full for paper-scale sizes and epochs.
/// </summary>
public sealed class PaperVerb : ICliVerb
{
    /// <summary>Sample counts, epochs and device-study seeds of a run: the quick default or the full-size version.</summary>
    public sealed record Preset(int TrainSamples, int ValidationSamples, int TestSamples, int ImageSize, int? FmnistLimit, int Epochs, int DeviceStudySeeds);

    /// <summary>Measured to finish in a few minutes on 2 cores.</summary>
    public static Preset Quick { get; } = new(2000, 600, 1200, 32, 2000, 8, 3);

    /// <summary>The data set's full size (synthetic: its default splits) and paper-scale epochs.</summary>
    public static Preset Full { get; } = new(new SyntheticSceneOptions().TrainCount, new SyntheticSceneOptions().ValidationCount,
        new SyntheticSceneOptions().TestCount, new SyntheticSceneOptions().ImageSize, null, 20, 3);

    private static readonly CliOption FullOption = CliOption.Flag("full", $"full-size run: synthetic {Full.TrainSamples}/{Full.ValidationSamples}/{Full.TestSamples} samples, all of fmnist, {Full.Epochs} epochs");
    private static readonly CliOption Seed = CliOption.Int("seed", 1, "training seed of every model: initialization, batch order and device dropout (the devices study also uses the next seeds)", min: 0);
    private static readonly CliOption DeviceSeeds = CliOption.Int("device-seeds", null, $"training seeds averaged in the number-of-devices study (default {Quick.DeviceStudySeeds})", min: 1, max: 16);
    private static readonly CliOption TrainSamples = CliOption.Int("train-samples", null, $"synthetic: training samples (default {Quick.TrainSamples}, --full {Full.TrainSamples})", min: 1);
    private static readonly CliOption ValidationSamples = CliOption.Int("validation-samples", null, $"synthetic: validation samples (default {Quick.ValidationSamples}, --full {Full.ValidationSamples})", min: 1);
    private static readonly CliOption TestSamples = CliOption.Int("test-samples", null, $"synthetic: test samples (default {Quick.TestSamples}, --full {Full.TestSamples})", min: 1);
    private static readonly CliOption Limit = CliOption.Int("limit", null, $"keep at most n samples of each split (default {Quick.FmnistLimit} for fmnist, none with --full)", min: 1);
    private static readonly CliOption ImageSize = CliOption.Int("image-size", null, $"synthetic: side of each camera view in pixels (default {Quick.ImageSize}, --full {Full.ImageSize})", min: 8, max: 512);
    private static readonly CliOption Epochs = CliOption.Int("epochs", null, $"training epochs of every model (default {Quick.Epochs}, --full {Full.Epochs})", min: 1);
    private static readonly CliOption Batch = CliOption.Int("batch", 32, "mini-batch size", min: 1);
    private static readonly CliOption Dropout = CliOption.Float("dropout", 0.25, "device-dropout probability of the missing-device study's second model", min: 0.01, max: 0.99);
    private static readonly CliOption Step = CliOption.Float("step", 0.05, "threshold step of the sweep", min: 0.001, max: 1);
    private static readonly CliOption Out = CliOption.String("out", "results/paper", "output folder: one folder per study, report.md, run.json, manifest.json", valueName: "dir");

    public string Name => "paper";
    public string Summary => "train and evaluate the paper's six studies; tables, CSV, PNG plots and a Markdown report";

    public IReadOnlyList<CliOption> Options { get; } =
    [
        DatasetOptions.Dataset, ExperimentOptions.DataSeed, FullOption, Seed, DeviceSeeds, TrainSamples, ValidationSamples, TestSamples, ImageSize, Limit, Epochs, Batch, ExperimentOptions.Schedule, Dropout, Step,
        ExperimentOptions.Target, ExperimentOptions.Threads, Out, SweepVerb.Force,
    ];

    public int Run(CliArguments arguments, CliContext context)
    {
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var preset = arguments.GetFlag(FullOption.Name) ? Full : Quick;
        var source = DatasetOptions.ParseSource(arguments);
        var target = ExperimentOptions.ReadTarget(arguments);
        using var threadScope = ExperimentOptions.UseThreads(arguments, out var threads);
        var folder = ResultsFolder.Open(arguments.GetString(Out.Name), arguments.GetFlag(SweepVerb.Force.Name));
        var seed = (ulong)arguments.GetInt(Seed.Name);

        var dataSeed = arguments.GetInt(ExperimentOptions.DataSeed.Name);
        var splits = LoadData(arguments, context, source, preset, (ulong)dataSeed);
        var timings = new List<PhaseTiming> { new("load data", clock.Elapsed.TotalSeconds) };
        var settings = new PaperSettings
        {
            // The paper's model for the data set, at the data's view size (the synthetic views may be resized).
            BaseConfig = (PaperConfigs.For(source.Kind) with { InputHeight = splits.Train.Height, InputWidth = splits.Train.Width }).Validate(),
            Epochs = arguments.GetOptionalInt(Epochs.Name) ?? preset.Epochs,
            BatchSize = arguments.GetInt(Batch.Name),
            Schedule = ExperimentOptions.ReadSchedule(arguments),
            Seed = seed,
            DeviceStudySeeds = arguments.GetOptionalInt(DeviceSeeds.Name) ?? preset.DeviceStudySeeds,
            DeviceDropout = arguments.GetFloat(Dropout.Name),
            SweepStep = arguments.GetFloat(Step.Name),
            Target = target,
        };
        var progress = new ProgressReporter(context.Out, context.Interactive);
        var runner = new PaperRunner(splits, settings, progress, context.Interactive ? new FreshLineWriter(context.Out) : context.Out);
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"paper: {runner.Plan.Count} models of {settings.Epochs} epochs (batch {settings.BatchSize}, lr {settings.LearningRate} {settings.Schedule.ToShortName()}, seed {seed}, {settings.DeviceStudySeeds} seeds in the devices study, {threads} threads) -> {folder.Root}"));

        var report = new MarkdownReport($"DDNN paper studies on {source}");
        var plots = new PlotWriter();
        var findings = new List<Finding>();
        RunInfo Info() => new()
        {
            CommandLine = ["ddnn", .. Environment.GetCommandLineArgs().Skip(1)],
            Seed = (long)seed,
            DataSeed = source.Kind == DatasetKind.Synthetic ? dataSeed : null,
            Dataset = source.ToString(),
            Threads = threads,
            StartedUtc = started,
            Versions = RunInfo.DefaultVersions(),
            Timings = [.. timings, .. runner.Timings, new PhaseTiming("total so far", clock.Elapsed.TotalSeconds)],
        };
        runner.Run(study =>
        {
            folder.WriteStudy(study.Id, dir =>
            {
                dir.WriteTable(study.Table);
                plots.Write(study.Plot, dir.PathOf(ResultsFolder.PlotFileName));
            });
            if (context.Interactive) context.Out.WriteLine();
            context.Out.WriteLine();
            context.Out.Write(study.Table.ToConsoleString());
            foreach (var f in study.Findings) context.Out.WriteLine("  " + f);
            context.Out.WriteLine($"  -> {folder.StudyPath(study.Id)}");
            context.Out.WriteLine();
            findings.AddRange(study.Findings);
            study.AddTo(report);
            report.Run = Info();
            folder.WriteReport(report);
            folder.WriteRunInfo(report.Run);
        }, context.Cancellation);

        report.Run = Info() with { Timings = [.. timings, .. runner.Timings, new PhaseTiming("total", clock.Elapsed.TotalSeconds)] };
        folder.WriteReport(report);
        folder.WriteRunInfo(report.Run);
        context.Out.WriteLine("findings of the paper in this run:");
        foreach (var f in findings) context.Out.WriteLine("  " + f);
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"report: {Path.Combine(folder.Root, ResultsFolder.ReportFileName)}  ({ProgressTask.FormatDuration(clock.Elapsed)} in all)"));
        return CliApp.ExitSuccess;
    }

    private static DataSplits LoadData(CliArguments arguments, CliContext context, DatasetSource source, Preset preset, ulong dataSeed)
    {
        DatasetOptions.WarnSyntheticOnly(arguments, context, source,
            [ExperimentOptions.DataSeed.Name, TrainSamples.Name, ValidationSamples.Name, TestSamples.Name, ImageSize.Name]);
        var limit = arguments.GetOptionalInt(Limit.Name) ?? (source.Kind == DatasetKind.FashionMnist ? preset.FmnistLimit : null);
        var options = new DatasetLoadOptions
        {
            Synthetic = new SyntheticSceneOptions
            {
                Seed = dataSeed,
                TrainCount = DatasetOptions.Cap(arguments.GetOptionalInt(TrainSamples.Name) ?? preset.TrainSamples, limit),
                ValidationCount = DatasetOptions.Cap(arguments.GetOptionalInt(ValidationSamples.Name) ?? preset.ValidationSamples, limit),
                TestCount = DatasetOptions.Cap(arguments.GetOptionalInt(TestSamples.Name) ?? preset.TestSamples, limit),
                ImageSize = arguments.GetOptionalInt(ImageSize.Name) ?? preset.ImageSize,
            },
            FashionMnist = new FashionMnistOptions { MaxSamplesPerSplit = limit },
        };
        var splits = ExperimentOptions.LoadSplits(source, options, limit, context.Cancellation);
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"data {source}: train {splits.Train.Count}, validation {splits.Validation.Count}, test {splits.Test.Count} samples of {splits.Train.ViewCount}x{splits.Train.Channels}x{splits.Train.Height}x{splits.Train.Width}"));
        return splits;
    }
}

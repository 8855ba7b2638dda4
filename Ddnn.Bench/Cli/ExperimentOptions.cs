using System.Diagnostics;
using System.Globalization;
using Ddnn.Kernels;
using Ddnn.Training.Calibration;
using Ddnn.Training.Data;
using Ddnn.Training.Optim;

namespace Ddnn.Bench.Cli;

/// <summary>Options shared by the verbs that load data or train: data (with a sample cap), threads, batch, learning-rate schedule and calibration target.</summary>
public static class ExperimentOptions
{
    public static CliOption DataSeed { get; } =
        CliOption.Int("data-seed", 1, "seed of the synthetic scene generator (the data, not the training)", min: 0);

    public static CliOption Limit { get; } =
        CliOption.Int("limit", null, "keep at most n samples of each split (quick runs)", min: 1);

    public static CliOption Threads { get; } =
        CliOption.Int("threads", null, $"kernel threads (default: all {Environment.ProcessorCount} cores); results are reproducible per thread count", min: 1);

    public static CliOption Batch { get; } = CliOption.Int("batch", 128, "mini-batch size", min: 1);

    public static CliOption Schedule { get; } = CliOption.Enum("lr-schedule", "cosine", LearningRateSchedules.Names,
        "learning-rate schedule of every model trained: constant, or cosine decay to zero at the last epoch");

    public static CliOption Target { get; } =
        CliOption.String("target", "drop:1%", "threshold calibration target on validation: drop:<points>% (accuracy drop vs cloud) or bytes:<n> (per device)", valueName: "drop:p%|bytes:n");

    /// <summary>The data options every verb that loads data declares.</summary>
    public static IReadOnlyList<CliOption> DataOptions { get; } =
        [DatasetOptions.Dataset, DataSeed, DatasetOptions.TrainCount, DatasetOptions.ValidationCount, DatasetOptions.TestCount, Limit];

    /// <summary>Parses --dataset, loads the three splits (capped by --limit) and prints a one-line summary.</summary>
    public static (DatasetSource Source, DataSplits Splits) LoadData(CliArguments arguments, CliContext context)
    {
        var stopwatch = Stopwatch.StartNew();
        var (source, splits) = Load(arguments, context);
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"data {source}: train {splits.Train.Count}, validation {splits.Validation.Count}, test {splits.Test.Count} samples of {splits.Train.ViewCount}x{splits.Train.Channels}x{splits.Train.Height}x{splits.Train.Width} ({stopwatch.Elapsed.TotalSeconds:0.0} s)"));
        return (source, splits);
    }

    /// <summary>Parses --dataset and loads the three splits, each capped at --limit samples.</summary>
    public static (DatasetSource Source, DataSplits Splits) Load(CliArguments arguments, CliContext context)
    {
        var limit = arguments.GetOptionalInt(Limit.Name);
        var (source, options) = DatasetOptions.Read(arguments, context, DataSeed.Name, syntheticCap: limit, fashionMnistCap: limit);
        return (source, LoadSplits(source, options, limit, context.Cancellation));
    }

    /// <summary>
    /// Loads <paramref name="source"/>'s splits; <paramref name="limit"/> caps MVMC here (it is read whole), while the
    /// other sources take their caps from <paramref name="options"/>.
    /// </summary>
    public static DataSplits LoadSplits(DatasetSource source, DatasetLoadOptions options, int? limit, CancellationToken cancellation)
    {
        var splits = source.Load(options, cancellation);
        return limit is { } cap && source.Kind == DatasetKind.Mvmc ? Head(splits, cap) : splits;
    }

    private static DataSplits Head(DataSplits splits, int count) =>
        new(Head(splits.Train, count), Head(splits.Validation, count), Head(splits.Test, count));

    private static MultiViewDataset Head(MultiViewDataset data, int count) => data.Count <= count ? data : data.Slice(0, count);

    /// <summary>
    /// Bounds the kernel threads of the verb's work by --threads, as a scope the verb disposes when it ends (without
    /// the option the process default holds), and gives the bound in effect. A scope, not the process default, so a
    /// verb run in process (the tests) leaves nothing behind.
    /// </summary>
    public static KernelSettingScope UseThreads(CliArguments arguments, out int threads)
    {
        var scope = arguments.GetOptionalInt(Threads.Name) is { } given ? KernelParallelism.Use(given) : default;
        threads = KernelParallelism.MaxThreads;
        return scope;
    }

    /// <summary>The --lr-schedule given (or defaulted).</summary>
    public static LearningRateSchedule ReadSchedule(CliArguments arguments) => LearningRateSchedules.Parse(arguments.GetEnum(Schedule.Name));

    public static CalibrationTarget ReadTarget(CliArguments arguments)
    {
        var text = arguments.GetString(Target.Name);
        try
        {
            return CalibrationTarget.Parse(text);
        }
        catch (FormatException e)
        {
            throw CliUsageException.BadValue(Target.Name, text, e.Message);
        }
    }
}

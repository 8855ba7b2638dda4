using Ddnn.Training.Data;

namespace Ddnn.Bench.Cli;

/// <summary>The --dataset option family shared by every verb that loads data, and its translation to load options.</summary>
public static class DatasetOptions
{
    public static CliOption Dataset { get; } =
        CliOption.String("dataset", "synthetic", "data set: " + DatasetSource.Syntax, valueName: "source");

    public static CliOption TrainCount { get; } =
        CliOption.Int("train-samples", new SyntheticSceneOptions().TrainCount, "synthetic: training samples", min: 0);

    public static CliOption ValidationCount { get; } =
        CliOption.Int("validation-samples", new SyntheticSceneOptions().ValidationCount, "synthetic: validation samples", min: 0);

    public static CliOption TestCount { get; } =
        CliOption.Int("test-samples", new SyntheticSceneOptions().TestCount, "synthetic: test samples", min: 0);

    /// <summary>
    /// Parses --dataset and builds the load options with the synthetic generator's seed read from
    /// <paramref name="seedOption"/>, the synthetic split sizes capped at <paramref name="syntheticCap"/> and
    /// MV-FMNIST capped at <paramref name="fashionMnistCap"/>; warns about synthetic-only options set for another source.
    /// </summary>
    public static (DatasetSource Source, DatasetLoadOptions Options) Read(CliArguments arguments, CliContext context,
        string seedOption, int? syntheticCap, int? fashionMnistCap)
    {
        var source = ParseSource(arguments);
        var options = new DatasetLoadOptions
        {
            Synthetic = new SyntheticSceneOptions
            {
                Seed = (ulong)arguments.GetInt(seedOption),
                TrainCount = Cap(arguments.GetInt(TrainCount.Name), syntheticCap),
                ValidationCount = Cap(arguments.GetInt(ValidationCount.Name), syntheticCap),
                TestCount = Cap(arguments.GetInt(TestCount.Name), syntheticCap),
            },
            FashionMnist = new FashionMnistOptions { MaxSamplesPerSplit = fashionMnistCap },
        };
        WarnSyntheticOnly(arguments, context, source, [seedOption, TrainCount.Name, ValidationCount.Name, TestCount.Name]);
        return (source, options);
    }

    /// <summary>The --dataset source; a value that does not parse is a usage error naming the option.</summary>
    public static DatasetSource ParseSource(CliArguments arguments)
    {
        string text = arguments.GetString(Dataset.Name);
        try
        {
            return DatasetSource.Parse(text);
        }
        catch (ArgumentException e)
        {
            throw CliUsageException.BadValue(Dataset.Name, text, CliApp.DescribeError(e));
        }
    }

    /// <summary><paramref name="count"/>, at most <paramref name="cap"/> when a cap is given.</summary>
    public static int Cap(int count, int? cap) => cap is { } most ? Math.Min(count, most) : count;

    /// <summary>Notes each of <paramref name="optionNames"/> that was set although <paramref name="source"/> is not synthetic.</summary>
    public static void WarnSyntheticOnly(CliArguments arguments, CliContext context, DatasetSource source, IEnumerable<string> optionNames)
    {
        if (source.Kind == DatasetKind.Synthetic) return;
        foreach (string name in optionNames)
            if (arguments.IsSet(name))
                context.Error.WriteLine($"note: --{name} applies only to the synthetic data set; ignored for {source}");
    }
}

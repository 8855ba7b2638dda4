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
        string text = arguments.GetString(Dataset.Name);
        DatasetSource source;
        try
        {
            source = DatasetSource.Parse(text);
        }
        catch (ArgumentException e)
        {
            throw CliUsageException.BadValue(Dataset.Name, text, CliApp.DescribeError(e));
        }

        int Cap(int n) => syntheticCap is { } cap ? Math.Min(n, cap) : n;
        var options = new DatasetLoadOptions
        {
            Synthetic = new SyntheticSceneOptions
            {
                Seed = (ulong)arguments.GetInt(seedOption),
                TrainCount = Cap(arguments.GetInt(TrainCount.Name)),
                ValidationCount = Cap(arguments.GetInt(ValidationCount.Name)),
                TestCount = Cap(arguments.GetInt(TestCount.Name)),
            },
            FashionMnist = new FashionMnistOptions { MaxSamplesPerSplit = fashionMnistCap },
        };

        string[] syntheticOnly = [seedOption, TrainCount.Name, ValidationCount.Name, TestCount.Name];
        foreach (string name in syntheticOnly)
        {
            if (source.Kind != DatasetKind.Synthetic && arguments.IsSet(name))
                context.Error.WriteLine($"note: --{name} applies only to the synthetic data set; ignored for {source}");
        }
        return (source, options);
    }
}

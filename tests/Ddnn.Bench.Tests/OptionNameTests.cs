using Ddnn.Bench.Cli;

namespace Ddnn.Bench.Tests;

/// <summary>
/// One spelling of each option across the verbs (train's): --seed trains, --data-seed seeds the synthetic data, --limit
/// caps the samples, --model names the model; the retired spellings are refused with the new name.
/// </summary>
public class OptionNameTests
{
    private static readonly string[] DataOptions = ["dataset", "data-seed", "train-samples", "validation-samples", "test-samples", "limit"];

    private static ICliVerb Verb(string name) => VerbRegistry.All().Single(v => v.Name == name);

    private static bool Declares(string verb, string option) => Verb(verb).Options.Any(o => o.Name == option);

    private static string UsageError(params string[] args)
    {
        var result = DdnnCli.Run(args);
        Assert.True(result.Code == 2, result.ToString());
        Assert.Equal("", result.Out);
        return result.SingleErrorLine();
    }

    [Theory]
    [InlineData("data")]
    [InlineData("train")]
    [InlineData("eval")]
    [InlineData("sweep")]
    [InlineData("calibrate")]
    [InlineData("paper")]
    [InlineData("infer")]
    [InlineData("serve")]
    public void Every_verb_that_loads_data_takes_the_same_data_options(string verb)
    {
        foreach (var option in DataOptions) Assert.True(Declares(verb, option), $"{verb} lacks --{option}");
    }

    [Theory]
    [InlineData("eval")]
    [InlineData("sweep")]
    [InlineData("calibrate")]
    [InlineData("export")]
    [InlineData("infer")]
    [InlineData("bench")]
    [InlineData("serve")]
    public void Every_verb_that_reads_a_model_takes_it_as_model(string verb) => Assert.True(Declares(verb, "model"), verb);

    [Fact]
    public void Seed_is_the_training_seed_wherever_it_is_declared()
    {
        var withSeed = VerbRegistry.All().Where(v => v.Options.Any(o => o.Name == "seed")).Select(v => v.Name).Order();
        Assert.Equal(["paper", "train"], withSeed);
        foreach (var verb in withSeed)
            Assert.Contains("training seed", Verb(verb).Options.Single(o => o.Name == "seed").Help);
    }

    [Theory]
    [MemberData(nameof(HelpTests.VerbNames), MemberType = typeof(HelpTests))]
    public void Max_samples_is_refused_with_its_new_name(string verb)
    {
        var line = UsageError(verb, "--max-samples", "5");
        var expected = Declares(verb, "limit") ? "--max-samples was renamed --limit" : "unknown option '--max-samples'";
        Assert.Equal($"ddnn {verb}: {expected} (see 'ddnn {verb} --help')", line);
        Assert.Equal(line, UsageError(verb, "--max-samples=5"));
    }

    [Theory]
    [InlineData("data")]
    [InlineData("eval")]
    [InlineData("sweep")]
    [InlineData("calibrate")]
    [InlineData("infer")]
    [InlineData("bench")]
    public void Seed_on_a_verb_without_training_points_to_data_seed(string verb) =>
        Assert.Equal($"ddnn {verb}: --seed is the training seed; use --data-seed for the data (see 'ddnn {verb} --help')",
            UsageError(verb, "--seed", "3"));

    [Theory]
    [InlineData("export")]
    public void Seed_on_a_verb_without_data_is_unknown(string verb) =>
        Assert.Equal($"ddnn {verb}: unknown option '--seed' (see 'ddnn {verb} --help')", UsageError(verb, "--seed", "3"));

    [Fact]
    public void A_retired_name_is_refused_before_anything_is_written()
    {
        var outDir = Path.Combine(Path.GetTempPath(), "ddnn-never-created-" + Guid.NewGuid().ToString("N"));
        Assert.Contains("--max-samples was renamed --limit", UsageError("train", "--out", outDir, "--max-samples", "3"));
        Assert.Contains("--max-samples was renamed --limit", UsageError("paper", "--out", outDir, "--max-samples", "3"));
        Assert.False(Directory.Exists(outDir));
    }
}

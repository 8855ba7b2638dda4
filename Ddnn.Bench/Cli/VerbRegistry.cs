using Ddnn.Bench.Cli.Verbs;

namespace Ddnn.Bench.Cli;

/// <summary>Every verb of <c>ddnn</c>. Adding a verb: one class in Cli/Verbs implementing <see cref="ICliVerb"/> plus one line here.</summary>
public static class VerbRegistry
{
    public static IReadOnlyList<ICliVerb> All() =>
    [
        new DataVerb(),
        new TrainVerb(),
        new EvalVerb(),
        new BenchVerb(),
        new SweepVerb(),
        new CalibrateVerb(),
        new PaperVerb(),
        new ExportVerb(),
        new InferVerb(),
        new DeviceVerb(),
        new ServeVerb(),
    ];

    /// <summary>Option names every verb now spells as <c>train</c> does: --seed is the training seed, --data-seed the data's.</summary>
    public static IReadOnlyList<RetiredOption> Retired { get; } =
    [
        new("max-samples", ExperimentOptions.Limit.Name, "--max-samples was renamed --limit"),
        new("seed", ExperimentOptions.DataSeed.Name, "--seed is the training seed; use --data-seed for the data"),
    ];
}

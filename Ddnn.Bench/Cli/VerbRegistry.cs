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
    ];
}

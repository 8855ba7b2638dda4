namespace Ddnn.Bench.Tests;

/// <summary>
/// Verb runs that train or share one trained run (and time-sensitive whole-verb runs such as the paper job). xunit
/// runs this collection alone, after the parallel ones, so the trainings neither compete with each other for the
/// cores nor with the other tests; the rest of the assembly runs in parallel.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliStateCollection
{
    public const string Name = "CLI process state";
}

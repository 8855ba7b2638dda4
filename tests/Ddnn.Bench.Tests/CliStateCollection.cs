namespace Ddnn.Bench.Tests;

/// <summary>
/// Verb runs that pass --threads, which sets the process-wide <c>KernelParallelism.DefaultMaxThreads</c> as in the
/// real CLI, and train or share one trained run. xunit runs this collection alone, after the parallel ones, so no
/// other test reads the default while these change it; the rest of the assembly runs in parallel.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliStateCollection
{
    public const string Name = "CLI process state";
}

namespace Ddnn.Core.Tests;

/// <summary>Tests that force a kernel path (a process-wide setting) run in this collection, never in parallel with each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelPathCollection
{
    public const string Name = "Kernel path";
}

namespace Ddnn.Kernels.Tests.Float;

/// <summary>
/// Tests that force KernelDispatch paths or KernelParallelism.MaxThreads (process-wide settings) run in this one
/// collection so they never run concurrently with each other.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelStateCollection
{
    public const string Name = "Kernel state";
}

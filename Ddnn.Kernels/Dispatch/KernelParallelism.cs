namespace Ddnn.Kernels;

/// <summary>
/// How many threads kernels may use. Work is split into a fixed number of parts that depends only on
/// the problem size and this setting, so a given thread count always gives the same bits.
/// </summary>
public static class KernelParallelism
{
    private static int _maxThreads = Environment.ProcessorCount;

    /// <summary>Upper bound on threads per kernel call; 1 runs everything on the calling thread.</summary>
    public static int MaxThreads
    {
        get => Volatile.Read(ref _maxThreads);
        set
        {
            if (value < 1)
                throw new ArgumentOutOfRangeException(nameof(value), value, "MaxThreads must be at least 1.");
            Volatile.Write(ref _maxThreads, value);
        }
    }
}

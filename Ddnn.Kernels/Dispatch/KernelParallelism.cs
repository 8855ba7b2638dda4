namespace Ddnn.Kernels;

/// <summary>
/// How many threads kernels may use. Work is split into a fixed number of parts that depends only on
/// the problem size and this setting, so a given thread count always gives the same bits.
/// </summary>
public static class KernelParallelism
{
    private static readonly ScopedSetting Threads = new(Environment.ProcessorCount);

    /// <summary>
    /// Upper bound on threads per kernel call (1 runs everything on the calling thread): the innermost open
    /// <see cref="Use"/> scope's, else <see cref="DefaultMaxThreads"/>.
    /// </summary>
    public static int MaxThreads => Threads.Current;

    /// <summary>
    /// The bound of every flow that has no <see cref="Use"/> scope, for the whole process (a program's
    /// <c>--threads</c>; tests use scopes). Starts at the processor count.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public static int DefaultMaxThreads
    {
        get => Threads.Default;
        set => Threads.Default = AtLeastOne(value);
    }

    /// <summary>
    /// Bounds kernels to <paramref name="maxThreads"/> threads in the calling flow, and the parallel work it starts,
    /// until the returned scope is disposed; other flows keep their bound.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxThreads"/> is below 1.</exception>
    public static KernelSettingScope Use(int maxThreads) => Threads.Open(AtLeastOne(maxThreads));

    private static int AtLeastOne(int threads) => threads >= 1
        ? threads
        : throw new ArgumentOutOfRangeException(nameof(threads), threads, "MaxThreads must be at least 1.");
}

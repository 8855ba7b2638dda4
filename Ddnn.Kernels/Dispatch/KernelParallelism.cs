namespace Ddnn.Kernels;

/// <summary>
/// How many threads kernels may use. Work is split into a fixed number of parts that depends only on
/// the problem size and this setting, so a given thread count always gives the same bits.
/// </summary>
public static class KernelParallelism
{
    private static readonly ScopedSetting Threads = new(Environment.ProcessorCount);

    // A thread that is itself one of several parallel workers (the trainer's batch halves) runs its kernels alone.
    [ThreadStatic] private static bool _pinned;

    /// <summary>
    /// Upper bound on threads per kernel call (1 runs everything on the calling thread): the innermost open
    /// <see cref="Use"/> scope's, else <see cref="DefaultMaxThreads"/>.
    /// </summary>
    public static int MaxThreads => _pinned ? 1 : Threads.Current;

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

    /// <summary>
    /// Runs every kernel that the calling thread starts on that thread alone (<see cref="MaxThreads"/> is 1 there)
    /// until the returned scope is disposed, for a thread that is already one of several parallel workers. Unlike
    /// <see cref="Use"/> it does not flow to other threads and costs no allocation. Dispose it on the same thread.
    /// </summary>
    public static PinnedScope PinToCallingThread()
    {
        var previous = _pinned;
        _pinned = true;
        return new PinnedScope(previous);
    }

    /// <summary>Restores the calling thread's previous pinning when disposed.</summary>
    public readonly struct PinnedScope : IDisposable
    {
        private readonly bool _previous;

        internal PinnedScope(bool previous) => _previous = previous;

        /// <inheritdoc />
        public void Dispose() => _pinned = _previous;
    }

    private static int AtLeastOne(int threads) => threads >= 1
        ? threads
        : throw new ArgumentOutOfRangeException(nameof(threads), threads, "MaxThreads must be at least 1.");
}

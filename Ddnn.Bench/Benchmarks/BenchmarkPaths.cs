using BenchmarkDotNet.Attributes;
using Ddnn.Kernels;

namespace Ddnn.Bench.Benchmarks;

/// <summary>
/// The kernel paths the path-comparing benchmarks (<see cref="PathComparedBenchmark"/>) run on: Avx2 and Avx512 where
/// this processor has them, so a 512-bit machine measures both in the same run; else the best path alone.
/// </summary>
public static class BenchmarkPaths
{
    /// <summary>The compared paths, narrowest first; never empty.</summary>
    public static IReadOnlyList<KernelPath> Compared { get; } = Pick();

    /// <summary>The widest compared path: the one the target rows are reported for.</summary>
    public static KernelPath Widest => Compared[^1];

    private static KernelPath[] Pick()
    {
        var wide = new[] { KernelPath.Avx2, KernelPath.Avx512 }.Where(KernelDispatch.IsSupported).ToArray();
        return wide.Length > 0 ? wide : [KernelDispatch.Best];
    }
}

/// <summary>
/// A benchmark measured once per <see cref="BenchmarkPaths.Compared"/> path. The case makes its path the process
/// default in its setup and puts the previous default back in its cleanup; a <see cref="KernelDispatch.Use"/> scope
/// around the measured call would instead add an execution-context lookup to every kernel call of the process.
/// </summary>
public abstract class PathComparedBenchmark
{
    private KernelPath _previousPath;

    /// <summary>The kernel path this case runs on.</summary>
    [ParamsSource(nameof(Paths))]
    public KernelPath Path { get; set; }

    /// <summary>The values of <see cref="Path"/>.</summary>
    public static IEnumerable<KernelPath> Paths => BenchmarkPaths.Compared;

    /// <summary>Call first in the derived class's global setup.</summary>
    protected void SelectPath()
    {
        _previousPath = KernelDispatch.DefaultPath;
        KernelDispatch.DefaultPath = Path;
    }

    /// <summary>BenchmarkDotNet takes one global cleanup per class: this one releases the case, then restores the path.</summary>
    [GlobalCleanup]
    public void RestorePath()
    {
        ReleaseCase();
        KernelDispatch.DefaultPath = _previousPath;
    }

    /// <summary>Releases what the derived class's global setup holds (nothing by default).</summary>
    protected virtual void ReleaseCase() { }
}

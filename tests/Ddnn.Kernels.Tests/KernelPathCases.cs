using Ddnn.Kernels;

namespace Ddnn.Kernels.Tests;

/// <summary>
/// Crosses a theory's cases with <see cref="KernelPaths.Every"/>: each (case, path) pair is its own test, so a path this
/// processor lacks shows as skipped with its reason (through <see cref="KernelPaths.Enter"/>) instead of vanishing.
/// </summary>
internal static class KernelPathCases
{
    /// <summary>Every case of <paramref name="cases"/> once per kernel path, narrowest first, the path as the last argument.</summary>
    public static IEnumerable<object[]> OnEveryPath(IEnumerable<object[]> cases) =>
        from row in cases
        from path in Enum.GetValues<KernelPath>()
        select row.Append(path).ToArray();
}

using Ddnn.Kernels;

namespace Ddnn.Kernels.Tests;

/// <summary>
/// Theory data over every kernel path, supported here or not, so that a path this processor lacks shows in the test
/// output as skipped with its reason instead of vanishing. Theories that take it are <c>[SkippableTheory]</c> and
/// start with <see cref="Enter"/>.
/// </summary>
internal static class KernelPaths
{
    /// <summary>Every <see cref="KernelPath"/>, narrowest first.</summary>
    public static TheoryData<KernelPath> Every() => [.. Enum.GetValues<KernelPath>()];

    /// <summary>Every path but the scalar reference, for tests that compare a path with its scalar twin.</summary>
    public static TheoryData<KernelPath> EveryVector() => [.. Enum.GetValues<KernelPath>().Where(p => p != KernelPath.Scalar)];

    /// <summary>Skips the calling test when this processor cannot run <paramref name="path"/>; otherwise opens a scope on it.</summary>
    public static KernelSettingScope Enter(KernelPath path)
    {
        SkipUnsupported(path);
        return KernelDispatch.Use(path);
    }

    /// <summary>Skips the calling test, with the reason, when this processor cannot run <paramref name="path"/>.</summary>
    public static void SkipUnsupported(KernelPath path) =>
        Skip.IfNot(KernelDispatch.IsSupported(path),
            $"this processor cannot run the {path} path (best here is {KernelDispatch.Best}); its checks need a machine that can");
}

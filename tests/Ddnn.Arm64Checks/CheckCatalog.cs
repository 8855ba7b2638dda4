using System.Reflection;
using Ddnn.Core.Tests.Deploy;
using Ddnn.Core.Tests.Golden;
using Ddnn.Kernels.Tests.Float;
using Xunit;

namespace Ddnn.Arm64Checks;

/// <summary>Which xunit test methods run under emulation, and why the others do not.</summary>
internal static class CheckCatalog
{
    /// <summary>Every public test class of this assembly runs: it holds the kernels' checks against their scalar twins.</summary>
    private static readonly Assembly KernelTests = typeof(GemmTests).Assembly;

    /// <summary>
    /// The Ddnn.Core.Tests classes that run each kernel path the machine has (golden ops, packed inference, the device
    /// workspace); the rest of that assembly tests graphs, files and protocol, which do not depend on the processor.
    /// </summary>
    private static readonly Type[] CoreClasses = [typeof(GoldenOpsTests), typeof(PackedInferenceTests), typeof(DeviceWorkspaceTests)];

    /// <summary>
    /// "Class.Method" of checks left out under emulation, with the reason (printed on every run). The kernel checks all
    /// run: they assert no timing, and the allocation counts hold under emulation too.
    /// </summary>
    private static readonly Dictionary<string, string> LeftOut = new()
    {
        ["PublicApiTests.PublicApi_matches_the_committed_baseline"] = PublicApiReason,
        ["PublicApiTests.PublicApi_difference_shows_the_changed_lines_between_the_common_beginning_and_end"] = PublicApiReason,
        ["PublicApiTests.PublicApi_difference_cuts_a_long_block_and_says_how_much_is_left"] = PublicApiReason,
    };

    private const string PublicApiReason = "the public-API baseline does not depend on the processor; dotnet test checks it";

    /// <summary>The test methods to run, those whose "Class.Method" contains one of <paramref name="filters"/> (all when none).</summary>
    public static IReadOnlyList<MethodInfo> Select(IReadOnlyList<string> filters)
    {
        var classes = KernelTests.GetExportedTypes().Where(IsTestClass).Concat(CoreClasses).ToList();
        var methods = classes.SelectMany(TestMethods).ToList();

        var names = methods.Select(NameOf).ToHashSet();
        foreach (var name in LeftOut.Keys.Where(n => !names.Contains(n)))
            throw new InvalidOperationException($"arm64 checks: the left-out check '{name}' no longer exists; remove it from CheckCatalog");
        foreach (var (name, reason) in LeftOut)
            Console.WriteLine($"arm64 checks: left out {name}: {reason}");

        return methods
            .Where(m => !LeftOut.ContainsKey(NameOf(m)))
            .Where(m => filters.Count == 0 || filters.Any(f => NameOf(m).Contains(f, StringComparison.Ordinal)))
            .ToList();
    }

    /// <summary>"Class.Method", the name checks are filtered and reported by.</summary>
    public static string NameOf(MethodInfo method) => $"{method.ReflectedType!.Name}.{method.Name}";

    private static bool IsTestClass(Type type) =>
        type is { IsClass: true, IsAbstract: false, IsGenericTypeDefinition: false } && TestMethods(type).Any();

    private static IEnumerable<MethodInfo> TestMethods(Type type) =>
        type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.FlattenHierarchy)
            .Where(m => m.GetCustomAttributes<FactAttribute>().Any())
            .OrderBy(m => m.MetadataToken);
}

using System.Reflection;
using PublicApiGenerator;

namespace Ddnn.TestSupport;

/// <summary>
/// The committed public-API baseline of an engine package: api/&lt;Assembly&gt;.txt at the repository root holds the
/// C# text PublicApiGenerator renders for the assembly. A test compares the assembly with it, so every change to the
/// public API shows up as a diff of that file in the commit that makes it. Running the tests with
/// DDNN_UPDATE_API=1 rewrites the files instead of comparing.
/// </summary>
public static class PublicApiBaseline
{
    /// <summary>The environment variable that makes <see cref="AssertMatches"/> rewrite the baseline.</summary>
    public const string UpdateVariable = "DDNN_UPDATE_API";

    /// <summary>Most differing lines shown on each side of a failure message.</summary>
    private const int ShownLines = 20;

    /// <summary>The public API of <paramref name="assembly"/> as PublicApiGenerator renders it, with '\n' line ends.</summary>
    public static string Render(Assembly assembly)
    {
        var options = new ApiGeneratorOptions
        {
            // The informational version carries the commit hash, which changes on every commit.
            ExcludeAttributes = ["System.Reflection.AssemblyInformationalVersionAttribute"],
        };
        return Normalize(assembly.GeneratePublicApi(options));
    }

    /// <summary>
    /// Fails, showing the first differing lines and how to accept the change, when the public API of
    /// <paramref name="assembly"/> is not the committed baseline; with DDNN_UPDATE_API=1 writes the baseline instead.
    /// </summary>
    public static void AssertMatches(Assembly assembly)
    {
        var name = assembly.GetName().Name!;
        var relative = System.IO.Path.Combine("api", name + ".txt");
        var path = System.IO.Path.Combine(RepositoryFiles.Root, relative);
        var current = Render(assembly);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            var temporary = path + ".tmp";
            File.WriteAllText(temporary, current);
            File.Move(temporary, path, overwrite: true);
            return;
        }
        var baseline = File.Exists(path) ? Normalize(File.ReadAllText(path)) : null;
        if (baseline == current)
            return;
        var how = $"If the change is deliberate, rewrite the baseline with `{UpdateVariable}=1 dotnet test " +
                  $"tests/{name}.Tests -c Release --filter PublicApi` and commit {relative} with the change.";
        if (baseline is null)
            Assert.Fail($"public API baseline {relative} is missing. {how}");
        Assert.Fail($"public API of {name} differs from the baseline {relative}:\n{Difference(baseline, current)}\n{how}");
    }

    /// <summary>
    /// The differing block of two texts: the lines between their common beginning and common end, the baseline's
    /// prefixed '-' and the current ones '+', each side cut to the first <see cref="ShownLines"/> lines.
    /// </summary>
    public static string Difference(string baseline, string current)
    {
        var before = baseline.Split('\n');
        var after = current.Split('\n');
        var start = 0;
        while (start < before.Length && start < after.Length && before[start] == after[start])
            start++;
        int endBefore = before.Length, endAfter = after.Length;
        while (endBefore > start && endAfter > start && before[endBefore - 1] == after[endAfter - 1])
        {
            endBefore--;
            endAfter--;
        }
        var lines = new List<string> { $"@@ line {start + 1}: {endBefore - start} line(s) in the baseline, {endAfter - start} now" };
        Side(before, start, endBefore, '-', lines);
        Side(after, start, endAfter, '+', lines);
        return string.Join('\n', lines);
    }

    private static void Side(string[] text, int start, int end, char mark, List<string> lines)
    {
        for (var i = start; i < end && i < start + ShownLines; i++)
            lines.Add(mark + text[i]);
        if (end - start > ShownLines)
            lines.Add($"{mark} ... {end - start - ShownLines} more");
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n");
}

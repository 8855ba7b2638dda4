namespace Ddnn.TestSupport;

/// <summary>
/// Files of the source tree (README, shipped configs) for tests that keep documentation and shipped files from
/// drifting away from the code. Tests run from tests/&lt;Project&gt;/bin/..., so the tree is an ancestor of the test assembly.
/// </summary>
public static class RepositoryFiles
{
    private static readonly Lazy<string> RootDirectory = new(FindRoot);

    /// <summary>The directory that holds Ddnn.sln.</summary>
    public static string Root => RootDirectory.Value;

    /// <summary>A path below the repository root; throws if the file or directory does not exist.</summary>
    public static string Path(params string[] parts)
    {
        var path = System.IO.Path.Combine([Root, .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new FileNotFoundException($"repository file not found: {path}", path);
        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Ddnn.sln")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"no Ddnn.sln above {AppContext.BaseDirectory}");
    }
}

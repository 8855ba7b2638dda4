namespace Ddnn.TestSupport;

/// <summary>Locates test fixtures copied next to the test assembly.</summary>
public static class Fixtures
{
    public static string Path(params string[] parts)
    {
        var path = System.IO.Path.Combine([AppContext.BaseDirectory, "fixtures", .. parts]);
        if (!File.Exists(path))
            throw new FileNotFoundException($"test fixture not found: {path}", path);
        return path;
    }
}

using Ddnn.Core;

namespace Ddnn.Training.Reporting;

/// <summary>
/// The staging folder a study writes into; <see cref="ResultsFolder.WriteStudy"/> moves it into place only once the
/// study has finished, so readers never see half a study.
/// </summary>
public sealed class StudyDirectory
{
    internal StudyDirectory(string id, string path)
    {
        Id = id;
        Path = path;
    }

    /// <summary>The study id, which names its final folder under the results folder.</summary>
    public string Id { get; }

    /// <summary>The staging folder (not the final one); files written here appear under &lt;out&gt;/&lt;id&gt;/ on success.</summary>
    public string Path { get; }

    /// <summary>Full staging path of <paramref name="fileName"/>, a plain file name such as "plot.png".</summary>
    public string PathOf(string fileName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        if (fileName != System.IO.Path.GetFileName(fileName) || fileName is "." or ".." ||
            fileName.IndexOfAny(System.IO.Path.GetInvalidFileNameChars()) >= 0 || fileName.Contains('\\'))
            throw new ArgumentException($"study '{Id}': '{fileName}' is not a plain file name", nameof(fileName));
        return System.IO.Path.Combine(Path, fileName);
    }

    /// <summary>Writes <paramref name="table"/> as CSV (default <see cref="ResultsFolder.TableFileName"/>).</summary>
    public void WriteTable(ResultTable table, string fileName = ResultsFolder.TableFileName) =>
        CsvFile.Write(PathOf(fileName), table);

    /// <summary>Writes <paramref name="text"/> as UTF-8 to the plain file name <paramref name="fileName"/>, atomically.</summary>
    public void WriteText(string fileName, string text) => AtomicFile.WriteAllText(PathOf(fileName), text);

    /// <summary>Writes <paramref name="bytes"/> to the plain file name <paramref name="fileName"/>, atomically.</summary>
    public void WriteBytes(string fileName, ReadOnlySpan<byte> bytes) => AtomicFile.WriteAllBytes(PathOf(fileName), bytes);
}

using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ddnn.Core;

namespace Ddnn.Training.Reporting;

/// <summary>
/// The output folder of a run: &lt;out&gt;/&lt;study-id&gt;/ (table.csv, plot.png, ...), &lt;out&gt;/report.md,
/// &lt;out&gt;/run.json and &lt;out&gt;/manifest.json (the completed studies). Each study is staged in a hidden
/// sibling folder and renamed into place only when it completed, so an interrupted run leaves every earlier study
/// intact and never half a study; a non-empty folder is only reused when the caller passes force.
/// </summary>
public sealed partial class ResultsFolder
{
    /// <summary>A study's main results table, as CSV.</summary>
    public const string TableFileName = "table.csv";
    /// <summary>A study's figure, as PNG.</summary>
    public const string PlotFileName = "plot.png";
    /// <summary>The Markdown report over all studies, at the folder's root.</summary>
    public const string ReportFileName = "report.md";
    /// <summary>The run description (<see cref="RunInfo"/>) as JSON, at the folder's root.</summary>
    public const string RunInfoFileName = "run.json";
    /// <summary>The list of completed studies as JSON, at the folder's root; a forced rerun reads it to keep the earlier studies.</summary>
    public const string ManifestFileName = "manifest.json";

    private const string StagingMarker = ".staging-";
    private const string ReplacedMarker = ".replaced-";

    [JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
    [JsonSerializable(typeof(Manifest))]
    private sealed partial class ManifestContext : JsonSerializerContext;

    private readonly List<CompletedStudy> _completed;

    private ResultsFolder(string root, List<CompletedStudy> completed)
    {
        Root = root;
        _completed = completed;
    }

    /// <summary>Full path of the folder.</summary>
    public string Root { get; }

    /// <summary>Studies whose folders are complete, in the order they were (last) written.</summary>
    public IReadOnlyList<CompletedStudy> CompletedStudies => _completed;

    /// <summary>
    /// Opens (creating when needed) the output folder <paramref name="path"/>. A folder that exists and is not empty is
    /// refused unless <paramref name="force"/>; with force, its studies are kept until each is rewritten, and staging
    /// folders left by an interrupted run are cleaned up.
    /// </summary>
    /// <exception cref="ResultsFolderExistsException">The folder holds files and <paramref name="force"/> is false.</exception>
    /// <exception cref="IOException"><paramref name="path"/> is an existing file.</exception>
    /// <exception cref="InvalidDataException">With force, the existing manifest is malformed; the message names it.</exception>
    public static ResultsFolder Open(string path, bool force)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var root = Path.GetFullPath(path);
        if (File.Exists(root)) throw new IOException($"Output path '{root}' is a file, not a folder; choose another --out.");
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            if (!force) throw new ResultsFolderExistsException(root);
            RecoverInterruptedStudies(root);
        }
        Directory.CreateDirectory(root);
        return new ResultsFolder(root, ReadManifest(root));
    }

    /// <summary>Final path of study <paramref name="id"/> (whether or not it was written).</summary>
    public string StudyPath(string id) => Path.Combine(Root, ValidateStudyId(id));

    /// <summary>True when study <paramref name="id"/> has been written completely (by this run or, with force, an earlier one).</summary>
    public bool IsCompleted(string id)
    {
        ValidateStudyId(id);
        return _completed.Any(s => s.Id == id);
    }

    /// <summary>
    /// Runs <paramref name="write"/> against a fresh staging folder, then swaps it in as &lt;out&gt;/&lt;id&gt;/ (replacing
    /// an older one) and records it in the manifest. When <paramref name="write"/> throws, the staging folder is deleted,
    /// the previous version of the study (if any) stays, and the exception propagates.
    /// </summary>
    /// <exception cref="InvalidOperationException">The study wrote no file.</exception>
    public CompletedStudy WriteStudy(string id, Action<StudyDirectory> write)
    {
        ValidateStudyId(id);
        ArgumentNullException.ThrowIfNull(write);
        var staging = Path.Combine(Root, $".{id}{StagingMarker}{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        var clock = Stopwatch.StartNew();
        string[] files;
        try
        {
            write(new StudyDirectory(id, staging));
            files = Directory.EnumerateFiles(staging, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(staging, f).Replace('\\', '/'))
                .Where(f => !IsTemporaryName(f))
                .Order(StringComparer.Ordinal)
                .ToArray();
            if (files.Length == 0) throw new InvalidOperationException($"study '{id}' wrote no files into its folder");
        }
        catch
        {
            DeleteQuietly(staging);
            throw;
        }

        var final = Path.Combine(Root, id);
        if (Directory.Exists(final))
        {
            var replaced = Path.Combine(Root, $".{id}{ReplacedMarker}{Guid.NewGuid():N}");
            Directory.Move(final, replaced);
            Directory.Move(staging, final);
            DeleteQuietly(replaced);
        }
        else
        {
            Directory.Move(staging, final);
        }

        var entry = new CompletedStudy(id, DateTimeOffset.UtcNow, clock.Elapsed.TotalSeconds, files);
        _completed.RemoveAll(s => s.Id == id);
        _completed.Add(entry);
        AtomicFile.WriteAllText(Path.Combine(Root, ManifestFileName),
            JsonSerializer.Serialize(new Manifest(_completed), ManifestContext.Default.Manifest));
        return entry;
    }

    /// <summary>Writes &lt;out&gt;/run.json atomically.</summary>
    public void WriteRunInfo(RunInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        AtomicFile.WriteAllText(Path.Combine(Root, RunInfoFileName), info.ToJson());
    }

    /// <summary>Writes &lt;out&gt;/report.md atomically.</summary>
    public void WriteReport(MarkdownReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        AtomicFile.WriteAllText(Path.Combine(Root, ReportFileName), report.Render());
    }

    /// <summary>Checks that <paramref name="id"/> is a usable folder name: lowercase letters, digits, '-', '_' and '.', not starting with '.'.</summary>
    public static string ValidateStudyId(string id)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        if (!IsValidStudyId(id))
            throw new ArgumentException(
                $"study id '{id}' must be 1-100 lowercase letters, digits, '-', '_' or '.', not starting with '.'", nameof(id));
        return id;
    }

    private static bool IsValidStudyId(string id) =>
        id.Length is > 0 and <= 100 && id[0] != '.' &&
        id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.');

    // AtomicFile's temporary files start with '.' and end with ".tmp"; a crash inside a study may leave one behind.
    private static bool IsTemporaryName(string relativePath)
    {
        var name = Path.GetFileName(relativePath);
        return name.StartsWith('.') && name.EndsWith(".tmp", StringComparison.Ordinal);
    }

    // A run killed between the two renames of WriteStudy leaves the old study only under its ".replaced-" name:
    // put it back. Staging folders are half-written studies and go.
    private static void RecoverInterruptedStudies(string root)
    {
        foreach (var dir in Directory.EnumerateDirectories(root, ".*").ToArray())
        {
            var name = Path.GetFileName(dir);
            var replacedAt = name.IndexOf(ReplacedMarker, StringComparison.Ordinal);
            if (replacedAt > 1)
            {
                var original = Path.Combine(root, name[1..replacedAt]);
                if (!Directory.Exists(original)) { Directory.Move(dir, original); continue; }
                DeleteQuietly(dir);
            }
            else if (name.Contains(StagingMarker, StringComparison.Ordinal))
            {
                DeleteQuietly(dir);
            }
        }
    }

    private static List<CompletedStudy> ReadManifest(string root)
    {
        var path = Path.Combine(root, ManifestFileName);
        if (!File.Exists(path)) return [];
        Manifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(File.ReadAllText(path), ManifestContext.Default.Manifest);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: malformed results manifest ({e.Message}); delete it or choose another --out", e);
        }
        if (manifest?.Studies is null) throw new InvalidDataException($"{path}: results manifest has no 'studies' list");
        foreach (var study in manifest.Studies)
        {
            if (study?.Id is null || !IsValidStudyId(study.Id) || study.Files is null)
                throw new InvalidDataException($"{path}: results manifest has an entry without a valid study id and file list");
        }
        // A study folder deleted by hand since is no longer complete.
        return manifest.Studies.Where(s => Directory.Exists(Path.Combine(root, s.Id))).ToList();
    }

    private static void DeleteQuietly(string directory)
    {
        try { Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private sealed record Manifest(IReadOnlyList<CompletedStudy> Studies);
}

using Ddnn.TestSupport;
using Ddnn.Training.Reporting;

namespace Ddnn.Training.Tests.Reporting;

public class ResultsFolderTests
{
    private static ResultTable Table(double value)
    {
        var table = new ResultTable("t", [ResultColumn.Text("k"), ResultColumn.Number("v")]);
        table.AddRow("a", value);
        return table;
    }

    private static string[] Entries(string folder) =>
        Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void WritesStudiesIntoTheirFoldersAndRecordsThem()
    {
        using var temp = new TempDirectory();
        var folder = ResultsFolder.Open(temp.Combine("out"), force: false);

        var entry = folder.WriteStudy("threshold-sweep", study =>
        {
            study.WriteTable(Table(0.97));
            study.WriteBytes(ResultsFolder.PlotFileName, [1, 2, 3]);
        });

        Assert.Equal(["plot.png", "table.csv"], entry.Files);
        Assert.Equal(["manifest.json", "threshold-sweep"], Entries(folder.Root));
        Assert.Equal(["plot.png", "table.csv"], Entries(folder.StudyPath("threshold-sweep")));
        Assert.True(folder.IsCompleted("threshold-sweep"));
        Assert.Equal("0.97", CsvFile.Read(Path.Combine(folder.StudyPath("threshold-sweep"), "table.csv"))[1][1]);
    }

    [Fact]
    public void ANonEmptyFolderIsRefusedWithoutForce()
    {
        using var temp = new TempDirectory();
        var out1 = temp.Combine("out");
        ResultsFolder.Open(out1, force: false).WriteStudy("a", s => s.WriteTable(Table(1)));
        var before = File.ReadAllText(Path.Combine(out1, "a", "table.csv"));

        var error = Assert.Throws<ResultsFolderExistsException>(() => ResultsFolder.Open(out1, force: false));

        Assert.IsAssignableFrom<IOException>(error);
        Assert.Contains(Path.GetFullPath(out1), error.Message);
        Assert.Contains("--force", error.Message);
        Assert.Contains("--out", error.Message);
        Assert.Equal(before, File.ReadAllText(Path.Combine(out1, "a", "table.csv")));
    }

    [Fact]
    public void AnExistingEmptyFolderIsFineAndAFileIsNot()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Combine("empty"));
        Assert.Empty(ResultsFolder.Open(temp.Combine("empty"), force: false).CompletedStudies);

        File.WriteAllText(temp.Combine("file"), "x");
        var error = Assert.Throws<IOException>(() => ResultsFolder.Open(temp.Combine("file"), force: true));
        Assert.Contains("is a file", error.Message);
    }

    [Fact]
    public void ForceReplacesStudiesOneByOneAndKeepsTheOthers()
    {
        using var temp = new TempDirectory();
        var root = temp.Combine("out");
        var first = ResultsFolder.Open(root, force: false);
        first.WriteStudy("a", s => { s.WriteTable(Table(1)); s.WriteText("extra.txt", "old"); });
        first.WriteStudy("b", s => s.WriteTable(Table(2)));

        var second = ResultsFolder.Open(root, force: true);
        Assert.Equal(["a", "b"], second.CompletedStudies.Select(s => s.Id));
        second.WriteStudy("a", s => s.WriteTable(Table(10)));

        Assert.Equal(["table.csv"], Entries(Path.Combine(root, "a")));
        Assert.Equal("10", CsvFile.Read(Path.Combine(root, "a", "table.csv"))[1][1]);
        Assert.Equal("2", CsvFile.Read(Path.Combine(root, "b", "table.csv"))[1][1]);
        Assert.Equal(["b", "a"], ResultsFolder.Open(root, force: true).CompletedStudies.Select(s => s.Id));
        Assert.Equal(["a", "b", "manifest.json"], Entries(root));
    }

    [Fact]
    public void AStudyThatThrowsLeavesNoPartialFolderAndEarlierStudiesIntact()
    {
        using var temp = new TempDirectory();
        var folder = ResultsFolder.Open(temp.Combine("out"), force: false);
        folder.WriteStudy("first", s => s.WriteTable(Table(1)));

        var error = Assert.Throws<InvalidOperationException>(() => folder.WriteStudy("second", s =>
        {
            s.WriteTable(Table(2));
            throw new InvalidOperationException("training diverged");
        }));

        Assert.Equal("training diverged", error.Message);
        Assert.Equal(["first", "manifest.json"], Entries(folder.Root));
        Assert.Equal(["first"], folder.CompletedStudies.Select(s => s.Id));
        Assert.Equal("1", CsvFile.Read(Path.Combine(folder.Root, "first", "table.csv"))[1][1]);
        Assert.Equal(["first"], ResultsFolder.Open(folder.Root, force: true).CompletedStudies.Select(s => s.Id));
    }

    [Fact]
    public void AFailedRewriteKeepsThePreviousVersionOfTheStudy()
    {
        using var temp = new TempDirectory();
        var folder = ResultsFolder.Open(temp.Combine("out"), force: false);
        folder.WriteStudy("a", s => s.WriteTable(Table(1)));

        Assert.Throws<IOException>(() => folder.WriteStudy("a", s =>
        {
            s.WriteText("half.txt", "x");
            throw new IOException("disk full");
        }));

        Assert.Equal(["table.csv"], Entries(folder.StudyPath("a")));
        Assert.Equal("1", CsvFile.Read(Path.Combine(folder.StudyPath("a"), "table.csv"))[1][1]);
        Assert.True(folder.IsCompleted("a"));
    }

    [Fact]
    public void LeftoversOfAKilledRunAreCleanedOrRestoredOnForce()
    {
        using var temp = new TempDirectory();
        var root = temp.Combine("out");
        var folder = ResultsFolder.Open(root, force: false);
        folder.WriteStudy("kept", s => s.WriteTable(Table(1)));
        folder.WriteStudy("swapped", s => s.WriteTable(Table(2)));
        // A process killed mid-study leaves its staging folder; one killed between the two renames of a rewrite
        // leaves the previous version under its ".replaced-" name and no final folder.
        Directory.CreateDirectory(Path.Combine(root, ".kept.staging-0123"));
        File.WriteAllText(Path.Combine(root, ".kept.staging-0123", "table.csv"), "half");
        Directory.Move(Path.Combine(root, "swapped"), Path.Combine(root, ".swapped.replaced-4567"));

        var reopened = ResultsFolder.Open(root, force: true);

        Assert.Equal(["kept", "manifest.json", "swapped"], Entries(root));
        Assert.Equal("2", CsvFile.Read(Path.Combine(root, "swapped", "table.csv"))[1][1]);
        Assert.Equal(["kept", "swapped"], reopened.CompletedStudies.Select(s => s.Id));
    }

    [Fact]
    public void AStudyThatWritesNothingIsAnError()
    {
        using var temp = new TempDirectory();
        var folder = ResultsFolder.Open(temp.Combine("out"), force: false);
        var error = Assert.Throws<InvalidOperationException>(() => folder.WriteStudy("empty", _ => { }));
        Assert.Contains("'empty'", error.Message);
        Assert.Empty(Entries(folder.Root));
    }

    [Theory]
    [InlineData("")]
    [InlineData(".hidden")]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData("Upper")]
    [InlineData("with space")]
    public void BadStudyIdsAreRejected(string id)
    {
        using var temp = new TempDirectory();
        var folder = ResultsFolder.Open(temp.Combine("out"), force: false);
        Assert.ThrowsAny<ArgumentException>(() => folder.WriteStudy(id, s => s.WriteTable(Table(1))));
    }

    [Fact]
    public void StudyFileNamesMustBePlain()
    {
        using var temp = new TempDirectory();
        var folder = ResultsFolder.Open(temp.Combine("out"), force: false);
        Assert.Throws<ArgumentException>(() => folder.WriteStudy("a", s => s.WriteText("../evil.txt", "x")));
        Assert.Throws<ArgumentException>(() => folder.WriteStudy("a", s => s.WriteText("sub/x.txt", "x")));
        Assert.Empty(Entries(folder.Root));
    }

    [Fact]
    public void AMalformedManifestIsReportedByPath()
    {
        using var temp = new TempDirectory();
        var root = temp.Combine("out");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, ResultsFolder.ManifestFileName), "{ not json");
        var error = Assert.Throws<InvalidDataException>(() => ResultsFolder.Open(root, force: true));
        Assert.Contains(Path.Combine(root, ResultsFolder.ManifestFileName), error.Message);
    }

    [Fact]
    public void AManifestEntryPointingOutsideTheFolderIsRejected()
    {
        using var temp = new TempDirectory();
        var root = temp.Combine("out");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, ResultsFolder.ManifestFileName),
            "{\"studies\":[{\"id\":\"../../etc\",\"completedUtc\":\"2026-01-01T00:00:00Z\",\"seconds\":1,\"files\":[]}]}");
        var error = Assert.Throws<InvalidDataException>(() => ResultsFolder.Open(root, force: true));
        Assert.Contains("valid study id", error.Message);
    }

    [Fact]
    public void RunInfoAndReportAreWrittenBesideTheStudies()
    {
        using var temp = new TempDirectory();
        var folder = ResultsFolder.Open(temp.Combine("out"), force: false);
        var info = new RunInfo
        {
            CommandLine = ["ddnn", "paper", "--out", "my runs"],
            Seed = 42,
            DataSeed = 5,
            Dataset = "mvmc",
            Threads = 2,
            StartedUtc = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero),
            Versions = RunInfo.DefaultVersions(),
            Timings = [new PhaseTiming("threshold-sweep", 12.5)],
        };

        folder.WriteRunInfo(info);
        folder.WriteReport(new MarkdownReport("DDNN") { Run = info });

        var read = RunInfo.FromJson(File.ReadAllText(Path.Combine(folder.Root, ResultsFolder.RunInfoFileName)));
        Assert.Equal(info.CommandLine, read.CommandLine);
        Assert.Equal(42, read.Seed);
        Assert.Equal(5, read.DataSeed);
        var minimal = RunInfo.FromJson("""{"commandLine": ["ddnn"], "seed": 1, "dataset": "synthetic", "threads": 1}""");
        Assert.Null(minimal.DataSeed);
        Assert.Empty(minimal.Versions);
        Assert.Empty(minimal.Timings);
        Assert.Equal(default, minimal.StartedUtc);
        Assert.Equal(info.StartedUtc, read.StartedUtc);
        Assert.Equal(info.Versions["dotnet"], read.Versions["dotnet"]);
        Assert.Equal(12.5, read.Timings.Single().Seconds);
        var report = File.ReadAllText(Path.Combine(folder.Root, ResultsFolder.ReportFileName));
        Assert.StartsWith("# DDNN", report);
        Assert.Contains("| Data seed | 5 |", report);
    }

    [Fact]
    public void MalformedRunInfoIsRejected()
    {
        var error = Assert.Throws<InvalidDataException>(() => RunInfo.FromJson("{\"seed\": 1}", "/x/run.json"));
        Assert.Contains("/x/run.json", error.Message);
    }
}

using Ddnn.Training.Reporting;
using Ddnn.TestSupport;
namespace Ddnn.Bench.Tests;

[Collection(CliStateCollection.Name)]
public class PaperVerbTests
{
    // The smallest run of every study: a few seconds on two cores.
    private static readonly string[] Tiny =
    [
        "paper", "--train-samples", "16", "--validation-samples", "16", "--test-samples", "16", "--image-size", "16",
        "--epochs", "1", "--batch", "8", "--threads", "1", "--step", "0.5",
    ];

    [Fact]
    public void Paper_refuses_a_results_folder_that_holds_files_without_force()
    {
        using var temp = new TempDirectory();
        var keep = temp.Combine("notes.txt");
        File.WriteAllText(keep, "mine");

        var result = DdnnCli.Run([.. Tiny, "--out", temp.Path]);
        Assert.Equal(1, result.Code);
        var line = result.SingleErrorLine();
        Assert.Contains("already exists and is not empty", line);
        Assert.Contains("--force", line);
        Assert.Equal("", result.Out);
        Assert.Equal([keep], Directory.GetFileSystemEntries(temp.Path));
        Assert.Equal("mine", File.ReadAllText(keep));
    }

    [Fact]
    public void A_tiny_paper_run_writes_every_study_and_the_report_then_guards_them()
    {
        using var temp = new TempDirectory();
        var outDir = temp.Combine("paper");
        var result = DdnnCli.Succeed([.. Tiny, "--out", outDir]);
        Assert.Contains("findings of the paper in this run:", result.Out);

        foreach (var file in new[] { "report.md", "run.json", "manifest.json" }) Assert.True(File.Exists(Path.Combine(outDir, file)), file);
        var run = RunInfo.FromJson(File.ReadAllText(Path.Combine(outDir, "run.json")));
        Assert.Equal(1, run.DataSeed); // the synthetic scenes' seed (--data-seed default), beside the training seed
        var studies = Directory.GetDirectories(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Contains("threshold-sweep", studies);
        Assert.True(studies.Length >= 6, string.Join(", ", studies));
        var report = File.ReadAllText(Path.Combine(outDir, "report.md"));
        foreach (var study in studies)
        {
            Assert.True(File.Exists(Path.Combine(outDir, study!, "table.csv")), $"{study}/table.csv");
            Assert.True(File.Exists(Path.Combine(outDir, study!, "plot.png")), $"{study}/plot.png");
            Assert.Contains($"Study `{study}`", report);
        }

        var reportBefore = File.ReadAllBytes(Path.Combine(outDir, "report.md"));
        var again = DdnnCli.Run([.. Tiny, "--out", outDir]);
        Assert.Equal(1, again.Code);
        Assert.Contains("--force", again.SingleErrorLine());
        Assert.Equal(reportBefore, File.ReadAllBytes(Path.Combine(outDir, "report.md")));
    }
}

using Ddnn.Training.Reporting;

namespace Ddnn.Training.Tests.Reporting;

public class MarkdownReportTests
{
    private static MarkdownReport Report()
    {
        var report = new MarkdownReport("DDNN paper reproduction")
        {
            Run = new RunInfo
            {
                CommandLine = ["ddnn", "paper", "--seed", "1"],
                Seed = 1,
                Dataset = "mvmc",
                Threads = 2,
                Versions = new SortedDictionary<string, string> { ["ddnn"] = "1.0" },
                Timings = [new PhaseTiming("total", 61.26)],
            },
        };
        var sweep = new ResultTable("Threshold sweep", [ResultColumn.Number("T", "F1"), ResultColumn.Number("overall", "F1", "%")]);
        sweep.AddRow(0.8, 96.8);
        report.AddStudy("threshold-sweep", "Threshold sweep (Table IV)")
            .SetClaim("T = 0.8 gives 60.82% local exits at 97% overall accuracy.")
            .AddReference("local exits at T=0.8", 60.82, 58.5, "F2", "%")
            .AddReference("overall accuracy", 97.0, null, "F1", "%")
            .AddReference("best overall", "77.0 (T=0.4, 51%)", "78.1 (T=0.5, 55%)")
            .AddStudyPlot("overall accuracy and local exits vs T")
            .AddTable(sweep)
            .AddNote("Our MVMC split differs.\n# not a heading");
        report.AddStudy("devices", "Devices 1..6").AddNote("Only notes here.");
        return report;
    }

    [Fact]
    public void ReportHasTitleRunInfoAndOneSectionPerStudyInOrder()
    {
        var lines = Report().Render().Split('\n');

        Assert.Equal("# DDNN paper reproduction", lines[0]);
        var headings = lines.Where(l => l.StartsWith('#')).ToArray();
        Assert.Equal(["# DDNN paper reproduction", "## Run", "## Threshold sweep (Table IV)", "### Threshold sweep", "## Devices 1..6"], headings);
        Assert.Contains("| Command line | ddnn paper --seed 1 |", lines);
        Assert.Contains("| Seed | 1 |", lines);
        Assert.Contains("| Version: ddnn | 1.0 |", lines);
        Assert.Contains("| Time: total | 61.3 s |", lines);
    }

    [Fact]
    public void StudySectionHasClaimComparisonPlotTableAndNotes()
    {
        var text = Report().Render();
        var section = text[text.IndexOf("## Threshold sweep (Table IV)", StringComparison.Ordinal)..text.IndexOf("## Devices", StringComparison.Ordinal)];
        var lines = section.Split('\n');

        Assert.Contains("**Paper:** T = 0.8 gives 60.82% local exits at 97% overall accuracy.", lines);
        var comparisonHeader = Array.IndexOf(lines, "| Metric | Paper | Ours | Ours - paper |");
        Assert.True(comparisonHeader > 0, section);
        Assert.Equal("| :--- | ---: | ---: | ---: |", lines[comparisonHeader + 1]);
        Assert.Equal("| local exits at T=0.8 (%) | 60.82 | 58.50 | -2.32 |", lines[comparisonHeader + 2]);
        Assert.Equal("| overall accuracy (%) | 97.0 | - | - |", lines[comparisonHeader + 3]);
        Assert.Equal("| best overall | 77.0 (T=0.4, 51%) | 78.1 (T=0.5, 55%) | - |", lines[comparisonHeader + 4]);
        Assert.Contains("![overall accuracy and local exits vs T](threshold-sweep/plot.png)", lines);
        Assert.Contains("| 0.8 | 96.8 |", lines);
        Assert.Contains("Our MVMC split differs.", lines);
        Assert.Contains("\\# not a heading", lines);
        // Tables are separated from the text around them by blank lines, or Markdown would not render them.
        Assert.Equal("", lines[comparisonHeader - 1]);
    }

    [Fact]
    public void SectionsAreValidated()
    {
        var report = new MarkdownReport("r");
        report.AddStudy("a", "A");
        Assert.Throws<ArgumentException>(() => report.AddStudy("a", "again"));
        Assert.Throws<ArgumentException>(() => report.AddStudy("Bad Id", "B"));
        var section = report.AddStudy("b", "B");
        Assert.Throws<ArgumentException>(() => section.AddPlot("../outside.png", "x"));
        Assert.Throws<ArgumentException>(() => section.AddPlot("/abs.png", "x"));
        Assert.Throws<ArgumentException>(() => section.AddNote(" "));
    }

    [Fact]
    public void MarkdownTextEscapesStructure()
    {
        Assert.Equal("a\\|b<br>c", MarkdownText.Cell("a|b\nc"));
        Assert.Equal("\\# x", MarkdownText.Heading("# x"));
        Assert.Equal("line\n\\| not a table", MarkdownText.Paragraph("line\r\n| not a table"));
        Assert.Equal("my%20run/plot%28a%29.png", MarkdownText.LinkTarget("my run\\plot(a).png"));
    }
}

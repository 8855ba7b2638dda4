using Ddnn.Training.Reporting;

namespace Ddnn.Training.Tests.Reporting;

public class InvariantCultureTests
{
    private static ResultTable Table()
    {
        var table = new ResultTable("t", [ResultColumn.Number("accuracy", "F2"), ResultColumn.Number("bytes", "N0"), ResultColumn.Number("raw")]);
        table.AddRow(97.126, 1234567, 0.5);
        return table;
    }

    [Fact]
    public void AllOutputsUseInvariantNumbersUnderADecimalCommaCulture()
    {
        string console, csv, markdown, report;
        using (new GermanCulture())
        {
            var table = Table();
            console = table.ToConsoleString();
            csv = table.ToCsv();
            markdown = table.ToMarkdown();
            var md = new MarkdownReport("r");
            md.AddStudy("s", "S").AddReference("accuracy", 97.5, 96.25, "F2").AddTable(table);
            report = md.Render();
        }

        Assert.Contains("97.13", console);
        Assert.Contains("1,234,567", console);
        Assert.Equal("accuracy,bytes,raw\r\n97.126,1234567,0.5\r\n", csv);
        Assert.Contains("| 97.13 | 1,234,567 | 0.5 |", markdown);
        Assert.Contains("| accuracy | 97.50 | 96.25 | -1.25 |", report);
        Assert.DoesNotContain("97,1", console + csv + markdown + report);
    }

    [Fact]
    public void RunInfoJsonIsCultureIndependent()
    {
        var info = new RunInfo { CommandLine = ["ddnn", "paper"], Seed = 7, Dataset = "mvmc", Threads = 2, Timings = [new("train", 1.5)] };
        string json;
        using (new GermanCulture()) json = info.ToJson();
        Assert.Contains("1.5", json);
        Assert.DoesNotContain("1,5", json);
    }
}

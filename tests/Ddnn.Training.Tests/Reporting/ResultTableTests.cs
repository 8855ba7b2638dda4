using Ddnn.Training.Reporting;

namespace Ddnn.Training.Tests.Reporting;

public class ResultTableTests
{
    private static ResultTable ThresholdSweep()
    {
        var table = new ResultTable("Threshold sweep (MVMC)",
        [
            ResultColumn.Number("T", "F1"),
            ResultColumn.Number("local exits", "F2", "%"),
            ResultColumn.Number("overall", "F1", "%"),
            ResultColumn.Number("bytes", "F1", "B/device"),
            ResultColumn.Text("note"),
        ], footnote: "Paper reference: 60.82% local exits at T=0.8.");
        table.AddRow(0.1, 0.0, 96.0, 1234.5678, "all to cloud");
        table.AddRow(0.8, 60.82, 97.0, 62.0, "paper default");
        table.AddRow(1.0, 100.0, 92.0, 12.0, null);
        table.AddRow(0.9, null, 96.5, 40.26, "x");
        return table;
    }

    private static string[] Lines(string text) => text.TrimEnd('\n').Split('\n');

    [Fact]
    public void ConsoleLinesHaveTheSameWidthAndColumnsLineUp()
    {
        var table = ThresholdSweep();
        var lines = Lines(table.ToConsoleString());

        Assert.Equal("Threshold sweep (MVMC)", lines[0]);
        var header = lines[1];
        var rule = lines[2];
        var body = lines[3..(3 + table.RowCount)];
        Assert.Equal("Paper reference: 60.82% local exits at T=0.8.", lines[^1]);

        // The rule is dashes per column separated by two spaces: it gives every column's span.
        var spans = new List<(int Start, int Length)>();
        for (var i = 0; i < rule.Length;)
        {
            if (rule[i] != '-') { Assert.Equal(' ', rule[i]); i++; continue; }
            var start = i;
            while (i < rule.Length && rule[i] == '-') i++;
            spans.Add((start, i - start));
        }
        Assert.Equal(table.Columns.Count, spans.Count);
        // Lines carry no trailing spaces, so only a left-aligned last column may end before the rule does.
        foreach (var line in body.Append(header))
        {
            Assert.False(line.EndsWith(' '), $"trailing space in '{line}'");
            Assert.True(line.Length <= rule.Length);
        }
        body = body.Select(l => l.PadRight(rule.Length)).ToArray();
        header = header.PadRight(rule.Length);

        for (var c = 0; c < spans.Count; c++)
        {
            var (start, length) = spans[c];
            var right = table.Columns[c].Alignment == ColumnAlignment.Right;
            foreach (var line in body.Append(header))
            {
                var cell = line.Substring(start, length);
                if (right) Assert.Equal(cell.TrimStart(), cell.Trim());
                else Assert.Equal(cell.TrimEnd(), cell.Trim());
                // Gaps between columns stay blank, so no cell spills into its neighbour.
                if (start > 0) Assert.Equal("  ", line.Substring(start - 2, 2));
            }
        }
    }

    [Fact]
    public void ConsoleShowsFormatsUnitsAndMissingValues()
    {
        var lines = Lines(ThresholdSweep().ToConsoleString());
        Assert.Contains("local exits (%)", lines[1]);
        Assert.Contains("bytes (B/device)", lines[1]);
        Assert.Equal("0.8" + new string(' ', 12) + "60.82" + new string(' ', 9) + "97.0" + new string(' ', 14) + "62.0  paper default", lines[4]);
        Assert.Contains("1234.6", lines[3]);
        Assert.Matches(@"^\s*0\.9\s+-\s+96\.5\s+40\.3\s+x\s*$", lines[6]);
    }

    [Fact]
    public void MultiLineTextStaysOnOneConsoleLine()
    {
        var table = new ResultTable("t", [ResultColumn.Text("a"), ResultColumn.Number("b")]);
        table.AddRow("two\nlines", 1);
        var lines = Lines(table.ToConsoleString());
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("two lines", lines[3]);
    }

    [Fact]
    public void RowsAreCheckedAgainstTheColumns()
    {
        var table = new ResultTable("t", [ResultColumn.Text("name"), ResultColumn.Number("value")]);
        var wrongCount = Assert.Throws<ArgumentException>(() => table.AddRow("a"));
        Assert.Contains("2 columns", wrongCount.Message);
        var wrongType = Assert.Throws<ArgumentException>(() => table.AddRow("a", "1.5"));
        Assert.Contains("'value'", wrongType.Message);
        Assert.Throws<ArgumentException>(() => table.AddRow(3, 1.5));
        table.AddRow("a", 3);
        table.AddRow(null, 2.5f);
        Assert.Equal(2, table.RowCount);
    }

    [Fact]
    public void ColumnsAreValidated()
    {
        Assert.Throws<ArgumentException>(() => new ResultTable("t", []));
        Assert.Throws<ArgumentException>(() => new ResultTable(" ", [ResultColumn.Text("a")]));
        Assert.Throws<ArgumentException>(() => new ResultTable("t", [ResultColumn.Text("a"), ResultColumn.Number("a")]));
        Assert.Throws<ArgumentException>(() => ResultColumn.Number("x", "X4"));
        Assert.Throws<ArgumentException>(() => ResultColumn.Number("x", unit: " "));
    }

    [Fact]
    public void MarkdownTableHasHeaderAlignmentRowsAndEscapedCells()
    {
        var table = new ResultTable("t", [ResultColumn.Text("scheme"), ResultColumn.Number("accuracy", "F1", "%")], "note | with pipe");
        table.AddRow("MP|CC", 97.04);
        table.AddRow("a\nb", null);
        var lines = Lines(table.ToMarkdown());

        Assert.Equal("| scheme | accuracy (%) |", lines[0]);
        Assert.Equal("| :--- | ---: |", lines[1]);
        Assert.Equal("| MP\\|CC | 97.0 |", lines[2]);
        Assert.Equal("| a<br>b | - |", lines[3]);
        Assert.Equal("", lines[4]);
        Assert.Equal("note | with pipe", lines[5]);
    }

    [Fact]
    public void CsvKeepsFullPrecisionAndLeavesMissingEmpty()
    {
        var table = new ResultTable("t", [ResultColumn.Number("x", "F1"), ResultColumn.Number("y", "F0"), ResultColumn.Text("s")]);
        table.AddRow(0.1 + 0.2, long.MaxValue, null);
        table.AddRow(double.NaN, 1e-300, "z");
        var records = CsvFormat.Parse(table.ToCsv());

        Assert.Equal(["x", "y", "s"], records[0]);
        Assert.Equal(0.1 + 0.2, double.Parse(records[1][0], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture), records[1][1]);
        Assert.Equal("", records[1][2]);
        Assert.Equal("NaN", records[2][0]);
        Assert.Equal(1e-300, double.Parse(records[2][1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.EndsWith("\r\n", table.ToCsv());
    }
}

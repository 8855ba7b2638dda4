using Ddnn.Training.Reporting;

namespace Ddnn.Training.Tests.Reporting;

/// <summary>The three renderings of <see cref="ResultTable"/>: exact console layout, escaping in CSV and Markdown, empty tables, wide text.</summary>
public class TableRenderingTests
{
    private static string[] Lines(string text) => text.TrimEnd('\n').Split('\n');

    [Fact]
    public void ConsoleLayoutIsExact()
    {
        var table = new ResultTable("split sizes", [ResultColumn.Text("split"), ResultColumn.Number("samples"), ResultColumn.Number("acc", "F1", "%")]);
        table.AddRow("train", 3000, 91.54);
        table.AddRow("validation", 600, null);
        Assert.Equal(
            "split sizes\n" +
            "split       samples  acc (%)\n" +
            "----------  -------  -------\n" +
            "train          3000     91.5\n" +
            "validation      600        -\n",
            table.ToConsoleString());
    }

    [Fact]
    public void ConsoleAlignsByTerminalWidthWithMicroSignCombiningMarksAndWideCharacters()
    {
        var table = new ResultTable("widths", [ResultColumn.Text("name"), ResultColumn.Number("median", "F0", "µs")]);
        table.AddRow("e\u0301te\u0301", 12.0);   // "été" written with combining acute accents: 3 columns, 5 chars
        table.AddRow("数据", 3456.0);             // two wide CJK characters: 4 columns, 2 chars
        table.AddRow("µ-kernel", 7.0);
        var lines = Lines(table.ToConsoleString());

        Assert.Equal("name      median (µs)", lines[1]);
        Assert.Equal("--------  -----------", lines[2]);
        // name is 8 columns wide, then the 2-space gap, then the 11-column number right-aligned.
        Assert.Equal("e\u0301te\u0301" + new string(' ', 5 + 2 + 9) + "12", lines[3]);
        Assert.Equal("数据" + new string(' ', 4 + 2 + 7) + "3456", lines[4]);
        Assert.Equal("µ-kernel" + new string(' ', 0 + 2 + 10) + "7", lines[5]);
        foreach (var line in lines[1..]) Assert.Equal(TextWidth.Of(lines[2]), TextWidth.Of(line));
    }

    [Fact]
    public void ConsoleKeepsTabsAndLineBreaksOutOfTheLayout()
    {
        var table = new ResultTable("t", [ResultColumn.Text("a"), ResultColumn.Text("b")]);
        table.AddRow("x\ty", "p\r\nq");
        table.AddRow("v\vw", "f\fg");
        var lines = Lines(table.ToConsoleString());
        Assert.Equal(5, lines.Length);
        Assert.Equal("x y  p q", lines[3]);
        Assert.Equal("v w  f g", lines[4]);
    }

    [Fact]
    public void EmptyTableRendersHeadersInEveryForm()
    {
        var table = new ResultTable("nothing yet", [ResultColumn.Text("scheme"), ResultColumn.Number("bytes", "F1", "B")], "no runs");
        Assert.Equal("nothing yet\nscheme  bytes (B)\n------  ---------\n(no rows)\nno runs\n", table.ToConsoleString());
        Assert.Equal("| scheme | bytes (B) |\n| :--- | ---: |\n\nno runs\n", table.ToMarkdown());
        Assert.Equal("scheme,bytes (B)\r\n", table.ToCsv());
    }

    [Fact]
    public void CsvEscapesSeparatorsQuotesAndLineBreaksInHeadersAndCells()
    {
        var table = new ResultTable("t", [ResultColumn.Text("name, full"), ResultColumn.Text("say \"hi\""), ResultColumn.Number("x", unit: "a|b")]);
        table.AddRow("MP,CC", "he said \"no\"", 1.5);
        table.AddRow("two\nlines", " padded ", null);
        table.AddRow("plain|pipe", "", -2);
        var csv = table.ToCsv();

        Assert.Equal(
            "\"name, full\",\"say \"\"hi\"\"\",x (a|b)\r\n" +
            "\"MP,CC\",\"he said \"\"no\"\"\",1.5\r\n" +
            "\"two\nlines\",\" padded \",\r\n" +
            "plain|pipe,,-2\r\n",
            csv);
        var records = CsvFormat.Parse(csv);
        Assert.Equal(["name, full", "say \"hi\"", "x (a|b)"], records[0]);
        Assert.Equal(["MP,CC", "he said \"no\"", "1.5"], records[1]);
        Assert.Equal(["two\nlines", " padded ", ""], records[2]);
        Assert.Equal(["plain|pipe", "", "-2"], records[3]);
    }

    [Fact]
    public void MarkdownEscapesPipesBackslashesAndLineBreaksInHeadersAndCells()
    {
        var table = new ResultTable("t", [ResultColumn.Text("a|b"), ResultColumn.Text("path"), ResultColumn.Number("n", "F0", "x|y")]);
        table.AddRow("MP|CC, \"quoted\"", "C:\\runs\\a", 3.0);
        table.AddRow("two\r\nlines", "", null);
        var lines = Lines(table.ToMarkdown());

        Assert.Equal("| a\\|b | path | n (x\\|y) |", lines[0]);
        Assert.Equal("| :--- | :--- | ---: |", lines[1]);
        Assert.Equal("| MP\\|CC, \"quoted\" | C:\\\\runs\\\\a | 3 |", lines[2]);
        Assert.Equal("| two<br>lines |  | - |", lines[3]);
        // Every row has as many unescaped pipes as the header: no cell broke the table's structure.
        static int Pipes(string line) => System.Text.RegularExpressions.Regex.Matches(line, @"(?<!\\)(?:\\\\)*\|").Count;
        Assert.All(lines, l => Assert.Equal(Pipes(lines[0]), Pipes(l)));
    }

    [Fact]
    public void PaperStudyCsvAndMarkdownKeepTheirFormat()
    {
        // The shape of the paper's studies (text scheme, numbers with units, a footnote); these bytes are what
        // results/paper holds, so a change here breaks comparisons with earlier runs.
        var table = new ResultTable("Aggregation schemes",
            [ResultColumn.Text("scheme"), ResultColumn.Number("local acc", "F1", "%"), ResultColumn.Number("T", "F3")], "T on validation.");
        table.AddRow("MP-CC", 97.04999, 0.8);
        table.AddRow("AP-AP", 1.0 / 3, null);
        Assert.Equal("scheme,local acc (%),T\r\nMP-CC,97.04999,0.8\r\nAP-AP,0.3333333333333333,\r\n", table.ToCsv());
        Assert.Equal(
            "| scheme | local acc (%) | T |\n| :--- | ---: | ---: |\n| MP-CC | 97.0 | 0.800 |\n| AP-AP | 0.3 | - |\n\nT on validation.\n",
            table.ToMarkdown());
    }
}

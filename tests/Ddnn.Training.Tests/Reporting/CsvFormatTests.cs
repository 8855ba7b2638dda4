using Ddnn.TestSupport;
using System.Text;
using Ddnn.Training.Reporting;

namespace Ddnn.Training.Tests.Reporting;

public class CsvFormatTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("", "")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    [InlineData("cr\rlf", "\"cr\rlf\"")]
    [InlineData(" padded ", "\" padded \"")]
    public void EscapeQuotesOnlyWhenNeeded(string field, string expected) => Assert.Equal(expected, CsvFormat.Escape(field));

    // Fields drawn from an alphabet rich in separators, quotes and line breaks, from a fixed seed.
    [Fact]
    public void RandomRecordsRoundTrip()
    {
        const string alphabet = "ab,\"\r\n \t;é€1.5";
        var random = new Random(20170605);
        for (var trial = 0; trial < 300; trial++)
        {
            var records = new List<string[]>();
            var recordCount = random.Next(1, 5);
            var fieldCount = random.Next(1, 5);
            for (var r = 0; r < recordCount; r++)
            {
                var fields = new string[fieldCount];
                for (var f = 0; f < fieldCount; f++)
                {
                    var chars = new char[random.Next(0, 8)];
                    for (var i = 0; i < chars.Length; i++) chars[i] = alphabet[random.Next(alphabet.Length)];
                    fields[f] = new string(chars);
                }
                // A record that is one empty field is an empty line, which RFC 4180 cannot tell from no record.
                if (fieldCount == 1 && fields[0].Length == 0) fields[0] = "x";
                records.Add(fields);
            }

            var text = new StringBuilder();
            foreach (var record in records) CsvFormat.AppendRecord(text, record);
            var parsed = CsvFormat.Parse(text.ToString());

            Assert.Equal(records.Count, parsed.Count);
            for (var r = 0; r < records.Count; r++) Assert.Equal(records[r], parsed[r]);
        }
    }

    [Fact]
    public void ParseAcceptsLfAndAMissingFinalLineEnd()
    {
        var records = CsvFormat.Parse("a,b\n\"x,y\",\nlast,\"q\"\"\"");
        Assert.Equal(3, records.Count);
        Assert.Equal(["a", "b"], records[0]);
        Assert.Equal(["x,y", ""], records[1]);
        Assert.Equal(["last", "q\""], records[2]);
    }

    [Theory]
    [InlineData("a,\"open\nstill open", "never closed")]
    [InlineData("\"closed\"x,b", "after a closing quote")]
    [InlineData("a\"b,c", "quote inside an unquoted field")]
    public void MalformedCsvIsRejectedNamingTheSource(string text, string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() => CsvFormat.Parse(text, "/runs/x/table.csv"));
        Assert.Contains("/runs/x/table.csv", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void CsvFileWritesAtomicallyAndReadsBack()
    {
        using var temp = new TempDirectory();
        var table = new ResultTable("t", [ResultColumn.Text("scheme, name"), ResultColumn.Number("acc")]);
        table.AddRow("MP-CC \"best\"", 0.97);
        table.AddRow("multi\r\nline", 1.0 / 3);
        var path = temp.Combine("sub", "table.csv");

        CsvFile.Write(path, table);

        var records = CsvFile.Read(path);
        Assert.Equal(["scheme, name", "acc"], records[0]);
        Assert.Equal(["MP-CC \"best\"", "0.97"], records[1]);
        Assert.Equal("multi\r\nline", records[2][0]);
        Assert.Equal(1.0 / 3, double.Parse(records[2][1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal([Path.GetFileName(path)], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
        Assert.NotEqual(0xEF, File.ReadAllBytes(path)[0]);
    }
}

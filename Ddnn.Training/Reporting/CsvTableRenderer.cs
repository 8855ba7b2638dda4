using System.Text;

namespace Ddnn.Training.Reporting;

/// <summary>
/// The CSV form of a <see cref="ResultTable"/> (RFC 4180 through <see cref="CsvFormat"/>): a header record of column
/// labels, then one record per row with numbers at full round-trip precision and missing cells empty; CRLF line ends.
/// Title and footnote are not written.
/// </summary>
internal static class CsvTableRenderer
{
    /// <summary>The CSV text of <paramref name="table"/>.</summary>
    public static string Render(ResultTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var text = new StringBuilder();
        CsvFormat.AppendRecord(text, table.Columns.Select(c => c.Label).ToArray());
        var fields = new string[table.Columns.Count];
        for (var r = 0; r < table.RowCount; r++)
        {
            for (var c = 0; c < fields.Length; c++) fields[c] = ResultColumn.Raw(table[r, c]);
            CsvFormat.AppendRecord(text, fields);
        }
        return text.ToString();
    }
}

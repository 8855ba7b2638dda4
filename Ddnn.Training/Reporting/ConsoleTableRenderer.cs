using System.Text;

namespace Ddnn.Training.Reporting;

/// <summary>
/// The console form of a <see cref="ResultTable"/>: title, header line, a dash rule under each header, one line per row
/// (or "(no rows)"), then the footnote. Columns are padded to the same terminal width (<see cref="TextWidth"/>), text
/// left- and numbers right-aligned, two spaces apart; lines carry no trailing spaces. Lines end with '\n'.
/// </summary>
internal static class ConsoleTableRenderer
{
    /// <summary>Shown under the rule of a table without rows.</summary>
    public const string NoRows = "(no rows)";

    private const string ColumnGap = "  ";

    /// <summary>The console text of <paramref name="table"/>.</summary>
    public static string Render(ResultTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var columns = table.Columns;
        var headers = columns.Select(c => OneLine(c.Label)).ToArray();
        var rows = new string[table.RowCount][];
        for (var r = 0; r < rows.Length; r++)
        {
            rows[r] = new string[columns.Count];
            for (var c = 0; c < columns.Count; c++) rows[r][c] = OneLine(columns[c].Display(table[r, c]));
        }

        var widths = new int[columns.Count];
        for (var c = 0; c < columns.Count; c++)
        {
            widths[c] = TextWidth.Of(headers[c]);
            foreach (var row in rows) widths[c] = Math.Max(widths[c], TextWidth.Of(row[c]));
        }

        var text = new StringBuilder();
        text.Append(OneLine(table.Title)).Append('\n');
        AppendLine(text, columns, headers, widths);
        AppendLine(text, columns, widths.Select(w => new string('-', w)).ToArray(), widths);
        foreach (var row in rows) AppendLine(text, columns, row, widths);
        if (rows.Length == 0) text.Append(NoRows).Append('\n');
        if (!string.IsNullOrEmpty(table.Footnote)) text.Append(table.Footnote.ReplaceLineEndings("\n")).Append('\n');
        return text.ToString();
    }

    // A cell must stay on its line and keep its measured width, or the columns after it would shift.
    private static string OneLine(string text) =>
        text.AsSpan().IndexOfAny("\r\n\t\f\v\u0085\u2028\u2029") >= 0 ? text.ReplaceLineEndings(" ").Replace('\t', ' ').Replace('\v', ' ') : text;

    private static void AppendLine(StringBuilder text, IReadOnlyList<ResultColumn> columns, string[] cells, int[] widths)
    {
        var start = text.Length;
        for (var c = 0; c < cells.Length; c++)
        {
            if (c > 0) text.Append(ColumnGap);
            var pad = widths[c] - TextWidth.Of(cells[c]);
            if (columns[c].Alignment == ColumnAlignment.Right) text.Append(' ', pad).Append(cells[c]);
            else text.Append(cells[c]).Append(' ', pad);
        }
        var end = text.Length;
        while (end > start && text[end - 1] == ' ') end--;
        text.Length = end;
        text.Append('\n');
    }
}

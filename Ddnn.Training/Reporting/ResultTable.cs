using System.Text;

namespace Ddnn.Training.Reporting;

/// <summary>
/// A titled table of typed results that renders to an aligned console block, RFC 4180 CSV and a Markdown table.
/// All output uses the invariant culture, whatever the current culture is.
/// </summary>
public sealed class ResultTable
{
    /// <summary>How a missing (null) cell is shown in console and Markdown output; CSV leaves the field empty.</summary>
    public const string MissingDisplay = "-";

    private const string ColumnGap = "  ";
    private readonly List<object?[]> _rows = [];

    public ResultTable(string title, IReadOnlyList<ResultColumn> columns, string? footnote = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Count == 0) throw new ArgumentException("a result table needs at least one column", nameof(columns));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i] is null) throw new ArgumentException($"column {i} is null", nameof(columns));
            if (!seen.Add(columns[i].Label))
                throw new ArgumentException($"two columns share the header '{columns[i].Label}'", nameof(columns));
        }
        Title = title;
        Columns = columns.ToArray();
        Footnote = footnote;
    }

    public string Title { get; }
    public IReadOnlyList<ResultColumn> Columns { get; }

    /// <summary>Free text printed under the console table and the Markdown table (not written to CSV).</summary>
    public string? Footnote { get; set; }

    public int RowCount => _rows.Count;

    /// <summary>The cell at (<paramref name="row"/>, <paramref name="column"/>): a string, a number or null (missing).</summary>
    public object? this[int row, int column] => _rows[row][column];

    /// <summary>Appends a row; there must be one cell per column, strings in text columns and numbers in numeric ones (null = missing).</summary>
    public ResultTable AddRow(params object?[] cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Length != Columns.Count)
            throw new ArgumentException(
                $"table '{Title}' has {Columns.Count} columns but the row has {cells.Length} cells", nameof(cells));
        for (var i = 0; i < cells.Length; i++)
        {
            if (!Columns[i].Accepts(cells[i]))
                throw new ArgumentException(
                    $"table '{Title}', column '{Columns[i].Label}' is {Columns[i].Kind} but got {cells[i]!.GetType().Name} '{cells[i]}'",
                    nameof(cells));
        }
        _rows.Add((object?[])cells.Clone());
        return this;
    }

    /// <summary>Index of the column whose <see cref="ResultColumn.Header"/> is <paramref name="header"/>.</summary>
    public int ColumnIndex(string header)
    {
        for (var i = 0; i < Columns.Count; i++)
            if (Columns[i].Header == header) return i;
        throw new ArgumentException($"table '{Title}' has no column '{header}'", nameof(header));
    }

    /// <summary>
    /// The console form: title, header line, a dash rule under each header, one line per row, then the footnote.
    /// Every line pads every column to the same width, numbers right-aligned; columns are two spaces apart.
    /// </summary>
    public string ToConsoleString()
    {
        var cells = DisplayCells(singleLine: true);
        var widths = new int[Columns.Count];
        for (var c = 0; c < Columns.Count; c++)
        {
            widths[c] = Columns[c].Label.Length;
            foreach (var row in cells) widths[c] = Math.Max(widths[c], row[c].Length);
        }

        var text = new StringBuilder();
        text.Append(Title).Append('\n');
        AppendLine(text, Columns.Select(c => c.Label).ToArray(), widths);
        AppendLine(text, widths.Select(w => new string('-', w)).ToArray(), widths);
        foreach (var row in cells) AppendLine(text, row, widths);
        if (!string.IsNullOrEmpty(Footnote)) text.Append(Footnote.ReplaceLineEndings("\n")).Append('\n');
        return text.ToString();
    }

    public override string ToString() => ToConsoleString();

    /// <summary>RFC 4180 CSV: a header record of column labels, then one record per row, CRLF line ends, full-precision numbers.</summary>
    public string ToCsv()
    {
        var text = new StringBuilder();
        CsvFormat.AppendRecord(text, Columns.Select(c => c.Label).ToArray());
        foreach (var row in _rows) CsvFormat.AppendRecord(text, row.Select(ResultColumn.Raw).ToArray());
        return text.ToString();
    }

    /// <summary>A GitHub-flavoured Markdown table (no title), followed by the footnote as a paragraph when there is one.</summary>
    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.Append("| ").AppendJoin(" | ", Columns.Select(c => MarkdownText.Cell(c.Label))).Append(" |\n");
        text.Append('|').AppendJoin('|', Columns.Select(c => c.Alignment == ColumnAlignment.Right ? " ---: " : " :--- "))
            .Append("|\n");
        foreach (var row in DisplayCells(singleLine: false))
            text.Append("| ").AppendJoin(" | ", row.Select(MarkdownText.Cell)).Append(" |\n");
        if (!string.IsNullOrEmpty(Footnote)) text.Append('\n').Append(MarkdownText.Paragraph(Footnote)).Append('\n');
        return text.ToString();
    }

    private List<string[]> DisplayCells(bool singleLine)
    {
        var cells = new List<string[]>(_rows.Count);
        foreach (var row in _rows)
        {
            var shown = new string[row.Length];
            for (var c = 0; c < row.Length; c++) shown[c] = singleLine ? OneLine(Columns[c].Display(row[c])) : Columns[c].Display(row[c]);
            cells.Add(shown);
        }
        return cells;
    }

    // A console cell must stay on its line, or the columns below it would shift.
    private static string OneLine(string text) =>
        text.Contains('\n') || text.Contains('\r') ? text.ReplaceLineEndings(" ") : text;

    private void AppendLine(StringBuilder text, string[] cells, int[] widths)
    {
        for (var c = 0; c < cells.Length; c++)
        {
            if (c > 0) text.Append(ColumnGap);
            var pad = widths[c] - cells[c].Length;
            if (Columns[c].Alignment == ColumnAlignment.Right) text.Append(' ', pad).Append(cells[c]);
            else text.Append(cells[c]).Append(' ', pad);
        }
        text.Append('\n');
    }
}

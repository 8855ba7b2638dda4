namespace Ddnn.Training.Reporting;

/// <summary>
/// A titled table of typed cells, the one table model of Ddnn: every verb's console tables and the paper studies'
/// tables. It renders to an aligned console block, RFC 4180 CSV and a Markdown table, always in the invariant culture.
/// </summary>
public sealed class ResultTable
{
    /// <summary>How a missing (null) cell is shown in console and Markdown output; CSV leaves the field empty.</summary>
    public const string MissingDisplay = "-";

    private readonly List<object?[]> _rows = [];

    /// <summary>An empty table headed <paramref name="title"/> with at least one column; no two columns may share a label.</summary>
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

    /// <summary>Heading printed above the console table and above the table in report.md; not written to CSV.</summary>
    public string Title { get; }
    /// <summary>The columns, left to right.</summary>
    public IReadOnlyList<ResultColumn> Columns { get; }

    /// <summary>Free text printed under the console table and the Markdown table (not written to CSV).</summary>
    public string? Footnote { get; set; }

    /// <summary>Rows added so far.</summary>
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

    /// <summary>The aligned console form; see <see cref="ConsoleTableRenderer"/>.</summary>
    public string ToConsoleString() => ConsoleTableRenderer.Render(this);

    /// <summary>The console form (<see cref="ToConsoleString"/>).</summary>
    public override string ToString() => ToConsoleString();

    /// <summary>RFC 4180 CSV; see <see cref="CsvTableRenderer"/>.</summary>
    public string ToCsv() => CsvTableRenderer.Render(this);

    /// <summary>A GitHub-flavoured Markdown table; see <see cref="MarkdownTableRenderer"/>.</summary>
    public string ToMarkdown() => MarkdownTableRenderer.Render(this);
}

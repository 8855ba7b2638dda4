using System.Globalization;

namespace Ddnn.Training.Reporting;

/// <summary>A plain-text table with aligned columns: text left-aligned, numbers right-aligned.</summary>
public sealed class TextTable
{
    private readonly string[] _headers;
    private readonly List<string[]> _rows = [];

    public TextTable(params string[] headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (headers.Length == 0)
            throw new ArgumentException("a table needs at least one column", nameof(headers));
        _headers = headers;
    }

    public int RowCount => _rows.Count;

    public TextTable AddRow(params string[] cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Length != _headers.Length)
            throw new ArgumentException($"row has {cells.Length} cells, the table has {_headers.Length} columns", nameof(cells));
        _rows.Add(cells);
        return this;
    }

    public void Write(TextWriter output, string indent = "")
    {
        ArgumentNullException.ThrowIfNull(output);
        var widths = new int[_headers.Length];
        var numeric = new bool[_headers.Length];
        for (int c = 0; c < _headers.Length; c++)
        {
            widths[c] = _headers[c].Length;
            numeric[c] = _rows.Count > 0;
            foreach (var row in _rows)
            {
                widths[c] = Math.Max(widths[c], row[c].Length);
                numeric[c] &= IsNumeric(row[c]);
            }
        }
        WriteRow(output, indent, _headers, widths, numeric);
        foreach (var row in _rows)
            WriteRow(output, indent, row, widths, numeric);
    }

    public override string ToString()
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        Write(writer);
        return writer.ToString();
    }

    private static void WriteRow(TextWriter output, string indent, string[] cells, int[] widths, bool[] numeric)
    {
        output.Write(indent);
        for (int c = 0; c < cells.Length; c++)
        {
            if (c > 0)
                output.Write("  ");
            bool last = c == cells.Length - 1;
            string cell = numeric[c] ? cells[c].PadLeft(widths[c]) : last ? cells[c] : cells[c].PadRight(widths[c]);
            output.Write(cell);
        }
        output.WriteLine();
    }

    // Numbers, percentages and "-" placeholders align right.
    private static bool IsNumeric(string cell) =>
        cell == "-" || double.TryParse(cell.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}

using System.Text;

namespace Ddnn.Training.Reporting;

/// <summary>
/// The Markdown form of a <see cref="ResultTable"/>: a GitHub-flavoured table (no title; pipes and line breaks in cells
/// escaped by <see cref="MarkdownText.Cell"/>), followed by the footnote as a paragraph when there is one. Lines end with '\n'.
/// </summary>
internal static class MarkdownTableRenderer
{
    /// <summary>The Markdown text of <paramref name="table"/>.</summary>
    public static string Render(ResultTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var columns = table.Columns;
        var text = new StringBuilder();
        text.Append("| ").AppendJoin(" | ", columns.Select(c => MarkdownText.Cell(c.Label))).Append(" |\n");
        text.Append('|').AppendJoin('|', columns.Select(c => c.Alignment == ColumnAlignment.Right ? " ---: " : " :--- ")).Append("|\n");
        var cells = new string[columns.Count];
        for (var r = 0; r < table.RowCount; r++)
        {
            for (var c = 0; c < cells.Length; c++) cells[c] = MarkdownText.Cell(columns[c].Display(table[r, c]));
            text.Append("| ").AppendJoin(" | ", cells).Append(" |\n");
        }
        if (!string.IsNullOrEmpty(table.Footnote)) text.Append('\n').Append(MarkdownText.Paragraph(table.Footnote)).Append('\n');
        return text.ToString();
    }
}

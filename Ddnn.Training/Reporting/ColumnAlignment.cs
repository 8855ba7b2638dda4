namespace Ddnn.Training.Reporting;

/// <summary>Horizontal placement of a column's cells in console and Markdown output.</summary>
public enum ColumnAlignment
{
    Left,
    Right,
}

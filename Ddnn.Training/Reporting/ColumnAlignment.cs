namespace Ddnn.Training.Reporting;

/// <summary>Horizontal placement of a column's cells in console and Markdown output.</summary>
public enum ColumnAlignment
{
    /// <summary>Cells start at the column's left edge (the default for text).</summary>
    Left,
    /// <summary>Cells end at the column's right edge, so digits line up (the default for numbers).</summary>
    Right,
}

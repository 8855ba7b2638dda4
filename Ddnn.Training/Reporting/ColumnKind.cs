namespace Ddnn.Training.Reporting;

/// <summary>What a result column holds: free text or numbers.</summary>
public enum ColumnKind
{
    /// <summary>Cells are strings, shown as given.</summary>
    Text,
    /// <summary>Cells are numbers, shown with the column's format and written to CSV at full precision.</summary>
    Number,
}

namespace Ddnn.Training.Reporting;

/// <summary>What a result column holds: free text or numbers.</summary>
public enum ColumnKind
{
    Text,
    Number,
}

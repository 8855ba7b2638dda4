namespace Ddnn.Training.Reporting.Plots;

/// <summary>Which y axis (or, in a stacked layout, which panel) a series belongs to.</summary>
public enum YAxisSide
{
    Primary,
    Secondary,
}

namespace Ddnn.Training.Reporting.Plots;

/// <summary>How a line plot shows secondary-axis series: on a right-hand y axis, or in a second panel below sharing x.</summary>
public enum LinePlotLayout
{
    SecondaryAxis,
    StackedPanels,
}

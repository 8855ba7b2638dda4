namespace Ddnn.Training.Reporting.Plots;

/// <summary>Which vertical axis a series is drawn against.</summary>
public enum PlotAxis
{
    /// <summary>The primary axis, labelled by the plot's <see cref="PlotDescription.YLabel"/>.</summary>
    Left,

    /// <summary>The secondary axis, labelled by <see cref="LinePlot.RightYLabel"/>, for a second quantity on the same x.</summary>
    Right,
}

/// <summary>One named line or point set: x and y values of equal length, drawn against <see cref="Axis"/>.</summary>
public sealed record PlotSeries
{
    /// <summary>A series named <paramref name="name"/> in the legend; <paramref name="x"/> and <paramref name="y"/> are copied and must have equal length.</summary>
    public PlotSeries(string name, IReadOnlyList<double> x, IReadOnlyList<double> y, PlotAxis axis = PlotAxis.Left)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count) throw new ArgumentException($"series '{name}': {x.Count} x values but {y.Count} y values", nameof(y));
        Name = name;
        X = x.ToArray();
        Y = y.ToArray();
        Axis = axis;
    }

    /// <summary>Legend entry of the series.</summary>
    public string Name { get; }

    /// <summary>Horizontal coordinates, one per point.</summary>
    public IReadOnlyList<double> X { get; }

    /// <summary>Vertical coordinates, one per point, same length as <see cref="X"/>.</summary>
    public IReadOnlyList<double> Y { get; }

    /// <summary>The y axis the series is measured against.</summary>
    public PlotAxis Axis { get; }
}

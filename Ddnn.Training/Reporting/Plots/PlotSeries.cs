namespace Ddnn.Training.Reporting.Plots;

/// <summary>Which vertical axis a series is drawn against.</summary>
public enum PlotAxis
{
    Left,
    Right,
}

/// <summary>One named line or point set: x and y values of equal length, drawn against <paramref name="Axis"/>.</summary>
public sealed record PlotSeries
{
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

    public string Name { get; }
    public IReadOnlyList<double> X { get; }
    public IReadOnlyList<double> Y { get; }
    public PlotAxis Axis { get; }
}

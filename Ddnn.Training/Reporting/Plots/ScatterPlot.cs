namespace Ddnn.Training.Reporting.Plots;

/// <summary>
/// Points per series, optionally joined in the order given and labelled (e.g. bytes per device vs accuracy, one point per
/// configuration), with an optional log-scaled x axis for quantities spanning decades such as bytes.
/// </summary>
public sealed class ScatterPlot
{
    public ScatterPlot(string title, string xLabel, string yLabel, IReadOnlyList<PlotSeries> series,
        bool connectPoints = false, bool logX = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        ArgumentException.ThrowIfNullOrWhiteSpace(xLabel);
        ArgumentException.ThrowIfNullOrWhiteSpace(yLabel);
        PlotValidation.RequireDistinctNames(series, title);
        if (series.Any(s => s.Axis != YAxisSide.Primary))
            throw new ArgumentException($"scatter plot '{title}' has one y axis; every series must be on the primary side", nameof(series));
        if (logX && series.Any(s => s.X.Any(x => x <= 0)))
            throw new ArgumentException($"scatter plot '{title}' has a log x axis but a point with x <= 0", nameof(series));
        Title = title;
        XLabel = xLabel;
        YLabel = yLabel;
        Series = series.ToArray();
        ConnectPoints = connectPoints;
        LogX = logX;
    }

    public string Title { get; }
    public string XLabel { get; }
    public string YLabel { get; }
    public IReadOnlyList<PlotSeries> Series { get; }
    public bool ConnectPoints { get; }
    public bool LogX { get; }

    /// <summary>Where a point's x is drawn: log10(x) on a log axis, x otherwise.</summary>
    public double PlotX(double x) => LogX ? Math.Log10(x) : x;

    public AxisRange XRange() => AxisRange.Fit(Series.SelectMany(s => s.X.Select(PlotX)), padFraction: 0.08);

    public AxisRange YRange() => AxisRange.Fit(Series.SelectMany(s => s.Y), padFraction: 0.08);
}

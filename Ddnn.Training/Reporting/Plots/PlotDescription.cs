namespace Ddnn.Training.Reporting.Plots;

/// <summary>What a plot shows, independent of the library that draws it: title and axis labels.</summary>
public abstract record PlotDescription
{
    protected PlotDescription(string title, string xLabel, string yLabel)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        ArgumentNullException.ThrowIfNull(xLabel);
        ArgumentNullException.ThrowIfNull(yLabel);
        Title = title;
        XLabel = xLabel;
        YLabel = yLabel;
    }

    public string Title { get; }
    public string XLabel { get; }
    public string YLabel { get; }
}

/// <summary>Lines with markers; series on <see cref="PlotAxis.Right"/> use a second y axis labelled <see cref="RightYLabel"/>.</summary>
public sealed record LinePlot : PlotDescription
{
    public LinePlot(string title, string xLabel, string yLabel, IReadOnlyList<PlotSeries> series, string? rightYLabel = null)
        : base(title, xLabel, yLabel)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0) throw new ArgumentException($"line plot '{title}' needs at least one series", nameof(series));
        Series = series.ToArray();
        RightYLabel = rightYLabel;
    }

    public IReadOnlyList<PlotSeries> Series { get; }
    public string? RightYLabel { get; }
}

/// <summary>Points without lines, each series in its own colour; <see cref="PointLabels"/> (optional) annotate the points of the first series.</summary>
public sealed record ScatterPlot : PlotDescription
{
    public ScatterPlot(string title, string xLabel, string yLabel, IReadOnlyList<PlotSeries> series, IReadOnlyList<string>? pointLabels = null)
        : base(title, xLabel, yLabel)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0) throw new ArgumentException($"scatter plot '{title}' needs at least one series", nameof(series));
        if (pointLabels is not null && pointLabels.Count != series[0].X.Count)
            throw new ArgumentException($"scatter plot '{title}': {pointLabels.Count} labels for {series[0].X.Count} points", nameof(pointLabels));
        Series = series.ToArray();
        PointLabels = pointLabels?.ToArray();
    }

    public IReadOnlyList<PlotSeries> Series { get; }
    public IReadOnlyList<string>? PointLabels { get; }
}

/// <summary>One named group of bar heights, one per category of a <see cref="BarChart"/>.</summary>
public sealed record BarSeries(string Name, IReadOnlyList<double> Values);

/// <summary>Grouped bars: for each category, one bar per series.</summary>
public sealed record BarChart : PlotDescription
{
    public BarChart(string title, string xLabel, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<BarSeries> series)
        : base(title, xLabel, yLabel)
    {
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(series);
        if (categories.Count == 0 || series.Count == 0)
            throw new ArgumentException($"bar chart '{title}' needs at least one category and one series", nameof(series));
        foreach (var s in series)
            if (s.Values.Count != categories.Count)
                throw new ArgumentException($"bar chart '{title}': series '{s.Name}' has {s.Values.Count} values for {categories.Count} categories", nameof(series));
        Categories = categories.ToArray();
        Series = series.ToArray();
    }

    public IReadOnlyList<string> Categories { get; }
    public IReadOnlyList<BarSeries> Series { get; }
}

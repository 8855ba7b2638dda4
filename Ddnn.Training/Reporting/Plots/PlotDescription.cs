namespace Ddnn.Training.Reporting.Plots;

/// <summary>What a plot shows, independent of the library that draws it: title and axis labels.</summary>
public abstract record PlotDescription
{
    /// <summary>Checks and stores the labels every plot has; <paramref name="title"/> must not be blank, the axis labels may be empty.</summary>
    protected PlotDescription(string title, string xLabel, string yLabel)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        ArgumentNullException.ThrowIfNull(xLabel);
        ArgumentNullException.ThrowIfNull(yLabel);
        Title = title;
        XLabel = xLabel;
        YLabel = yLabel;
    }

    /// <summary>Heading drawn above the plot.</summary>
    public string Title { get; }
    /// <summary>Label of the horizontal axis, with its unit.</summary>
    public string XLabel { get; }
    /// <summary>Label of the (left) vertical axis, with its unit.</summary>
    public string YLabel { get; }
}

/// <summary>Lines with markers; series on <see cref="PlotAxis.Right"/> use a second y axis labelled <see cref="RightYLabel"/>.</summary>
public sealed record LinePlot : PlotDescription
{
    /// <summary>
    /// A line plot of at least one series; <paramref name="rightYLabel"/> labels the second y axis when a series uses it.
    /// <paramref name="logX"/> and <paramref name="logY"/> draw the x axis and the left y axis on a logarithmic scale,
    /// for values that span decades; every value drawn on such an axis must then be positive.
    /// </summary>
    public LinePlot(string title, string xLabel, string yLabel, IReadOnlyList<PlotSeries> series, string? rightYLabel = null, bool logX = false, bool logY = false)
        : base(title, xLabel, yLabel)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0) throw new ArgumentException($"line plot '{title}' needs at least one series", nameof(series));
        foreach (var s in series)
        {
            if (logX) RequirePositive(title, s, s.X, "x");
            if (logY && s.Axis == PlotAxis.Left) RequirePositive(title, s, s.Y, "y");
        }
        Series = series.ToArray();
        RightYLabel = rightYLabel;
        LogX = logX;
        LogY = logY;
    }

    /// <summary>The lines, in legend order; each uses the left or right y axis as its <see cref="PlotSeries.Axis"/> says.</summary>
    public IReadOnlyList<PlotSeries> Series { get; }

    /// <summary>Label of the second y axis; null when no series is drawn against it.</summary>
    public string? RightYLabel { get; }

    /// <summary>The x axis is logarithmic.</summary>
    public bool LogX { get; }

    /// <summary>The left y axis is logarithmic (a right axis stays linear).</summary>
    public bool LogY { get; }

    private static void RequirePositive(string title, PlotSeries series, IReadOnlyList<double> values, string axis)
    {
        foreach (var v in values)
            if (!(v > 0))
                throw new ArgumentException($"line plot '{title}': series '{series.Name}' has {axis} = {v}, which a logarithmic {axis} axis cannot show (it needs values above 0)", nameof(series));
    }
}

/// <summary>Points without lines, each series in its own colour; <see cref="PointLabels"/> (optional) annotate the points of the first series.</summary>
public sealed record ScatterPlot : PlotDescription
{
    /// <summary>A scatter plot of at least one series; <paramref name="pointLabels"/>, when given, has one label per point of the first series.</summary>
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

    /// <summary>The point sets, in legend order.</summary>
    public IReadOnlyList<PlotSeries> Series { get; }

    /// <summary>Text placed beside each point of the first series (e.g. the model that produced it); null for none.</summary>
    public IReadOnlyList<string>? PointLabels { get; }
}

/// <summary>One named group of bar heights, one per category of a <see cref="BarChart"/>.</summary>
public sealed record BarSeries(string Name, IReadOnlyList<double> Values);

/// <summary>Grouped bars: for each category, one bar per series.</summary>
public sealed record BarChart : PlotDescription
{
    /// <summary>A grouped bar chart; every series has one value per category.</summary>
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

    /// <summary>The groups along the x axis, in drawing order.</summary>
    public IReadOnlyList<string> Categories { get; }
    /// <summary>The bars within each group, one per series, each with its own colour and legend entry.</summary>
    public IReadOnlyList<BarSeries> Series { get; }
}

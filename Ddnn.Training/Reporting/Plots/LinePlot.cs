namespace Ddnn.Training.Reporting.Plots;

/// <summary>
/// Lines over a shared x axis (e.g. local-exit % and accuracy vs threshold T). Series on the secondary side go on a
/// right-hand axis or into a lower panel, per <see cref="Layout"/>.
/// </summary>
public sealed class LinePlot
{
    public LinePlot(string title, string xLabel, string yLabel, IReadOnlyList<PlotSeries> series,
        string? secondaryYLabel = null, LinePlotLayout layout = LinePlotLayout.SecondaryAxis)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        ArgumentException.ThrowIfNullOrWhiteSpace(xLabel);
        ArgumentException.ThrowIfNullOrWhiteSpace(yLabel);
        PlotValidation.RequireDistinctNames(series, title);
        var hasSecondary = series.Any(s => s.Axis == YAxisSide.Secondary);
        if (!series.Any(s => s.Axis == YAxisSide.Primary))
            throw new ArgumentException($"plot '{title}' has no series on the primary axis", nameof(series));
        if (hasSecondary && string.IsNullOrWhiteSpace(secondaryYLabel))
            throw new ArgumentException($"plot '{title}' has secondary-axis series but no secondary y label", nameof(secondaryYLabel));
        if (!hasSecondary && secondaryYLabel is not null)
            throw new ArgumentException($"plot '{title}' has a secondary y label but no series on that axis", nameof(secondaryYLabel));
        Title = title;
        XLabel = xLabel;
        YLabel = yLabel;
        Series = series.ToArray();
        SecondaryYLabel = secondaryYLabel;
        Layout = layout;
    }

    public string Title { get; }
    public string XLabel { get; }
    public string YLabel { get; }
    public IReadOnlyList<PlotSeries> Series { get; }
    public string? SecondaryYLabel { get; }
    public LinePlotLayout Layout { get; }

    public bool HasSecondary => SecondaryYLabel is not null;

    /// <summary>Series drawn against <paramref name="side"/>.</summary>
    public IEnumerable<PlotSeries> On(YAxisSide side) => Series.Where(s => s.Axis == side);

    /// <summary>The x range shared by all series (and both panels).</summary>
    public AxisRange XRange() => AxisRange.Fit(Series.SelectMany(s => s.X));

    /// <summary>The y range of the series on <paramref name="side"/>.</summary>
    public AxisRange YRange(YAxisSide side) => AxisRange.Fit(On(side).SelectMany(s => s.Y));
}

namespace Ddnn.Training.Reporting.Plots;

/// <summary>A named sequence of finite (x, y) points, optionally with a text label per point.</summary>
public sealed class PlotSeries
{
    public PlotSeries(string name, IReadOnlyList<double> x, IReadOnlyList<double> y, YAxisSide axis = YAxisSide.Primary,
        IReadOnlyList<string>? pointLabels = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count == 0) throw new ArgumentException($"series '{name}' has no points", nameof(x));
        if (x.Count != y.Count)
            throw new ArgumentException($"series '{name}' has {x.Count} x values but {y.Count} y values", nameof(y));
        if (pointLabels is not null && pointLabels.Count != x.Count)
            throw new ArgumentException($"series '{name}' has {x.Count} points but {pointLabels.Count} point labels", nameof(pointLabels));
        for (var i = 0; i < x.Count; i++)
        {
            if (!double.IsFinite(x[i]) || !double.IsFinite(y[i]))
                throw new ArgumentException($"series '{name}', point {i}: ({x[i]}, {y[i]}) is not finite", nameof(x));
        }
        Name = name;
        X = x.ToArray();
        Y = y.ToArray();
        Axis = axis;
        PointLabels = pointLabels?.ToArray();
    }

    public string Name { get; }
    public IReadOnlyList<double> X { get; }
    public IReadOnlyList<double> Y { get; }
    public YAxisSide Axis { get; }
    public IReadOnlyList<string>? PointLabels { get; }

    /// <summary>
    /// Builds a series from two numeric columns of <paramref name="table"/> (rows missing either value are skipped),
    /// with y multiplied by <paramref name="yScale"/> (e.g. 100 for fractions shown as percent) and optional point
    /// labels from a text column.
    /// </summary>
    public static PlotSeries FromTable(ResultTable table, string xHeader, string yHeader, string? name = null,
        YAxisSide axis = YAxisSide.Primary, double yScale = 1, string? labelHeader = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        var xColumn = NumericColumn(table, xHeader);
        var yColumn = NumericColumn(table, yHeader);
        var labelColumn = labelHeader is null ? -1 : table.ColumnIndex(labelHeader);
        var xs = new List<double>();
        var ys = new List<double>();
        var labels = new List<string>();
        for (var r = 0; r < table.RowCount; r++)
        {
            if (table[r, xColumn] is not { } x || table[r, yColumn] is not { } y) continue;
            xs.Add(Convert.ToDouble(x, System.Globalization.CultureInfo.InvariantCulture));
            ys.Add(Convert.ToDouble(y, System.Globalization.CultureInfo.InvariantCulture) * yScale);
            if (labelColumn >= 0) labels.Add(table[r, labelColumn]?.ToString() ?? "");
        }
        if (xs.Count == 0)
            throw new ArgumentException($"table '{table.Title}' has no row with both '{xHeader}' and '{yHeader}'", nameof(table));
        return new PlotSeries(name ?? table.Columns[yColumn].Header, xs, ys, axis, labelColumn >= 0 ? labels : null);
    }

    private static int NumericColumn(ResultTable table, string header)
    {
        var index = table.ColumnIndex(header);
        if (table.Columns[index].Kind != ColumnKind.Number)
            throw new ArgumentException($"table '{table.Title}', column '{header}' is not numeric", nameof(header));
        return index;
    }
}

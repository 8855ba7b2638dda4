using Ddnn.Core;
using Ddnn.Training.Reporting.Plots;
using ScottPlot;

namespace Ddnn.Bench.Plots;

/// <summary>Draws engine <see cref="PlotDescription"/>s with ScottPlot 5 and writes them as PNG files atomically.</summary>
public sealed class PlotWriter : IPlotRenderer
{
    public PlotWriter(int width = 900, int height = 560)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 100);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 100);
        Width = width;
        Height = height;
    }

    public int Width { get; }
    public int Height { get; }

    public void Write(PlotDescription plot, string path)
    {
        ArgumentNullException.ThrowIfNull(plot);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        AtomicFile.WriteAllBytes(path, Render(plot));
    }

    /// <summary>The PNG bytes of <paramref name="description"/>.</summary>
    public byte[] Render(PlotDescription description)
    {
        ArgumentNullException.ThrowIfNull(description);
        var plot = new Plot();
        plot.Title(description.Title);
        plot.XLabel(description.XLabel);
        plot.YLabel(description.YLabel);
        switch (description)
        {
            case LinePlot line: DrawLines(plot, line); break;
            case ScatterPlot scatter: DrawScatter(plot, scatter); break;
            case BarChart bars: DrawBars(plot, bars); break;
            default: throw new ArgumentException($"plot kind {description.GetType().Name} is not supported", nameof(description));
        }
        plot.ShowLegend(Edge.Bottom);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    private static void DrawLines(Plot plot, LinePlot line)
    {
        foreach (var s in line.Series)
        {
            var logY = line.LogY && s.Axis == PlotAxis.Left;
            var scatter = plot.Add.Scatter(Scaled(s.X, line.LogX), Scaled(s.Y, logY));
            scatter.LegendText = s.Name;
            scatter.LineWidth = 2;
            scatter.MarkerSize = 6;
            if (s.Axis == PlotAxis.Right) scatter.Axes.YAxis = plot.Axes.Right;
        }
        if (line.RightYLabel is { } right) plot.Axes.Right.Label.Text = right;
        if (line.LogX) plot.Axes.Bottom.TickGenerator = LogTicks();
        if (line.LogY) plot.Axes.Left.TickGenerator = LogTicks();
    }

    /// <summary>The values as drawn: their base-10 logarithms on a logarithmic axis (ScottPlot draws linear axes only).</summary>
    private static double[] Scaled(IReadOnlyList<double> values, bool log) => log ? [.. values.Select(Math.Log10)] : [.. values];

    /// <summary>Ticks for an axis drawn in log10 units: a labelled tick at each power of ten, minor ticks at 2–9 times it.</summary>
    private static ScottPlot.TickGenerators.NumericAutomatic LogTicks() => new()
    {
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = exponent => Math.Pow(10, exponent).ToString("G4", System.Globalization.CultureInfo.InvariantCulture),
    };

    private static void DrawScatter(Plot plot, ScatterPlot description)
    {
        foreach (var s in description.Series)
        {
            var points = plot.Add.ScatterPoints(s.X.ToArray(), s.Y.ToArray());
            points.LegendText = s.Name;
            points.MarkerSize = 10;
        }
        if (description.PointLabels is { } labels)
        {
            var first = description.Series[0];
            for (var i = 0; i < labels.Count; i++)
            {
                var text = plot.Add.Text(labels[i], first.X[i], first.Y[i]);
                text.LabelOffsetX = 8;
                text.LabelOffsetY = -8;
                text.LabelFontSize = 12;
            }
        }
        plot.Axes.Margins(0.3, 0.15); // room for the point labels
    }

    private static void DrawBars(Plot plot, BarChart chart)
    {
        var groups = chart.Series.Count;
        var width = 0.8 / groups;
        var palette = new ScottPlot.Palettes.Category10();
        for (var s = 0; s < groups; s++)
        {
            var bars = new List<Bar>();
            for (var c = 0; c < chart.Categories.Count; c++)
            {
                bars.Add(new Bar
                {
                    Position = c + (s - (groups - 1) / 2.0) * width,
                    Value = chart.Series[s].Values[c],
                    Size = width * 0.95,
                    FillColor = palette.GetColor(s),
                });
            }
            var plottable = plot.Add.Bars(bars);
            plottable.LegendText = chart.Series[s].Name;
        }
        var ticks = chart.Categories.Select((name, i) => new Tick(i, name)).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Margins(bottom: 0);
    }
}

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
            var scatter = plot.Add.Scatter(s.X.ToArray(), s.Y.ToArray());
            scatter.LegendText = s.Name;
            scatter.LineWidth = 2;
            scatter.MarkerSize = 6;
            if (s.Axis == PlotAxis.Right) scatter.Axes.YAxis = plot.Axes.Right;
        }
        if (line.RightYLabel is { } right) plot.Axes.Right.Label.Text = right;
    }

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

using System.Globalization;
using Ddnn.Core;
using Ddnn.Training.Reporting.Plots;
using ScottPlot;
using SkiaSharp;

namespace Ddnn.Bench.Plots;

/// <summary>
/// Renders the plot descriptions of Ddnn.Training.Reporting.Plots to PNG images of a fixed size with ScottPlot and
/// writes them atomically. Axis ranges, bar positions and series come from the descriptions; this class only draws.
/// </summary>
public static class PlotWriter
{
    public const int Width = 960;
    public const int Height = 600;

    /// <summary>Height of a two-panel (stacked) line plot; each panel gets half.</summary>
    public const int StackedHeight = 900;

    private const float TitleSize = 20;
    private const float LabelSize = 16;
    private const float TickSize = 13;
    private const float ValueLabelSize = 11;

    // Share of a bar's slot that is filled, leaving a thin gap between neighbouring bars.
    private const double BarFill = 0.92;

    // Same padding on every panel so the data areas of stacked panels line up on the shared x axis.
    private static readonly PixelPadding PanelPadding = new(left: 90, right: 90, bottom: 110, top: 50);

    public static void Write(string path, LinePlot plot) => WritePng(path, Render(plot));

    public static void Write(string path, BarChart chart) => WritePng(path, Render(chart));

    public static void Write(string path, ScatterPlot plot) => WritePng(path, Render(plot));

    /// <summary>PNG bytes of <paramref name="plot"/>: <see cref="Width"/> x <see cref="Height"/>, or <see cref="StackedHeight"/> for stacked panels.</summary>
    public static byte[] Render(LinePlot plot)
    {
        ArgumentNullException.ThrowIfNull(plot);
        var xRange = plot.XRange();
        if (plot.HasSecondary && plot.Layout == LinePlotLayout.StackedPanels)
        {
            using var top = NewPlot(plot.Title, xLabel: null, plot.YLabel);
            using var bottom = NewPlot(title: null, plot.XLabel, plot.SecondaryYLabel!);
            var index = 0;
            AddLines(top, plot.On(YAxisSide.Primary), ref index, yAxis: null);
            AddLines(bottom, plot.On(YAxisSide.Secondary), ref index, yAxis: null);
            top.Axes.SetLimits(xRange.Min, xRange.Max, plot.YRange(YAxisSide.Primary).Min, plot.YRange(YAxisSide.Primary).Max);
            bottom.Axes.SetLimits(xRange.Min, xRange.Max, plot.YRange(YAxisSide.Secondary).Min, plot.YRange(YAxisSide.Secondary).Max);
            const int panelHeight = StackedHeight / 2;
            // ScottPlot clears the whole canvas it renders on, so each panel is drawn on its own surface first.
            using var topImage = RenderImage(Width, panelHeight, canvas => top.Render(canvas, new PixelRect(0, Width, panelHeight, 0)));
            using var bottomImage = RenderImage(Width, panelHeight, canvas => bottom.Render(canvas, new PixelRect(0, Width, panelHeight, 0)));
            return Encode(Width, StackedHeight, canvas =>
            {
                canvas.DrawImage(topImage, 0, 0);
                canvas.DrawImage(bottomImage, 0, panelHeight);
            });
        }

        using var single = NewPlot(plot.Title, plot.XLabel, plot.YLabel);
        var next = 0;
        AddLines(single, plot.On(YAxisSide.Primary), ref next, yAxis: null);
        var primary = plot.YRange(YAxisSide.Primary);
        single.Axes.SetLimits(xRange.Min, xRange.Max, primary.Min, primary.Max);
        if (plot.HasSecondary)
        {
            var right = single.Axes.Right;
            right.Label.Text = plot.SecondaryYLabel!;
            StyleLabel(right.Label, LabelSize);
            right.TickLabelStyle.FontSize = TickSize;
            AddLines(single, plot.On(YAxisSide.Secondary), ref next, right);
            var secondary = plot.YRange(YAxisSide.Secondary);
            single.Axes.SetLimitsY(secondary.Min, secondary.Max, right);
        }
        return Encode(Width, Height, canvas => single.Render(canvas, new PixelRect(0, Width, Height, 0)));
    }

    /// <summary>PNG bytes of <paramref name="chart"/>: grouped bars with the value above each bar and a legend of the groups.</summary>
    public static byte[] Render(BarChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        using var plot = NewPlot(chart.Title, xLabel: null, chart.YLabel);
        var labelled = ValueLabelsFit(chart);
        for (var g = 0; g < chart.Groups.Count; g++)
        {
            var group = chart.Groups[g];
            var color = SeriesColor(g);
            var bars = new List<Bar>(chart.Categories.Count);
            for (var c = 0; c < chart.Categories.Count; c++)
            {
                bars.Add(new Bar
                {
                    Position = chart.BarCenter(c, g),
                    Value = group.Values[c],
                    Size = chart.BarWidth * BarFill,
                    FillColor = color,
                    LineWidth = 0,
                    Label = labelled ? group.Values[c].ToString(chart.ValueFormat, CultureInfo.InvariantCulture) : "",
                });
            }
            var barPlot = plot.Add.Bars(bars);
            barPlot.LegendText = group.Name;
            barPlot.ValueLabelStyle.FontSize = ValueLabelSize;
            barPlot.ValueLabelStyle.FontName = FontFamily;
        }

        var positions = Enumerable.Range(0, chart.Categories.Count).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, chart.Categories.ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Bottom.TickLabelStyle.FontSize = LabelSize - 2;
        plot.Grid.XAxisStyle.MajorLineStyle.Width = 0;
        var y = chart.YRange();
        plot.Axes.SetLimits(-0.6, chart.Categories.Count - 0.4, y.Min, y.Max);
        ShowLegend(plot, chart.Groups.Count > 1);
        return Encode(Width, Height, canvas => plot.Render(canvas, new PixelRect(0, Width, Height, 0)));
    }

    // Value labels wider than their bars run into each other; the numbers are in the study's table anyway.
    private static bool ValueLabelsFit(BarChart chart)
    {
        var dataWidth = Width - PanelPadding.Left - PanelPadding.Right;
        var barPixels = dataWidth / (chart.Categories.Count + 0.2) * chart.BarWidth * BarFill;
        var widestLabel = chart.Groups.SelectMany(g => g.Values)
            .Max(v => v.ToString(chart.ValueFormat, CultureInfo.InvariantCulture).Length);
        return barPixels >= widestLabel * ValueLabelSize * 0.62;
    }

    /// <summary>PNG bytes of <paramref name="plot"/>: markers (optionally joined) with point labels, log x when asked.</summary>
    public static byte[] Render(ScatterPlot plot)
    {
        ArgumentNullException.ThrowIfNull(plot);
        using var figure = NewPlot(plot.Title, plot.XLabel, plot.YLabel);
        for (var s = 0; s < plot.Series.Count; s++)
        {
            var series = plot.Series[s];
            var xs = series.X.Select(plot.PlotX).ToArray();
            var scatter = figure.Add.Scatter(xs, series.Y.ToArray(), SeriesColor(s));
            scatter.LegendText = series.Name;
            scatter.MarkerSize = 10;
            scatter.LineWidth = plot.ConnectPoints ? 2 : 0;
            scatter.MarkerShape = MarkerShapeOf(s);
            if (series.PointLabels is null) continue;
            for (var i = 0; i < xs.Length; i++)
            {
                var label = figure.Add.Text(series.PointLabels[i], xs[i], series.Y[i]);
                label.LabelFontSize = TickSize;
                label.LabelFontName = FontFamily;
                label.LabelFontColor = SeriesColor(s);
                label.LabelOffsetX = 8;
                label.LabelOffsetY = -8;
                label.LabelAlignment = Alignment.LowerLeft;
            }
        }

        var x = plot.XRange();
        var y = plot.YRange();
        figure.Axes.SetLimits(x.Min, x.Max, y.Min, y.Max);
        if (plot.LogX) figure.Axes.Bottom.TickGenerator = LogTicks(x);
        ShowLegend(figure, plot.Series.Count > 1);
        return Encode(Width, Height, canvas => figure.Render(canvas, new PixelRect(0, Width, Height, 0)));
    }

    private static Plot NewPlot(string? title, string? xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set(FontFamily);
        plot.Layout.Fixed(PanelPadding);
        if (title is not null)
        {
            plot.Title(title);
            StyleLabel(plot.Axes.Title.Label, TitleSize);
        }
        if (xLabel is not null)
        {
            plot.XLabel(xLabel);
            StyleLabel(plot.Axes.Bottom.Label, LabelSize);
        }
        plot.YLabel(yLabel);
        StyleLabel(plot.Axes.Left.Label, LabelSize);
        plot.Axes.Bottom.TickLabelStyle.FontSize = TickSize;
        plot.Axes.Left.TickLabelStyle.FontSize = TickSize;
        return plot;
    }

    private static void StyleLabel(LabelStyle label, float size)
    {
        label.FontSize = size;
        label.FontName = FontFamily;
        label.Bold = true;
    }

    private static void AddLines(Plot plot, IEnumerable<PlotSeries> series, ref int colorIndex, IYAxis? yAxis)
    {
        var any = false;
        foreach (var s in series)
        {
            var line = plot.Add.Scatter(s.X.ToArray(), s.Y.ToArray(), SeriesColor(colorIndex));
            line.LegendText = s.Name;
            line.LineWidth = 2;
            line.MarkerSize = 7;
            line.MarkerShape = MarkerShapeOf(colorIndex);
            if (yAxis is not null)
            {
                line.Axes.YAxis = yAxis;
                line.LinePattern = LinePattern.Dashed;
            }
            colorIndex++;
            any = true;
        }
        if (any) ShowLegend(plot, show: true);
    }

    // Below the x axis, outside the data area, so that it never hides a point or a bar.
    private static void ShowLegend(Plot plot, bool show)
    {
        if (!show) return;
        plot.ShowLegend(Edge.Bottom);
        plot.Legend.Orientation = Orientation.Horizontal;
        plot.Legend.FontSize = LabelSize - 2;
        plot.Legend.FontName = FontFamily;
    }

    // Decade ticks labelled 10^k as plain numbers, with minor ticks at 2..9 x 10^k.
    private static ScottPlot.TickGenerators.NumericManual LogTicks(AxisRange log10Range)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (var decade = (int)Math.Floor(log10Range.Min); decade <= (int)Math.Ceiling(log10Range.Max); decade++)
        {
            if (decade >= log10Range.Min && decade <= log10Range.Max)
                ticks.AddMajor(decade, Math.Pow(10, decade).ToString("G6", CultureInfo.InvariantCulture));
            for (var m = 2; m <= 9; m++)
            {
                var position = decade + Math.Log10(m);
                if (position >= log10Range.Min && position <= log10Range.Max) ticks.AddMinor(position);
            }
        }
        return ticks;
    }

    // Colour-blind-safe palette (Okabe-Ito), cycled; marker shapes also vary so series differ in greyscale.
    private static readonly Color[] Palette =
    [
        Color.FromHex("#0072B2"), Color.FromHex("#D55E00"), Color.FromHex("#009E73"), Color.FromHex("#CC79A7"),
        Color.FromHex("#E69F00"), Color.FromHex("#56B4E9"), Color.FromHex("#000000"), Color.FromHex("#F0E442"),
    ];

    private static readonly MarkerShape[] Markers =
        [MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp, MarkerShape.FilledDiamond];

    private static Color SeriesColor(int index) => Palette[index % Palette.Length];

    private static MarkerShape MarkerShapeOf(int index) => Markers[index % Markers.Length];

    private static SKImage RenderImage(int width, int height, Action<SKCanvas> draw)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
                            ?? throw new InvalidOperationException($"SkiaSharp could not create a {width}x{height} drawing surface");
        surface.Canvas.Clear(SKColors.White);
        draw(surface.Canvas);
        return surface.Snapshot();
    }

    private static byte[] Encode(int width, int height, Action<SKCanvas> draw)
    {
        using var image = RenderImage(width, height, draw);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100)
                        ?? throw new InvalidOperationException("SkiaSharp could not encode the plot as PNG");
        return png.ToArray();
    }

    private static void WritePng(string path, byte[] png)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        AtomicFile.WriteAllBytes(path, png);
    }

    private static readonly Lazy<string> Family = new(ChooseFontFamily);

    private static string FontFamily => Family.Value;

    // SkiaSharp's no-dependency Linux build reads fonts from the system folders; with none there it draws every
    // label as nothing, without an error, so refuse to render instead of producing an unlabelled plot.
    private static string ChooseFontFamily()
    {
        var families = SKFontManager.Default.FontFamilies.Order(StringComparer.Ordinal).ToArray();
        if (families.Length == 0)
            throw new InvalidOperationException(
                "Plotting needs at least one installed font and none was found (on Debian/Ubuntu: apt-get install fonts-dejavu-core).");
        return families.Contains("DejaVu Sans") ? "DejaVu Sans" : families[0];
    }
}

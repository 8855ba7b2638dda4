using Ddnn.Training.Reporting;
using Ddnn.Training.Reporting.Plots;

namespace Ddnn.Training.Tests.Reporting;

public class PlotDescriptionTests
{
    [Fact]
    public void AxisRangePadsTheDataSpan()
    {
        var range = AxisRange.Fit([10, 20], padFraction: 0.1);
        Assert.Equal(9, range.Min, 12);
        Assert.Equal(21, range.Max, 12);
    }

    [Fact]
    public void AxisRangeWithZeroStartsAtZeroForPositiveBars()
    {
        var range = AxisRange.Fit([80, 97], padFraction: 0.1, includeZero: true);
        Assert.Equal(0, range.Min);
        Assert.Equal(97 + 9.7, range.Max, 12);
        var negative = AxisRange.Fit([-5, -1], padFraction: 0.1, includeZero: true);
        Assert.Equal(-5.5, negative.Min, 12);
        Assert.Equal(0, negative.Max);
    }

    [Fact]
    public void AxisRangeOfOneValueIsNotEmpty()
    {
        var single = AxisRange.Fit([50]);
        Assert.True(single.Min < 50 && single.Max > 50);
        var zero = AxisRange.Fit([0], includeZero: true);
        Assert.Equal(0, zero.Min);
        Assert.True(zero.Max > 0);
        Assert.Throws<ArgumentException>(() => AxisRange.Fit([]));
        Assert.Throws<ArgumentException>(() => AxisRange.Fit([1, double.NaN]));
    }

    [Fact]
    public void SeriesFromTableSkipsMissingRowsAndScales()
    {
        var table = new ResultTable("sweep", [ResultColumn.Number("T"), ResultColumn.Number("local"), ResultColumn.Text("label")]);
        table.AddRow(0.5, 0.0175, "a");
        table.AddRow(0.8, null, "b");
        table.AddRow(1, 1.0, "c");

        var series = PlotSeries.FromTable(table, "T", "local", yScale: 100, labelHeader: "label");

        Assert.Equal("local", series.Name);
        Assert.Equal([0.5, 1.0], series.X);
        Assert.Equal(1.75, series.Y[0], 12);
        Assert.Equal(100, series.Y[1], 12);
        Assert.Equal(["a", "c"], series.PointLabels!);
        Assert.Throws<ArgumentException>(() => PlotSeries.FromTable(table, "T", "label"));
        Assert.Throws<ArgumentException>(() => PlotSeries.FromTable(table, "T", "missing"));
    }

    [Fact]
    public void SeriesRejectsMismatchedOrNonFinitePoints()
    {
        Assert.Throws<ArgumentException>(() => new PlotSeries("s", [1, 2], [1]));
        Assert.Throws<ArgumentException>(() => new PlotSeries("s", [], []));
        Assert.Throws<ArgumentException>(() => new PlotSeries("s", [1], [double.PositiveInfinity]));
        Assert.Throws<ArgumentException>(() => new PlotSeries("s", [1], [1], pointLabels: ["a", "b"]));
    }

    [Fact]
    public void LinePlotNeedsASecondaryLabelExactlyWhenItHasSecondarySeries()
    {
        var acc = new PlotSeries("accuracy", [0.1, 0.9], [96, 97]);
        var exits = new PlotSeries("local exits", [0.1, 0.9], [0, 83], YAxisSide.Secondary);
        Assert.Throws<ArgumentException>(() => new LinePlot("t", "T", "acc", [acc, exits]));
        Assert.Throws<ArgumentException>(() => new LinePlot("t", "T", "acc", [acc], "exits"));
        Assert.Throws<ArgumentException>(() => new LinePlot("t", "T", "acc", [exits], "exits"));
        Assert.Throws<ArgumentException>(() => new LinePlot("t", "T", "acc", [acc, acc]));

        var plot = new LinePlot("t", "T", "acc", [acc, exits], "exits", LinePlotLayout.StackedPanels);
        Assert.Equal(["accuracy"], plot.On(YAxisSide.Primary).Select(s => s.Name));
        Assert.True(plot.YRange(YAxisSide.Secondary).Max > 83);
        Assert.True(plot.XRange().Min < 0.1 && plot.XRange().Max > 0.9);
    }

    [Fact]
    public void BarsOfACategoryAreSideBySideAroundItsPosition()
    {
        var chart = new BarChart("acc", "%", ["MP-CC", "AP-CC"],
            [new BarGroup("local", [90, 80]), new BarGroup("cloud", [95, 85]), new BarGroup("overall", [96, 86])]);

        Assert.Equal(0.8 / 3, chart.BarWidth, 12);
        Assert.Equal(1.0, chart.BarCenter(1, 1), 12);
        Assert.Equal(-0.4 + chart.BarWidth / 2, chart.BarCenter(0, 0), 12);
        Assert.Equal(0.4 - chart.BarWidth / 2, chart.BarCenter(0, 2), 12);
        Assert.Equal(0, chart.YRange().Min);
        Assert.True(chart.YRange().Max > 96);
        Assert.Throws<ArgumentException>(() => new BarChart("x", "%", ["a", "b"], [new BarGroup("g", [1])]));
        Assert.Throws<ArgumentException>(() => new BarChart("x", "%", ["a"], [new BarGroup("g", [1]), new BarGroup("g", [2])]));
        Assert.Throws<ArgumentException>(() => new BarChart("x", "%", [], [new BarGroup("g", [])]));
    }

    [Fact]
    public void ScatterPlotLogAxisWorksInDecades()
    {
        var ddnn = new PlotSeries("DDNN", [14, 30], [91, 97]);
        var plot = new ScatterPlot("comm", "bytes", "acc", [ddnn, new PlotSeries("raw", [1296], [93])], logX: true);
        Assert.Equal(2, plot.PlotX(100), 12);
        Assert.True(plot.XRange().Min < Math.Log10(14) && plot.XRange().Max > Math.Log10(1296));
        Assert.Throws<ArgumentException>(() => new ScatterPlot("c", "b", "a", [new PlotSeries("z", [0], [1])], logX: true));
        Assert.Throws<ArgumentException>(() => new ScatterPlot("c", "b", "a", [new PlotSeries("z", [1], [1], YAxisSide.Secondary)]));
    }
}

using Ddnn.Training.Reporting.Plots;

namespace Ddnn.Training.Tests.Reporting;

public class LinePlotTests
{
    private static PlotSeries Series(string name, double[] x, double[] y, PlotAxis axis = PlotAxis.Left) => new(name, x, y, axis);

    [Fact]
    public void LinearAxesTakeAnyFiniteValue()
    {
        var plot = new LinePlot("t", "x", "y", [Series("s", [-1, 0, 1], [0, -5, 2])]);
        Assert.False(plot.LogX);
        Assert.False(plot.LogY);
    }

    [Fact]
    public void LogAxesKeepTheirFlagsWithPositiveValues()
    {
        var plot = new LinePlot("t", "x", "y", [Series("s", [50, 500, 5000], [2.5, 20, 1200])], logX: true, logY: true);
        Assert.True(plot.LogX);
        Assert.True(plot.LogY);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-3.0)]
    [InlineData(double.NaN)]
    public void ALogXAxisRefusesAValueItCannotShowAndNamesIt(double bad)
    {
        var e = Assert.Throws<ArgumentException>(() => new LinePlot("rates", "x", "y", [Series("K=4", [100, bad], [1, 2])], logX: true));
        Assert.Contains("'rates'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'K=4'", e.Message, StringComparison.Ordinal);
        Assert.Contains($"x = {bad}", e.Message, StringComparison.Ordinal);
        Assert.Contains("logarithmic x axis", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALogYAxisChecksOnlyTheSeriesDrawnAgainstIt()
    {
        var e = Assert.Throws<ArgumentException>(() => new LinePlot("p99", "x", "y", [Series("left", [1, 2], [5, 0])], logY: true));
        Assert.Contains("y = 0", e.Message, StringComparison.Ordinal);
        // The right axis stays linear, so a series on it may hold zero and negative values.
        var plot = new LinePlot("p99", "x", "y", [Series("left", [1, 2], [5, 7]), Series("right", [1, 2], [0, -1], PlotAxis.Right)], "cpu", logY: true);
        Assert.Equal(2, plot.Series.Count);
    }
}

using Ddnn.Training.Experiments;

namespace Ddnn.Training.Tests.Experiments;

public class RisingTrendTests
{
    private static readonly double[] Devices = [1, 2, 3, 4, 5, 6];

    [Fact]
    public void RankCorrelationOfKnownSeries()
    {
        Assert.Equal(1.0, RisingTrend.SpearmanRankCorrelation(Devices, [1, 2, 3, 4, 5, 6]), 12);
        Assert.Equal(-1.0, RisingTrend.SpearmanRankCorrelation(Devices, [6, 5, 4, 3, 2, 1]), 12);
        // One swapped pair: 1 - 6·2 / (6·35).
        Assert.Equal(1 - 12.0 / 210, RisingTrend.SpearmanRankCorrelation(Devices, [44, 55, 51, 56, 61, 63]), 12);
        // Ties take their mean rank.
        Assert.Equal(RisingTrend.SpearmanRankCorrelation([1, 2, 3], [1, 2.5, 2.5]), RisingTrend.SpearmanRankCorrelation([1, 2, 3], [10, 20, 20]), 12);
        Assert.Throws<ArgumentException>(() => RisingTrend.SpearmanRankCorrelation(Devices, [1, 2]));
    }

    [Fact]
    public void ToleranceIsTwoStandardErrorsOfADifference()
    {
        var trend = RisingTrend.Of(Devices, [0.5, 0.6, 0.7, 0.7, 0.8, 0.9], 600);
        var p = (0.5 + 0.6 + 0.7 + 0.7 + 0.8 + 0.9) / 6;
        Assert.Equal(2 * Math.Sqrt(2 * p * (1 - p) / 600), trend.Tolerance, 12);
        Assert.Equal(0.4, trend.Rise, 12);
        Assert.Equal(0, trend.LargestStepBack);
        Assert.True(trend.Holds);
        // Four times the test samples halve the tolerance.
        Assert.Equal(trend.Tolerance / 2, RisingTrend.Of(Devices, [0.5, 0.6, 0.7, 0.7, 0.8, 0.9], 2400).Tolerance, 12);
    }

    [Fact]
    public void LargestStepBackIsAgainstTheBestEarlierPoint()
    {
        // 0.587 at 2 devices, 0.525 at 4: a 6.2-point step back, larger than the tolerance of 600 test samples (~5.5).
        var trend = RisingTrend.Of(Devices, [0.540, 0.587, 0.560, 0.525, 0.633, 0.665], 600);
        Assert.Equal(0.062, trend.LargestStepBack, 12);
        Assert.Equal((2.0, 4.0), (trend.StepBackFromX, trend.StepBackToX));
        Assert.True(trend.Rise > RisingTrend.MinRise);
        Assert.False(trend.Holds);
        Assert.Contains("6.2 points (2 → 4 devices)", trend.Describe("devices"));
    }

    [Fact]
    public void SmallReorderingsOfSaturatedPointsDoNotBreakTheTrend()
    {
        // A rise to saturation whose last four points are out of order by at most 2.6 points: rank correlation 0.43.
        double[] y = [0.60, 0.70, 0.806, 0.803, 0.800, 0.78];
        var trend = RisingTrend.Of(Devices, y, 1200);
        Assert.True(trend.RankCorrelation < 0.8);
        Assert.True(trend.LargestStepBack < trend.Tolerance);
        Assert.True(trend.Holds);
    }

    [Fact]
    public void TooSmallARiseFails()
    {
        var trend = RisingTrend.Of(Devices, [0.70, 0.71, 0.72, 0.73, 0.74, 0.745], 1200);
        Assert.Equal(0, trend.LargestStepBack);
        Assert.False(trend.Holds); // 4.5 points is not more than 5
    }

    [Fact]
    public void BadInputIsRejected()
    {
        Assert.Throws<ArgumentException>(() => RisingTrend.Of(Devices, [0.5, 0.6], 100));
        Assert.Throws<ArgumentException>(() => RisingTrend.Of([1], [0.5], 100));
        Assert.Throws<ArgumentException>(() => RisingTrend.Of([1, 1], [0.5, 0.6], 100));
        Assert.Throws<ArgumentException>(() => RisingTrend.Of([1, 2], [0.5, 60], 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => RisingTrend.Of([1, 2], [0.5, 0.6], 0));
    }
}

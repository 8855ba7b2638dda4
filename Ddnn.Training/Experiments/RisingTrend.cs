using System.Globalization;

namespace Ddnn.Training.Experiments;

/// <summary>
/// Whether accuracies measured on a test split rise with x: the last exceeds the first by more than
/// <see cref="MinRise"/>, and no value lies below an earlier one by more than the sampling noise of a difference of
/// two accuracies on that split (<see cref="Tolerance"/>). Spearman's rank correlation is reported beside it.
/// </summary>
public sealed record RisingTrend(double FirstX, double LastX, double Rise, double LargestStepBack, double StepBackFromX, double StepBackToX,
    double Tolerance, int TestSamples, double RankCorrelation)
{
    /// <summary>The rise from the first to the last point must exceed this (5 points of accuracy).</summary>
    public const double MinRise = 0.05;

    /// <summary>Standard errors of a difference of two accuracies that a step back may reach before the trend breaks.</summary>
    public const double ToleranceStandardErrors = 2;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Why the finding is judged this way (for the report).</summary>
    public const string Explanation =
        "How \"accuracy rises\" is judged: the last point must beat the first by more than 5 points, and no point may lie below an earlier one "
        + "by more than 2 standard errors of a difference of two accuracies on the test split, sqrt(2 p (1 - p) / n) with p the mean accuracy "
        + "and n the test samples: a monotone trend up to test-set noise. Spearman's rank correlation is reported but no longer judged: it "
        + "sees only ranks, so two points 0.3 apart in the wrong order (as the flat end of a saturating curve like the paper's .99 .99 will "
        + "be half the time) cost as much as a 6-point collapse between the same two points, and over six points a few such swaps decide it.";

    /// <summary>True when the rise exceeds <see cref="MinRise"/> and the largest step back is within <see cref="Tolerance"/>.</summary>
    public bool Holds => Rise > MinRise && LargestStepBack <= Tolerance + 1e-12;

    /// <summary>Judges accuracies <paramref name="y"/> (fractions in [0, 1]) at increasing <paramref name="x"/>, each measured on <paramref name="testSamples"/> samples.</summary>
    public static RisingTrend Of(IReadOnlyList<double> x, IReadOnlyList<double> y, int testSamples)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count) throw new ArgumentException($"{x.Count} x values but {y.Count} y values", nameof(y));
        if (x.Count < 2) throw new ArgumentException("a trend needs at least two points", nameof(x));
        if (testSamples < 1) throw new ArgumentOutOfRangeException(nameof(testSamples), testSamples, "must be at least 1");
        for (var i = 0; i < y.Count; i++)
            if (!(y[i] >= 0 && y[i] <= 1)) throw new ArgumentException($"accuracy {y[i]} at x = {x[i]} is not in [0, 1]", nameof(y));
        for (var i = 1; i < x.Count; i++)
            if (!(x[i] > x[i - 1])) throw new ArgumentException("x must increase strictly", nameof(x));

        double stepBack = 0, from = x[0], to = x[0];
        var best = 0;
        for (var j = 1; j < y.Count; j++)
        {
            if (y[best] - y[j] > stepBack) (stepBack, from, to) = (y[best] - y[j], x[best], x[j]);
            if (y[j] > y[best]) best = j;
        }
        var p = y.Average();
        var tolerance = ToleranceStandardErrors * Math.Sqrt(2 * p * (1 - p) / testSamples);
        return new RisingTrend(x[0], x[^1], y[^1] - y[0], stepBack, from, to, tolerance, testSamples, SpearmanRankCorrelation(x, y));
    }

    /// <summary>The numbers that decide the trend, and the criterion, in words; <paramref name="unit"/> names x ("devices").</summary>
    public string Describe(string unit) => string.Create(Inv,
        $"{100 * Rise:+0.0;-0.0} points from {FirstX:0.##} to {LastX:0.##} {unit}; largest step back {100 * LargestStepBack:F1} points{(LargestStepBack > 0 ? $" ({StepBackFromX:0.##} → {StepBackToX:0.##} {unit})" : "")}, tolerance {100 * Tolerance:F1} points (2 standard errors of a difference on {TestSamples} test samples); Spearman rank correlation {RankCorrelation:F2} (reported, not judged); criterion: rise > {100 * MinRise:0} points and no step back beyond the tolerance");

    /// <summary>Spearman's rank correlation of two equally long series (ties get their mean rank).</summary>
    internal static double SpearmanRankCorrelation(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count) throw new ArgumentException($"{x.Count} x values but {y.Count} y values", nameof(y));
        if (x.Count < 2) return double.NaN;
        var rx = Ranks(x);
        var ry = Ranks(y);
        double mx = rx.Average(), my = ry.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < rx.Length; i++)
        {
            sxy += (rx[i] - mx) * (ry[i] - my);
            sxx += (rx[i] - mx) * (rx[i] - mx);
            syy += (ry[i] - my) * (ry[i] - my);
        }
        return sxx == 0 || syy == 0 ? 0 : sxy / Math.Sqrt(sxx * syy);
    }

    private static double[] Ranks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j + 1 < order.Length && values[order[j + 1]] == values[order[i]]) j++;
            for (var k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2.0 + 1;
            i = j + 1;
        }
        return ranks;
    }
}

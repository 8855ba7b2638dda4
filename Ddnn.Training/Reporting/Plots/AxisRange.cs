namespace Ddnn.Training.Reporting.Plots;

/// <summary>A closed axis interval with a little margin around the data, so that no point sits on the frame.</summary>
public readonly record struct AxisRange(double Min, double Max)
{
    /// <summary>
    /// The range spanning <paramref name="values"/> widened by <paramref name="padFraction"/> of the span on each
    /// side; <paramref name="includeZero"/> pins zero inside (bar charts start at zero, no padding below it). A single
    /// value gets a span of 10% of its magnitude (or 1 around zero).
    /// </summary>
    public static AxisRange Fit(IEnumerable<double> values, double padFraction = 0.05, bool includeZero = false)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (!(padFraction >= 0) || padFraction > 1) throw new ArgumentOutOfRangeException(nameof(padFraction), padFraction, "must be in [0, 1]");
        var min = double.PositiveInfinity;
        var max = double.NegativeInfinity;
        foreach (var v in values)
        {
            if (!double.IsFinite(v)) throw new ArgumentException($"axis value {v} is not finite", nameof(values));
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        if (min > max) throw new ArgumentException("an axis needs at least one value", nameof(values));
        if (includeZero)
        {
            min = Math.Min(min, 0);
            max = Math.Max(max, 0);
        }
        if (max == min)
        {
            var half = min == 0 ? 0.5 : Math.Abs(min) * 0.05;
            return new AxisRange(includeZero && min == 0 ? 0 : min - half, max + half);
        }
        var pad = (max - min) * padFraction;
        return new AxisRange(includeZero && min == 0 ? 0 : min - pad, includeZero && max == 0 ? 0 : max + pad);
    }

    /// <summary>The smallest range containing both.</summary>
    public AxisRange Union(AxisRange other) => new(Math.Min(Min, other.Min), Math.Max(Max, other.Max));

    public double Span => Max - Min;
}

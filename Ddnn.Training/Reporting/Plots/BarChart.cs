namespace Ddnn.Training.Reporting.Plots;

/// <summary>
/// Grouped bars: for each category (e.g. aggregation scheme MP-CC, AP-CC, ...) one bar per <see cref="BarGroup"/>
/// (e.g. local, cloud, overall accuracy), side by side, each value printed above its bar.
/// </summary>
public sealed class BarChart
{
    public BarChart(string title, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<BarGroup> groups,
        string valueFormat = "F1")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        ArgumentException.ThrowIfNullOrWhiteSpace(yLabel);
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentException.ThrowIfNullOrWhiteSpace(valueFormat);
        if (categories.Count == 0) throw new ArgumentException($"bar chart '{title}' has no categories", nameof(categories));
        if (categories.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException($"bar chart '{title}' has a blank category", nameof(categories));
        if (groups.Count == 0) throw new ArgumentException($"bar chart '{title}' has no bar groups", nameof(groups));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var g in groups)
        {
            if (g is null || string.IsNullOrWhiteSpace(g.Name)) throw new ArgumentException($"bar chart '{title}' has an unnamed group", nameof(groups));
            if (!names.Add(g.Name)) throw new ArgumentException($"bar chart '{title}' has two groups named '{g.Name}'", nameof(groups));
            if (g.Values is null || g.Values.Count != categories.Count)
                throw new ArgumentException(
                    $"bar chart '{title}', group '{g.Name}' has {g.Values?.Count ?? 0} values for {categories.Count} categories", nameof(groups));
            if (g.Values.Any(v => !double.IsFinite(v)))
                throw new ArgumentException($"bar chart '{title}', group '{g.Name}' has a value that is not finite", nameof(groups));
        }
        Title = title;
        YLabel = yLabel;
        Categories = categories.ToArray();
        Groups = groups.Select(g => new BarGroup(g.Name, g.Values.ToArray())).ToArray();
        ValueFormat = valueFormat;
    }

    public string Title { get; }
    public string YLabel { get; }
    public IReadOnlyList<string> Categories { get; }
    public IReadOnlyList<BarGroup> Groups { get; }

    /// <summary>How the value above each bar is printed (a .NET numeric format).</summary>
    public string ValueFormat { get; }

    /// <summary>Width of one bar, in category units: the groups of a category fill 80% of its slot.</summary>
    public double BarWidth => 0.8 / Groups.Count;

    /// <summary>Centre of the bar of group <paramref name="group"/> in category <paramref name="category"/> (categories sit at 0, 1, 2, ...).</summary>
    public double BarCenter(int category, int group) => category - 0.4 + BarWidth * (group + 0.5);

    /// <summary>The y range: zero included, with headroom above the tallest bar for its value label.</summary>
    public AxisRange YRange() => AxisRange.Fit(Groups.SelectMany(g => g.Values), padFraction: 0.12, includeZero: true);
}

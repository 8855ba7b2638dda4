namespace Ddnn.Training.Reporting.Plots;

/// <summary>Checks shared by the plot descriptions.</summary>
internal static class PlotValidation
{
    public static void RequireDistinctNames(IReadOnlyList<PlotSeries> series, string title)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0) throw new ArgumentException($"plot '{title}' has no series", nameof(series));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in series)
        {
            if (s is null) throw new ArgumentException($"plot '{title}' has a null series", nameof(series));
            if (!names.Add(s.Name)) throw new ArgumentException($"plot '{title}' has two series named '{s.Name}'", nameof(series));
        }
    }
}

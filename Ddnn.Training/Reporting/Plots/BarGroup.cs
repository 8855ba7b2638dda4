namespace Ddnn.Training.Reporting.Plots;

/// <summary>One bar per category for one named quantity (e.g. "cloud" accuracy for every aggregation scheme).</summary>
public sealed record BarGroup(string Name, IReadOnlyList<double> Values);

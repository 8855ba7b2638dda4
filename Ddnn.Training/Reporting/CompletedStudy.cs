namespace Ddnn.Training.Reporting;

/// <summary>A manifest entry: a study whose folder was written completely, when, in how long, and with which files.</summary>
public sealed record CompletedStudy(string Id, DateTimeOffset CompletedUtc, double Seconds, IReadOnlyList<string> Files);

using System.Globalization;
using System.Text;

namespace Ddnn.Training.Reporting;

/// <summary>
/// Builds report.md: a title, the run description, then one section per study with the paper's claim, a
/// paper-versus-ours table, the plot, result tables and notes.
/// </summary>
public sealed class MarkdownReport
{
    private readonly List<ReportSection> _sections = [];

    /// <summary>An empty report headed <paramref name="title"/>.</summary>
    public MarkdownReport(string title)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        Title = title;
    }

    /// <summary>The report's level-1 heading.</summary>
    public string Title { get; }

    /// <summary>Shown under the title as a "Run" table; omitted when null.</summary>
    public RunInfo? Run { get; set; }

    /// <summary>The study sections in the order they were added, which is the order they are rendered.</summary>
    public IReadOnlyList<ReportSection> Sections => _sections;

    /// <summary>Adds the section of study <paramref name="id"/> (a <see cref="ResultsFolder"/> study id) headed <paramref name="title"/>.</summary>
    public ReportSection AddStudy(string id, string title)
    {
        ResultsFolder.ValidateStudyId(id);
        if (_sections.Any(s => s.Id == id)) throw new ArgumentException($"the report already has a section for study '{id}'", nameof(id));
        var section = new ReportSection(id, title);
        _sections.Add(section);
        return section;
    }

    /// <summary>The report.md text: title, the run table when <see cref="Run"/> is set, then every section.</summary>
    public string Render()
    {
        var text = new StringBuilder();
        text.Append("# ").Append(MarkdownText.Heading(Title)).Append("\n\n");
        if (Run is not null) AppendRun(text, Run);
        foreach (var section in _sections) section.AppendTo(text);
        return text.ToString();
    }

    private static void AppendRun(StringBuilder text, RunInfo run)
    {
        var table = new ResultTable("Run", [ResultColumn.Text("Item"), ResultColumn.Text("Value")]);
        table.AddRow("Command line", string.Join(' ', run.CommandLine.Select(QuoteArgument)));
        table.AddRow("Seed", run.Seed.ToString(CultureInfo.InvariantCulture));
        if (run.DataSeed is { } dataSeed) table.AddRow("Data seed", dataSeed.ToString(CultureInfo.InvariantCulture));
        table.AddRow("Dataset", run.Dataset);
        table.AddRow("Threads", run.Threads.ToString(CultureInfo.InvariantCulture));
        if (run.StartedUtc != default) table.AddRow("Started (UTC)", run.StartedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        foreach (var (name, version) in run.Versions.OrderBy(v => v.Key, StringComparer.Ordinal)) table.AddRow($"Version: {name}", version);
        foreach (var timing in run.Timings)
            table.AddRow($"Time: {timing.Name}", timing.Seconds.ToString("F1", CultureInfo.InvariantCulture) + " s");
        text.Append("## Run\n\n").Append(table.ToMarkdown()).Append('\n');
    }

    private static string QuoteArgument(string argument) =>
        argument.Length > 0 && !argument.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'') ? argument : "\"" + argument.Replace("\"", "\\\"") + "\"";
}

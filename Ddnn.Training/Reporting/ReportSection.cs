using System.Globalization;
using System.Text;

namespace Ddnn.Training.Reporting;

/// <summary>One study's part of a <see cref="MarkdownReport"/>; the builder methods return the section for chaining.</summary>
public sealed class ReportSection
{
    private readonly List<Reference> _references = [];
    private readonly List<(string Path, string AltText)> _plots = [];
    private readonly List<ResultTable> _tables = [];
    private readonly List<string> _notes = [];

    internal ReportSection(string id, string title)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        Id = id;
        Title = title;
    }

    /// <summary>The study id: the name of the study's folder beside report.md.</summary>
    public string Id { get; }
    /// <summary>The section's level-2 heading.</summary>
    public string Title { get; }

    /// <summary>What the paper states for this study, quoted above the comparison.</summary>
    public string? Claim { get; private set; }

    /// <summary>Sets <see cref="Claim"/>, replacing an earlier one.</summary>
    public ReportSection SetClaim(string claim)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(claim);
        Claim = claim;
        return this;
    }

    /// <summary>A paper-versus-ours row with numbers shown by <paramref name="format"/>; a null side shows as missing, and the difference is given when both are known.</summary>
    public ReportSection AddReference(string metric, double? paper, double? ours, string format = "F2", string? unit = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(metric);
        ArgumentException.ThrowIfNullOrWhiteSpace(format);
        string Show(double? v) => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : ResultTable.MissingDisplay;
        var difference = paper is { } p && ours is { } o ? (o - p >= 0 ? "+" : "") + (o - p).ToString(format, CultureInfo.InvariantCulture) : ResultTable.MissingDisplay;
        _references.Add(new Reference(unit is null ? metric : $"{metric} ({unit})", Show(paper), Show(ours), difference));
        return this;
    }

    /// <summary>A paper-versus-ours row for figures that are not plain numbers (e.g. "77.0 (T=0.4, 51%)").</summary>
    public ReportSection AddReference(string metric, string paper, string ours)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(metric);
        ArgumentNullException.ThrowIfNull(paper);
        ArgumentNullException.ThrowIfNull(ours);
        _references.Add(new Reference(metric, paper, ours, ResultTable.MissingDisplay));
        return this;
    }

    /// <summary>Links a plot image; <paramref name="relativePath"/> is relative to report.md, e.g. "threshold-sweep/plot.png".</summary>
    public ReportSection AddPlot(string relativePath, string altText)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(relativePath);
        ArgumentException.ThrowIfNullOrWhiteSpace(altText);
        if (Path.IsPathRooted(relativePath) || relativePath.Split('/', '\\').Contains(".."))
            throw new ArgumentException($"plot path '{relativePath}' must be relative to the report and stay inside its folder", nameof(relativePath));
        _plots.Add((relativePath, altText));
        return this;
    }

    /// <summary>Links this study's <see cref="ResultsFolder.PlotFileName"/>.</summary>
    public ReportSection AddStudyPlot(string altText) => AddPlot($"{Id}/{ResultsFolder.PlotFileName}", altText);

    /// <summary>Adds <paramref name="table"/> under its own level-3 heading, after the comparison and the plots.</summary>
    public ReportSection AddTable(ResultTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        _tables.Add(table);
        return this;
    }

    /// <summary>Adds a paragraph at the end of the section, e.g. how our setup differs from the paper's.</summary>
    public ReportSection AddNote(string note)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(note);
        _notes.Add(note);
        return this;
    }

    /// <summary>The paper-versus-ours rows as a table (Metric, Paper, Ours, Ours - paper).</summary>
    public ResultTable ComparisonTable()
    {
        var table = new ResultTable($"{Title}: paper vs ours",
        [
            ResultColumn.Text("Metric"),
            ResultColumn.Text("Paper", ColumnAlignment.Right),
            ResultColumn.Text("Ours", ColumnAlignment.Right),
            ResultColumn.Text("Ours - paper", ColumnAlignment.Right),
        ]);
        foreach (var r in _references) table.AddRow(r.Metric, r.Paper, r.Ours, r.Difference);
        return table;
    }

    internal void AppendTo(StringBuilder text)
    {
        text.Append("## ").Append(MarkdownText.Heading(Title)).Append("\n\n");
        text.Append("Study `").Append(Id).Append("`, files in [").Append(Id).Append("/](").Append(MarkdownText.LinkTarget(Id + "/"))
            .Append(")\n\n");
        if (Claim is not null) text.Append("**Paper:** ").Append(MarkdownText.Paragraph(Claim)).Append("\n\n");
        if (_references.Count > 0) text.Append(ComparisonTable().ToMarkdown()).Append('\n');
        foreach (var (path, alt) in _plots)
            text.Append("![").Append(alt.ReplaceLineEndings(" ").Replace("]", "\\]")).Append("](")
                .Append(MarkdownText.LinkTarget(path)).Append(")\n\n");
        foreach (var table in _tables)
            text.Append("### ").Append(MarkdownText.Heading(table.Title)).Append("\n\n").Append(table.ToMarkdown()).Append('\n');
        foreach (var note in _notes) text.Append(MarkdownText.Paragraph(note)).Append("\n\n");
    }

    private sealed record Reference(string Metric, string Paper, string Ours, string Difference);
}

using Ddnn.Training.Reporting;
using Ddnn.Training.Reporting.Plots;

namespace Ddnn.Training.Experiments;

/// <summary>A qualitative finding of the paper and whether this run reproduces it, with the numbers that decide it.</summary>
public sealed record Finding(string Claim, bool Holds, string Evidence)
{
    /// <summary>The verdict, the claim and its evidence on one line, as printed on the console.</summary>
    public override string ToString() => $"{(Holds ? "HOLDS" : "DOES NOT HOLD")}: {Claim} ({Evidence})";
}

/// <summary>
/// One finished study: its folder id, the table (written as CSV, printed on the console, quoted in the report), the
/// plot, the findings, and how its report section is filled (claim, paper-versus-ours references).
/// </summary>
public sealed record StudyOutput(string Id, string Title, ResultTable Table, PlotDescription Plot, IReadOnlyList<Finding> Findings,
    Action<ReportSection> Describe)
{
    /// <summary>Fills the study's section of the report: claim and references, plot, table and findings.</summary>
    public void AddTo(MarkdownReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var section = report.AddStudy(Id, Title);
        Describe(section);
        section.AddStudyPlot(Plot.Title);
        section.AddTable(Table);
        foreach (var f in Findings)
            section.AddNote($"**Finding {(f.Holds ? "holds" : "does not hold")}:** {f.Claim}. {f.Evidence}.");
    }
}

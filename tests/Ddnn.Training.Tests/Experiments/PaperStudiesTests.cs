using Ddnn.Core.Model;
using Ddnn.Training.Experiments;
using Ddnn.Training.Reporting;
using Ddnn.Training.Reporting.Plots;
using Ddnn.Training.Tests.Data;
using Ddnn.Training.Tests.Joint;

namespace Ddnn.Training.Tests.Experiments;

public class PaperStudiesTests
{
    [Fact]
    public void PlanTrainsEachModelOnceAndReusesTheBaseModel()
    {
        var plan = TinyPaperRun.Runner.Plan;
        // MP-CC, its dropout twin, 8 other schemes, 1..2 devices (3 = base), f=1 (f=2 = base).
        Assert.Equal(2 + 8 + 2 + 1, plan.Count);
        Assert.Equal("MP-CC", plan[0].Name);
        Assert.Equal(TinyPaperRun.Settings.DeviceDropout, plan[1].DeviceDropout);
        Assert.Equal(plan.Count, plan.Select(p => p.Name).Distinct().Count());
    }

    [Fact]
    public void AllSixStudiesAreEmittedOnceEach()
    {
        string[] ids = [PaperStudies.SweepId, PaperStudies.RawOffloadId, PaperStudies.MissingId, PaperStudies.SchemesId, PaperStudies.DevicesId, PaperStudies.FiltersId];
        Assert.Equal(ids, TinyPaperRun.Emitted.Select(s => s.Id));
        Assert.Equal(ids, TinyPaperRun.Studies.Select(s => s.Id));
    }

    [Fact]
    public void SchemesTableHasAllNineSchemes()
    {
        var study = TinyPaperRun.Study(PaperStudies.SchemesId);
        Assert.Equal(9, study.Table.RowCount);
        Assert.Equal(AggregationNames.PaperSchemes.Select(s => AggregationNames.SchemeName(s.Local, s.Cloud)),
            Enumerable.Range(0, 9).Select(r => (string)study.Table[r, 0]!));
        Assert.Equal(6, study.Table.Columns.Count);
        var chart = Assert.IsType<BarChart>(study.Plot);
        Assert.Equal(9, chart.Categories.Count);
        Assert.Single(study.Findings);
        AssertPercentages(study.Table);
    }

    [Fact]
    public void DevicesTableHasOneRowPerDeviceCount()
    {
        var study = TinyPaperRun.Study(PaperStudies.DevicesId);
        Assert.Equal(3, study.Table.RowCount);
        Assert.Equal([1, 2, 3], Enumerable.Range(0, 3).Select(r => (int)study.Table[r, 0]!));
        Assert.IsType<LinePlot>(study.Plot);
        AssertPercentages(study.Table);
    }

    [Fact]
    public void MissingDeviceTableHasAllPresentThenEachDevice()
    {
        var study = TinyPaperRun.Study(PaperStudies.MissingId);
        Assert.Equal(["none", "dev0", "dev1", "dev2"], Enumerable.Range(0, 4).Select(r => (string)study.Table[r, 0]!));
        Assert.Equal(7, study.Table.Columns.Count);
        Assert.Equal(2, study.Findings.Count);
        AssertPercentages(study.Table);
    }

    [Fact]
    public void FiltersTableReportsTheLedgersMemoryAndBytes()
    {
        var study = TinyPaperRun.Study(PaperStudies.FiltersId);
        Assert.Equal(2, study.Table.RowCount);
        for (var r = 0; r < 2; r++)
        {
            var f = (int)study.Table[r, 0]!;
            var ledger = new Core.Inference.CommunicationLedger(PaperStudies.WithFilters(TinyPaperRun.BaseConfig, f));
            Assert.Equal(ledger.DeviceMemoryBits, (long)study.Table[r, 1]!);
            var local = (double)study.Table[r, 3]! / 100;
            Assert.Equal(ledger.BytesPerDevice(local), (double)study.Table[r, 2]!, 9);
        }
        Assert.True((long)study.Table[1, 1]! > (long)study.Table[0, 1]!);
        Assert.IsType<ScatterPlot>(study.Plot);
    }

    [Fact]
    public void SweepAndRawOffloadStudiesAreWellFormed()
    {
        var sweep = TinyPaperRun.Study(PaperStudies.SweepId);
        Assert.Equal(21, sweep.Table.RowCount);
        var exits = Enumerable.Range(0, 21).Select(r => (double)sweep.Table[r, 1]!).ToArray();
        for (var i = 1; i < exits.Length; i++) Assert.True(exits[i] >= exits[i - 1]);
        var raw = TinyPaperRun.Study(PaperStudies.RawOffloadId);
        Assert.Equal(3, raw.Table.RowCount);
        Assert.True((double)raw.Table[2, 2]! > 1); // the cascade sends less than raw offload
    }

    [Fact]
    public void ReportHasASectionPerStudyWithPlotAndFindings()
    {
        var report = new MarkdownReport("tiny");
        foreach (var study in TinyPaperRun.Studies) study.AddTo(report);
        var text = report.Render();
        foreach (var study in TinyPaperRun.Studies)
        {
            Assert.Contains($"## {study.Title}", text);
            Assert.Contains($"]({study.Id}/plot.png)", text);
        }
        Assert.Contains("| Metric | Paper | Ours | Ours - paper |", text);
        Assert.Contains("**Finding", text);
    }

    [Fact]
    public void StudiesWriteIntoAResultsFolder()
    {
        using var temp = new TempDirectory();
        var folder = ResultsFolder.Open(temp.File("out"), force: false);
        var renderer = new TextPlotRenderer();
        foreach (var study in TinyPaperRun.Studies)
            folder.WriteStudy(study.Id, dir =>
            {
                dir.WriteTable(study.Table);
                renderer.Write(study.Plot, dir.PathOf(ResultsFolder.PlotFileName));
            });
        Assert.Equal(6, folder.CompletedStudies.Count);
        var csv = CsvFile.Read(Path.Combine(folder.StudyPath(PaperStudies.SchemesId), ResultsFolder.TableFileName));
        Assert.Equal(10, csv.Count);
        Assert.Equal("scheme", csv[0][0]);
    }

    [Fact]
    public void FirstViewsKeepsSamplesLabelsAndTheChosenViews()
    {
        var data = TinyRuns.Small.Test;
        var two = ViewSelection.FirstViews(data, 2);
        Assert.Equal(2, two.ViewCount);
        Assert.Equal(data.Count, two.Count);
        for (var i = 0; i < data.Count; i++)
        {
            Assert.Equal(data.GetLabel(i), two.GetLabel(i));
            Assert.True(data.GetView(i, 1).SequenceEqual(two.GetView(i, 1)));
            Assert.Equal(data.GetViewLabel(i, 1), two.GetViewLabel(i, 1));
        }
        Assert.Same(data, ViewSelection.FirstViews(data, data.ViewCount));
        Assert.Throws<ArgumentOutOfRangeException>(() => ViewSelection.FirstViews(data, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ViewSelection.FirstViews(data, data.ViewCount + 1));
    }

    [Fact]
    public void RunnerRejectsDataThatDoesNotFitTheBaseModel()
    {
        var settings = TinyPaperRun.Settings with { BaseConfig = TinyPaperRun.BaseConfig with { Devices = 4 } };
        Assert.Throws<ArgumentException>(() => new PaperRunner(TinyRuns.Small, settings));
    }

    private static void AssertPercentages(ResultTable table)
    {
        for (var c = 0; c < table.Columns.Count; c++)
        {
            if (table.Columns[c].Unit != "%") continue;
            for (var r = 0; r < table.RowCount; r++)
                if (table[r, c] is double v) Assert.InRange(v, 0, 100);
        }
    }

    /// <summary>Writes a plot's title and series as text (stands in for the PNG renderer of the CLI).</summary>
    private sealed class TextPlotRenderer : IPlotRenderer
    {
        public void Write(PlotDescription plot, string path) => File.WriteAllText(path, plot.Title);
    }
}

public class SpearmanTests
{
    [Fact]
    public void RankCorrelationOfKnownSeries()
    {
        double[] n = [1, 2, 3, 4, 5, 6];
        Assert.Equal(1.0, PaperStudies.SpearmanRankCorrelation(n, [1, 2, 3, 4, 5, 6]), 12);
        Assert.Equal(-1.0, PaperStudies.SpearmanRankCorrelation(n, [6, 5, 4, 3, 2, 1]), 12);
        // One swapped pair: 1 - 6·2 / (6·35).
        Assert.Equal(1 - 12.0 / 210, PaperStudies.SpearmanRankCorrelation(n, [44, 55, 51, 56, 61, 63]), 12);
        // Ties take their mean rank.
        Assert.Equal(PaperStudies.SpearmanRankCorrelation([1, 2, 3], [1, 2.5, 2.5]), PaperStudies.SpearmanRankCorrelation([1, 2, 3], [10, 20, 20]), 12);
        Assert.Throws<ArgumentException>(() => PaperStudies.SpearmanRankCorrelation(n, [1, 2]));
    }
}

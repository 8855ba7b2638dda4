using Ddnn.Core.Model;
using Ddnn.TestSupport;
using Ddnn.Training.Experiments;
using Ddnn.Training.Reporting;
using Ddnn.Training.Reporting.Plots;
using Ddnn.Training.Tests.Data;
using Ddnn.Training.Tests.Trainer;

namespace Ddnn.Training.Tests.Experiments;

public class PaperStudiesTests
{
    [Fact]
    public void PlanTrainsEachModelOnceAndReusesTheBaseModel()
    {
        var plan = TinyPaperRun.Runner.Plan;
        // MP-CC, its dropout twin, 8 other schemes, 1..2 devices (3 = base) at the first seed, 1..3 at the second, f=1 (f=2 = base).
        Assert.Equal(2 + 8 + 2 + 3 + 1, plan.Count);
        Assert.Equal("MP-CC", plan[0].Name);
        Assert.Equal(PaperRunner.ModelGroup.Base, plan[0].Group);
        Assert.Equal(TinyPaperRun.Settings.DeviceDropout, plan[1].DeviceDropout);
        Assert.Equal(plan.Count, plan.Select(p => p.Name).Distinct().Count());
        var seed = TinyPaperRun.Settings.Seed;
        Assert.All(plan.Where(p => p.Group != PaperRunner.ModelGroup.Devices), p => Assert.Equal(seed, p.Seed));
        var devices = plan.Where(p => p.Group == PaperRunner.ModelGroup.Devices).Select(p => (p.Config.Devices, p.Seed)).ToArray();
        Assert.Equal([(1, seed), (2, seed), (1, seed + 1), (2, seed + 1), (3, seed + 1)], devices);
        var orders = ViewSelection.CameraOrders(3, 2, seed);
        foreach (var p in plan.Where(p => p.Group == PaperRunner.ModelGroup.Devices))
        {
            // A prefix of the seed's camera order; every camera: all views in their own order.
            var order = orders[(int)(p.Seed - seed)];
            if (p.Config.Devices == 3) Assert.Null(p.Views);
            else Assert.Equal(order[..p.Config.Devices], p.Views);
        }
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
        Assert.Contains("mean of 2 training seeds", study.Table.Title);
        Assert.IsType<LinePlot>(study.Plot);
        AssertPercentages(study.Table);
        for (var r = 0; r < 3; r++)
        {
            // mean, min and max over the seeds: min <= mean <= max
            var (mean, min, max) = ((double)study.Table[r, 5]!, (double)study.Table[r, 6]!, (double)study.Table[r, 7]!);
            Assert.InRange(mean, min - 1e-9, max + 1e-9);
        }
    }

    [Fact]
    public void DevicesStudyAveragesTheSeedsOfEachCount()
    {
        var baseModel = TinyPaperRun.Model;
        var other = TrainedModel.Train("MP-CC seed 9", TinyPaperRun.BaseConfig, TinyRuns.Small, TinyPaperRun.Settings with { Seed = 9 });
        var study = PaperStudies.Devices([[baseModel, other]]);
        Assert.Equal(1, study.Table.RowCount);
        Assert.Equal(100 * (baseModel.Calibrated.Test.Accuracy + other.Calibrated.Test.Accuracy) / 2, (double)study.Table[0, 5]!, 9);
        Assert.Equal(100 * (baseModel.CloudAccuracy + other.CloudAccuracy) / 2, (double)study.Table[0, 2]!, 9);
        Assert.Equal(100 * Math.Min(baseModel.Calibrated.Test.Accuracy, other.Calibrated.Test.Accuracy), (double)study.Table[0, 6]!, 9);
        Assert.Equal(100 * Math.Max(baseModel.Calibrated.Test.Accuracy, other.Calibrated.Test.Accuracy), (double)study.Table[0, 7]!, 9);
        Assert.False(study.Findings.Single().Holds); // a single device count is no trend
        Assert.Throws<ArgumentException>(() => PaperStudies.Devices([[baseModel, other], [baseModel]]));
        Assert.Throws<ArgumentException>(() => PaperStudies.Devices([]));
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
            var config = PaperStudies.WithFilters(TinyPaperRun.BaseConfig, f);
            var ledger = new Core.Inference.CommunicationLedger(config);
            Assert.Equal(ledger.DeviceMemoryBits, (long)study.Table[r, 1]!);
            var local = (double)study.Table[r, 5]! / 100;
            Assert.Equal(ledger.BytesPerDevice(local), (double)study.Table[r, 2]!, 9);
            var wire = WireBytes.PerDevice(config, local);
            Assert.Equal(wire.Float32, (double)study.Table[r, 3]!, 9);
            Assert.Equal(wire.UInt8, (double)study.Table[r, 4]!, 9);
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
        for (var c = 4; c <= 6; c++) Assert.True((double)raw.Table[2, c]! > 1); // the cascade sends less than raw offload, by formula and real sizes
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
    public void SelectKeepsSamplesLabelsAndTheChosenViewsInOrder()
    {
        var data = TinyRuns.Small.Test;
        var two = ViewSelection.Select(data, [2, 0]);
        Assert.Equal(2, two.ViewCount);
        Assert.Equal(data.Count, two.Count);
        for (var i = 0; i < data.Count; i++)
        {
            Assert.Equal(data.GetLabel(i), two.GetLabel(i));
            Assert.True(data.GetView(i, 2).SequenceEqual(two.GetView(i, 0)));
            Assert.True(data.GetView(i, 0).SequenceEqual(two.GetView(i, 1)));
            Assert.Equal(data.GetViewLabel(i, 2), two.GetViewLabel(i, 0));
            Assert.Equal(data.GetViewLabel(i, 0), two.GetViewLabel(i, 1));
        }
        Assert.Same(data, ViewSelection.Select(data, [0, 1, 2]));
        Assert.NotSame(data, ViewSelection.Select(data, [1, 0, 2]));
        Assert.Throws<ArgumentException>(() => ViewSelection.Select(data, []));
        Assert.Throws<ArgumentException>(() => ViewSelection.Select(data, [1, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ViewSelection.Select(data, [data.ViewCount]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ViewSelection.Select(data, [-1]));
    }

    [Fact]
    public void CameraOrdersAreRotationsOfOneSeededPermutation()
    {
        for (ulong seed = 0; seed < 20; seed++)
        {
            var orders = ViewSelection.CameraOrders(6, 3, seed);
            Assert.Equal(3, orders.Length);
            Assert.All(orders, o => Assert.Equal([0, 1, 2, 3, 4, 5], o.Order()));
            // Rotated by 0, 2 and 4: three different single cameras, and each order is the first one shifted.
            Assert.Equal(orders[0][2..].Concat(orders[0][..2]), orders[1]);
            Assert.Equal(orders[0][4..].Concat(orders[0][..4]), orders[2]);
            Assert.Equal(3, orders.Select(o => o[0]).Distinct().Count());
            Assert.Equal(orders, ViewSelection.CameraOrders(6, 3, seed));
        }
        // As many seeds as cameras: every camera is the single device once.
        Assert.Equal([0, 1, 2, 3, 4, 5], ViewSelection.CameraOrders(6, 6, 7).Select(o => o[0]).Order());
        // The base order depends on the seed.
        Assert.True(Enumerable.Range(0, 20).Select(s => ViewSelection.CameraOrders(6, 1, (ulong)s)[0][0]).Distinct().Count() > 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => ViewSelection.CameraOrders(0, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ViewSelection.CameraOrders(6, 0, 1));
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

using System.Diagnostics;
using System.Globalization;
using Ddnn.Training.Data;
using Ddnn.Training.Reporting;

namespace Ddnn.Bench.Cli.Verbs;

/// <summary><c>ddnn data</c>: loads a data set and prints its splits, classes, views and raw-offload size.</summary>
public sealed class DataVerb : ICliVerb
{
    public string Name => "data";
    public string Summary => "load a data set and print a summary of its splits, classes and views";

    public IReadOnlyList<CliOption> Options { get; } = ExperimentOptions.DataOptions;

    public int Run(CliArguments arguments, CliContext context)
    {
        var stopwatch = Stopwatch.StartNew();
        context.Cancellation.ThrowIfCancellationRequested();
        var (source, splits) = ExperimentOptions.Load(arguments, context);
        stopwatch.Stop();
        context.Cancellation.ThrowIfCancellationRequested();
        Print(context.Out, source, splits, stopwatch.Elapsed);
        return CliApp.ExitSuccess;
    }

    private static void Print(TextWriter output, DatasetSource source, DataSplits splits, TimeSpan loadTime)
    {
        var inv = CultureInfo.InvariantCulture;
        var train = splits.Train;
        MultiViewDataset[] all = [splits.Train, splits.Validation, splits.Test];

        var summary = new ResultTable($"data set {source}", [ResultColumn.Text("property"), ResultColumn.Text("value")])
            .AddRow("load time", string.Create(inv, $"{loadTime.TotalSeconds:0.00} s"))
            .AddRow("views (devices)", train.ViewCount.ToString(inv))
            .AddRow("view shape", $"{train.Channels}x{train.Height}x{train.Width} float32")
            .AddRow("raw offload", $"{train.RawBytesPerDevicePerSample} bytes per device per sample (8-bit)")
            .AddRow("classes", $"{train.ClassCount}: {string.Join(", ", train.ClassNames)}");
        output.Write(summary.ToConsoleString());
        output.WriteLine();

        var counts = new ResultTable("samples per class",
            [ResultColumn.Text("split"), ResultColumn.Number("samples"), .. train.ClassNames.Select(c => ResultColumn.Number(c))]);
        foreach (var split in all)
            counts.AddRow([SplitName(split), split.Count, .. split.ClassCounts().Select(c => (object?)c)]);
        output.Write(counts.ToConsoleString());
        output.WriteLine();

        var visible = new ResultTable("fraction of samples in which the object is visible, per device",
            [ResultColumn.Text("split"), .. Enumerable.Range(0, train.ViewCount).Select(d => ResultColumn.Number($"dev{d}", "F3"))]);
        foreach (var split in all)
        {
            visible.AddRow([SplitName(split), .. Enumerable.Range(0, split.ViewCount).Select(d =>
                split.Count == 0 ? null : (object?)split.VisibleFraction(d))]);
        }
        output.Write(visible.ToConsoleString());
    }

    private static string SplitName(MultiViewDataset split)
    {
        int slash = split.Name.IndexOf('/');
        return slash < 0 ? split.Name : split.Name[(slash + 1)..];
    }
}

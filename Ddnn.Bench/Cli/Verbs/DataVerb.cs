using System.Diagnostics;
using System.Globalization;
using Ddnn.Training.Cli;
using Ddnn.Training.Data;
using Ddnn.Training.Reporting;

namespace Ddnn.Bench.Cli.Verbs;

/// <summary><c>ddnn data</c>: loads a data set and prints its splits, classes, views and raw-offload size.</summary>
public sealed class DataVerb : ICliVerb
{
    public string Name => "data";
    public string Summary => "load a data set and print a summary of its splits, classes and views";

    public IReadOnlyList<CliOption> Options { get; } =
    [
        DatasetOptions.Dataset,
        DatasetOptions.Seed,
        DatasetOptions.TrainCount,
        DatasetOptions.ValidationCount,
        DatasetOptions.TestCount,
        DatasetOptions.MaxSamples,
    ];

    public int Run(CliArguments arguments, CliContext context)
    {
        var (source, loadOptions) = DatasetOptions.Read(arguments, context);
        var stopwatch = Stopwatch.StartNew();
        context.Cancellation.ThrowIfCancellationRequested();
        var splits = source.Load(loadOptions, context.Cancellation);
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

        new TextTable("property", "value")
            .AddRow("dataset", source.ToString())
            .AddRow("load time", string.Create(inv, $"{loadTime.TotalSeconds:0.00} s"))
            .AddRow("views (devices)", train.ViewCount.ToString(inv))
            .AddRow("view shape", $"{train.Channels}x{train.Height}x{train.Width} float32")
            .AddRow("raw offload", $"{train.RawBytesPerDevicePerSample} bytes per device per sample (8-bit)")
            .AddRow("classes", $"{train.ClassCount}: {string.Join(", ", train.ClassNames)}")
            .Write(output);
        output.WriteLine();

        var counts = new TextTable(["split", "samples", .. train.ClassNames]);
        foreach (var split in all)
            counts.AddRow([SplitName(split), split.Count.ToString(inv), .. split.ClassCounts().Select(c => c.ToString(inv))]);
        output.WriteLine("samples per class");
        counts.Write(output, "  ");
        output.WriteLine();

        var devices = Enumerable.Range(0, train.ViewCount).Select(d => $"dev{d}").ToArray();
        var visible = new TextTable(["split", .. devices]);
        foreach (var split in all)
        {
            visible.AddRow([SplitName(split), .. Enumerable.Range(0, split.ViewCount).Select(d =>
                split.Count == 0 ? "-" : split.VisibleFraction(d).ToString("0.000", inv))]);
        }
        output.WriteLine("fraction of samples in which the object is visible, per device");
        visible.Write(output, "  ");
    }

    private static string SplitName(MultiViewDataset split)
    {
        int slash = split.Name.IndexOf('/');
        return slash < 0 ? split.Name : split.Name[(slash + 1)..];
    }
}

using Ddnn.Bench.Cli;
using Ddnn.Bench.Cli.Verbs;
using Ddnn.Training.Cli;
using Ddnn.Training.Reporting;

namespace Ddnn.Bench;

/// <summary>Command-line front door of Ddnn.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        // First Ctrl+C asks the verb to stop cleanly; a second one terminates the process.
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cancellation.IsCancellationRequested)
                return;
            e.Cancel = true;
            cancellation.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            var app = new CliApp("ddnn", "Distributed Deep Neural Networks over devices, edge and cloud", VerbRegistry.All());
            bool interactive = ProgressReporter.IsInteractive(Console.IsOutputRedirected);
            return app.Run(BenchVerb.AcceptPositionalSuite(args), Console.Out, Console.Error, cancellation.Token, interactive);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}

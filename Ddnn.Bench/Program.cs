using Ddnn.Bench.Cli;
using Ddnn.Bench.Cli.Verbs;
using Ddnn.Training.Reporting;

namespace Ddnn.Bench;

/// <summary>Command-line front door of Ddnn.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        // bench serve hosts the embedded broker in this process: it runs as a served process does.
        if (args.Length > 0 && (args[0] == ServeVerb.VerbName || (args[0] == BenchVerb.VerbName && args.Contains(BenchVerb.ServeSuite)))) ServeVerb.ConfigureThreadPool();
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
            bool interactive = ProgressReporter.IsInteractive(Console.IsOutputRedirected);
            return Run(args, Console.Out, Console.Error, cancellation.Token, interactive);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>The <c>ddnn</c> application: every verb of <see cref="VerbRegistry"/>.</summary>
    public static CliApp CreateApp() =>
        new("ddnn", "Distributed Deep Neural Networks over devices, edge and cloud", VerbRegistry.All(), VerbRegistry.Retired);

    /// <summary>
    /// Runs one <c>ddnn</c> command line in process, writing to <paramref name="output"/> and <paramref name="error"/>;
    /// returns the exit code. <paramref name="environment"/> reads variables (DDNN_DEBUG); defaults to the process environment.
    /// </summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellation = default,
        bool interactive = false, Func<string, string?>? environment = null) =>
        CreateApp().Run(ServeVerb.AcceptPositionalTier(BenchVerb.AcceptPositionalSuite(args)), output, error, cancellation, interactive, environment);
}

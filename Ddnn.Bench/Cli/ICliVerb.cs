namespace Ddnn.Bench.Cli;

/// <summary>One verb of the <c>ddnn</c> command line (data, train, eval, ...).</summary>
public interface ICliVerb
{
    /// <summary>The word typed after <c>ddnn</c>, lower case.</summary>
    string Name { get; }

    /// <summary>One line shown in the verb list.</summary>
    string Summary { get; }

    IReadOnlyList<CliOption> Options { get; }

    /// <summary>Runs the verb; returns the process exit code. Throw <see cref="CliUsageException"/> for a bad option value found late.</summary>
    int Run(CliArguments arguments, CliContext context);
}

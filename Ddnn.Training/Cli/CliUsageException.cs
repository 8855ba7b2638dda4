namespace Ddnn.Training.Cli;

/// <summary>A command line that cannot be run as written (unknown verb/option, bad value); reported as one line with exit code 2.</summary>
public sealed class CliUsageException : Exception
{
    public CliUsageException(string message)
        : base(message)
    {
    }

    public CliUsageException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>The standard message for an option value that is not valid.</summary>
    public static CliUsageException BadValue(CliOption option, string value) =>
        new($"--{option.Name} expects {option.Expectation}, got '{value}'");

    /// <summary>An option value that parsed but was rejected later, e.g. an unknown dataset name.</summary>
    public static CliUsageException BadValue(string optionName, string value, string reason) =>
        new($"--{optionName} '{value}': {reason}");
}

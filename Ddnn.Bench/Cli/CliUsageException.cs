namespace Ddnn.Bench.Cli;

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

    /// <summary>
    /// A file that could not be used for <paramref name="action"/> (e.g. "load"): the reader's own message, which
    /// already names the file when it comes from the file checks, prefixed with the path only when it does not.
    /// </summary>
    public static CliUsageException CannotUse(string action, string path, Exception reason) =>
        new(reason.Message.Contains(path, StringComparison.Ordinal)
            ? $"cannot {action}: {reason.Message}"
            : $"cannot {action} {path}: {reason.Message}", reason);

    /// <summary>An option value that parsed but was rejected later, e.g. an unknown dataset name.</summary>
    public static CliUsageException BadValue(string optionName, string value, string reason) =>
        new($"--{optionName} '{value}': {reason}");
}

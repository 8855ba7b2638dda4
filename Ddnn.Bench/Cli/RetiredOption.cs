namespace Ddnn.Bench.Cli;

/// <summary>
/// An option name that was renamed: given to a verb that declares <paramref name="Replacement"/> but not
/// <paramref name="Name"/>, it is refused with <paramref name="Message"/> instead of "unknown option", so an old command
/// line says what to type now.
/// </summary>
public sealed record RetiredOption(string Name, string Replacement, string Message);

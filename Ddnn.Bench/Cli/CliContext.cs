namespace Ddnn.Bench.Cli;

/// <summary>What a running verb may use: output streams, the Ctrl+C token and whether to be verbose.</summary>
/// <param name="Interactive">True when <paramref name="Out"/> is a terminal (not redirected, not CI), so progress may animate.</param>
public sealed record CliContext(TextWriter Out, TextWriter Error, CancellationToken Cancellation, bool Verbose, bool Interactive);

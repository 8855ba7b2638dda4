namespace Ddnn.Training.Reporting;

/// <summary>
/// Console progress for long runs: what is running, i/n and %, rate and ETA. On a terminal one line is
/// redrawn in place (at most ~10 times a second); when output is redirected or CI=true, plain lines are
/// written at a modest rate (every <see cref="PlainInterval"/>) so logs stay readable.
/// </summary>
public sealed class ProgressReporter
{
    private static readonly TimeSpan InteractiveInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>A reporter writing to <paramref name="output"/>.</summary>
    /// <param name="output">Where progress lines go (the verbs pass their console output).</param>
    /// <param name="interactive">True redraws one line in place; false writes plain lines at most every <paramref name="plainInterval"/>.</param>
    /// <param name="time">Clock for rates, ETAs and rate limiting; tests pass a fake one. Null means the system clock.</param>
    /// <param name="plainInterval">Minimum time between plain lines; null means 5 seconds. Must not be negative.</param>
    public ProgressReporter(TextWriter output, bool interactive, TimeProvider? time = null, TimeSpan? plainInterval = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (plainInterval is { } interval && interval < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(plainInterval), $"plainInterval must be >= 0, got {interval}");
        Output = output;
        Interactive = interactive;
        Time = time ?? TimeProvider.System;
        PlainInterval = plainInterval ?? TimeSpan.FromSeconds(5);
    }

    /// <summary>True when output goes to a terminal and the CI variable is not "true"/"1".</summary>
    public static bool IsInteractive(bool outputRedirected, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        string? ci = environment("CI");
        bool inCi = ci is not null && (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1");
        return !outputRedirected && !inCi;
    }

    /// <summary>Where progress lines are written.</summary>
    public TextWriter Output { get; }
    /// <summary>True when the line is redrawn in place (a terminal), false for plain rate-limited lines (logs, CI).</summary>
    public bool Interactive { get; }
    /// <summary>The clock that times tasks and limits the print rate.</summary>
    public TimeProvider Time { get; }

    /// <summary>Minimum time between plain (non-interactive) progress lines.</summary>
    public TimeSpan PlainInterval { get; }

    /// <summary>Starts reporting a task of <paramref name="total"/> steps (0 or less when unknown).</summary>
    public ProgressTask Start(string what, long total, string unit = "it")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(what);
        ArgumentException.ThrowIfNullOrWhiteSpace(unit);
        return new ProgressTask(this, what, total, unit);
    }

    internal TimeSpan MinimumInterval => Interactive ? InteractiveInterval : PlainInterval;
}

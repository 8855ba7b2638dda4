using System.Globalization;
using System.Text;

namespace Ddnn.Training.Reporting;

/// <summary>One running task of a <see cref="ProgressReporter"/>; report steps with <see cref="Report"/>, finish with <see cref="Complete"/> or Dispose.</summary>
public sealed class ProgressTask : IDisposable
{
    private readonly ProgressReporter _reporter;
    private readonly long _start;
    private long _lastPrint;
    private int _lastLineLength;
    private bool _completed;

    internal ProgressTask(ProgressReporter reporter, string what, long total, string unit)
    {
        _reporter = reporter;
        What = what;
        Total = total;
        Unit = unit;
        _start = reporter.Time.GetTimestamp();
        _lastPrint = _start;
        Write(FormatLine(0, TimeSpan.Zero, null, done: false), final: false);
    }

    /// <summary>What is running, the start of every progress line (e.g. "training models").</summary>
    public string What { get; }

    /// <summary>Total steps, or 0 or less when unknown.</summary>
    public long Total { get; }
    /// <summary>Name of one step in the rate column (e.g. "it", "device-epochs").</summary>
    public string Unit { get; }
    /// <summary>Steps done so far; set to <see cref="Total"/> on completion when the total is known.</summary>
    public long Completed { get; private set; }

    /// <summary>Records that <paramref name="completed"/> steps are done; prints when enough time has passed since the last line.</summary>
    public void Report(long completed, string? detail = null)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(completed);
        Completed = completed;
        long now = _reporter.Time.GetTimestamp();
        if (_reporter.Time.GetElapsedTime(_lastPrint, now) < _reporter.MinimumInterval)
            return;
        _lastPrint = now;
        Write(FormatLine(completed, _reporter.Time.GetElapsedTime(_start, now), detail, done: false), final: false);
    }

    /// <summary>Records <paramref name="steps"/> more steps as done (see <see cref="Report"/>).</summary>
    public void Increment(long steps = 1, string? detail = null) => Report(Completed + steps, detail);

    /// <summary>Prints the final line (always, regardless of rate limiting).</summary>
    public void Complete(string? detail = null)
    {
        if (_completed)
            return;
        if (Total > 0 && Completed < Total)
            Completed = Total;
        var elapsed = _reporter.Time.GetElapsedTime(_start);
        Write(FormatLine(Completed, elapsed, detail, done: true), final: true);
        _completed = true;
    }

    /// <summary>Completes the task (see <see cref="Complete"/>) if it has not been completed yet.</summary>
    public void Dispose() => Complete();

    internal string FormatLine(long completed, TimeSpan elapsed, string? detail, bool done)
    {
        var line = new StringBuilder(What);
        var inv = CultureInfo.InvariantCulture;
        if (Total > 0)
        {
            int width = Total.ToString(inv).Length;
            line.Append(inv, $"  {completed.ToString(inv).PadLeft(width)}/{Total}  {100.0 * completed / Total,5:F1}%");
        }
        else
        {
            line.Append(inv, $"  {completed}");
        }
        double seconds = elapsed.TotalSeconds;
        if (seconds > 0 && completed > 0)
        {
            double rate = completed / seconds;
            line.Append(inv, $"  {FormatRate(rate)} {Unit}/s");
            if (!done && Total > 0 && completed < Total)
                line.Append("  ETA ").Append(FormatDuration(TimeSpan.FromSeconds((Total - completed) / rate)));
        }
        if (done)
            line.Append("  done in ").Append(FormatDuration(elapsed));
        if (!string.IsNullOrEmpty(detail))
            line.Append("  ").Append(detail);
        return line.ToString();
    }

    /// <summary>Compact duration: "12.3s", "2m05s", "3h07m".</summary>
    public static string FormatDuration(TimeSpan span)
    {
        var inv = CultureInfo.InvariantCulture;
        if (span.TotalSeconds < 60)
            return span.TotalSeconds.ToString("0.0", inv) + "s";
        if (span.TotalHours < 1)
            return string.Format(inv, "{0}m{1:00}s", (int)span.TotalMinutes, span.Seconds);
        return string.Format(inv, "{0}h{1:00}m", (int)span.TotalHours, span.Minutes);
    }

    private static string FormatRate(double rate) => rate switch
    {
        >= 100 => rate.ToString("0", CultureInfo.InvariantCulture),
        >= 10 => rate.ToString("0.0", CultureInfo.InvariantCulture),
        _ => rate.ToString("0.00", CultureInfo.InvariantCulture),
    };

    private void Write(string line, bool final)
    {
        var output = _reporter.Output;
        if (_reporter.Interactive)
        {
            // Redraw in place; pad to erase the tail of a longer previous line.
            output.Write('\r');
            output.Write(line.PadRight(_lastLineLength));
            _lastLineLength = line.Length;
            if (final)
                output.WriteLine();
        }
        else
        {
            output.WriteLine(line);
        }
        output.Flush();
    }
}

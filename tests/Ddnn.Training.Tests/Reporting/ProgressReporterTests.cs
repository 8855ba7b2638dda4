using Ddnn.Training.Reporting;

namespace Ddnn.Training.Tests.Reporting;

public class ProgressReporterTests
{
    /// <summary>A clock that only moves when told to.</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => _ticks;
        public void Advance(double seconds) => _ticks += (long)(seconds * TimeSpan.TicksPerSecond);
    }

    [Fact]
    public void Plain_mode_prints_whole_lines_at_a_modest_rate_with_rate_and_eta()
    {
        var time = new ManualTime();
        var output = new StringWriter();
        var reporter = new ProgressReporter(output, interactive: false, time, plainInterval: TimeSpan.FromSeconds(5));
        var task = reporter.Start("epoch 1", 100, "batch");
        for (int i = 1; i <= 40; i++)
        {
            time.Advance(0.25);
            task.Report(i);
        }
        task.Complete("loss 0.42");
        string[] lines = output.ToString().TrimEnd('\n').Split('\n');
        Assert.DoesNotContain('\r', output.ToString());
        // Start line, one line per 5 s (at 5 s = 20 batches and 10 s = 40 batches), final line.
        Assert.Equal(4, lines.Length);
        Assert.Equal("epoch 1    0/100    0.0%", lines[0]);
        Assert.Equal("epoch 1   20/100   20.0%  4.00 batch/s  ETA 20.0s", lines[1]);
        Assert.Equal("epoch 1   40/100   40.0%  4.00 batch/s  ETA 15.0s", lines[2]);
        Assert.Equal("epoch 1  100/100  100.0%  10.0 batch/s  done in 10.0s  loss 0.42", lines[3]);
    }

    [Fact]
    public void Interactive_mode_redraws_one_line_in_place()
    {
        var time = new ManualTime();
        var output = new StringWriter();
        var reporter = new ProgressReporter(output, interactive: true, time);
        using (var task = reporter.Start("eval", 3))
        {
            time.Advance(1);
            task.Report(1, "a much longer detail text");
            time.Advance(0.01);
            task.Report(2); // within 100 ms: not drawn
            time.Advance(1);
            task.Report(2);
        }
        string text = output.ToString();
        Assert.Equal(4, text.Count(c => c == '\r'));
        Assert.EndsWith("\n", text);
        Assert.Single(text.TrimEnd('\n').Split('\n'));
        string[] frames = text.TrimEnd('\n').Split('\r', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("eval  1/3   33.3%  1.00 it/s  ETA 2.0s  a much longer detail text", frames[1]);
        // The shorter frame after a long one is padded to erase it.
        Assert.Equal(frames[1].Length, frames[2].Length);
        Assert.StartsWith("eval  3/3  100.0%", frames[3]);
    }

    [Fact]
    public void Unknown_total_shows_count_and_rate_only()
    {
        var time = new ManualTime();
        var output = new StringWriter();
        var task = new ProgressReporter(output, false, time, TimeSpan.Zero).Start("scan", 0, "file");
        time.Advance(2);
        task.Report(500);
        Assert.Contains("scan  500  250 file/s", output.ToString());
        Assert.DoesNotContain("ETA", output.ToString());
    }

    [Fact]
    public void Long_durations_are_formatted_in_minutes_and_hours()
    {
        Assert.Equal("59.0s", ProgressTask.FormatDuration(TimeSpan.FromSeconds(59)));
        Assert.Equal("2m05s", ProgressTask.FormatDuration(TimeSpan.FromSeconds(125)));
        Assert.Equal("3h07m", ProgressTask.FormatDuration(TimeSpan.FromMinutes(187)));
    }

    [Theory]
    [InlineData(false, null, true)]
    [InlineData(true, null, false)]
    [InlineData(false, "true", false)]
    [InlineData(false, "1", false)]
    [InlineData(false, "false", true)]
    public void Interactive_only_on_a_terminal_outside_ci(bool redirected, string? ci, bool expected) =>
        Assert.Equal(expected, ProgressReporter.IsInteractive(redirected, name => name == "CI" ? ci : null));

    [Fact]
    public void Reporting_after_completion_or_backwards_input_is_rejected()
    {
        var task = new ProgressReporter(TextWriter.Null, false, new ManualTime()).Start("x", 10);
        Assert.Throws<ArgumentOutOfRangeException>(() => task.Report(-1));
        task.Complete();
        task.Complete(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => task.Report(1));
    }
}

using System.Globalization;
using Ddnn.Training.Reporting;
using Ddnn.Training.Reporting.Plots;

namespace Ddnn.Bench.Serving;

/// <summary>
/// One step of <c>ddnn bench serve</c>: K deployments on one broker at one offered rate (all deployments together).
/// CPU shares are of one core for a process group and of every core for the machine, over the step's window.
/// </summary>
public sealed record ServeLoadStep
{
    public required string Broker { get; init; }
    public required int Deployments { get; init; }
    public required double OfferedRate { get; init; }
    /// <summary>Samples ticked in the step, all deployments.</summary>
    public required long Offered { get; init; }
    public required double AnsweredPerSecond { get; init; }
    /// <summary>End-to-end latency (due to answer) of the answered samples; NaN when none was answered.</summary>
    public required double P50Ms { get; init; }
    public required double P99Ms { get; init; }
    /// <summary>Samples without an answer by any tier (none at all, or given up).</summary>
    public required long Unanswered { get; init; }
    /// <summary>Answered, but by a fallback or without some device's scores.</summary>
    public required long Degraded { get; init; }
    /// <summary>The broker process's CPU, share of one core (the embedded broker: the benchmark process that hosts it).</summary>
    public double? BrokerCpu { get; init; }
    /// <summary>Every tier process's CPU (aggregators, clouds, load generators), in cores.</summary>
    public double? ClientsCpu { get; init; }
    /// <summary>The whole machine's busy share of all its cores (other users' processes included).</summary>
    public double? MachineCpu { get; init; }
    /// <summary>The latest start of this step over the deployments, ms after its time (a previous step that ran over).</summary>
    public double StartedLateMs { get; init; }

    public LoadStepOutcome Outcome => new(OfferedRate, Unanswered, P99Ms);
}

/// <summary>What <c>ddnn bench serve</c> reports: every step, the knee per broker and K, what saturates first, the p99 plot.</summary>
public static class ServeLoadReport
{
    /// <summary>A CPU share at or above this counts as saturated (of one core for the broker, of all cores for the machine).</summary>
    public const double Saturated = 0.9;

    /// <summary>
    /// What runs out first at <paramref name="step"/> (the step above the knee): the broker when its process uses at
    /// least 90% of a core (mosquitto is one thread, so that is all it can use), else the cores when the machine is
    /// at least 90% busy, else the clients (the tier processes: their own queues and waits, with CPU to spare).
    /// </summary>
    public static string Saturation(ServeLoadStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        var inv = CultureInfo.InvariantCulture;
        if (step.BrokerCpu is { } b && b >= Saturated) return string.Create(inv, $"broker ({b:P0} of a core)");
        if (step.MachineCpu is { } m && m >= Saturated) return string.Create(inv, $"cores (machine {m:P0} busy)");
        return string.Create(inv, $"clients (broker {step.BrokerCpu:P0} of a core, machine {step.MachineCpu:P0})");
    }

    /// <summary>Every step, in run order.</summary>
    public static ResultTable StepTable(IEnumerable<ServeLoadStep> steps, string? footnote = null)
    {
        ArgumentNullException.ThrowIfNull(steps);
        var table = new ResultTable("ddnn bench serve: every step (K deployments of 6 devices on one broker)",
        [
            ResultColumn.Text("broker"), ResultColumn.Number("K"), ResultColumn.Number("offered", "F0", "samples/s"),
            ResultColumn.Number("answered", "F0", "samples/s"), ResultColumn.Number("p50", "F2", "ms"), ResultColumn.Number("p99", "F2", "ms"),
            ResultColumn.Number("samples"), ResultColumn.Number("unanswered"), ResultColumn.Number("degraded"),
            ResultColumn.Number("broker CPU", "P0", "of a core"), ResultColumn.Number("tiers CPU", "F2", "cores"), ResultColumn.Number("machine CPU", "P0", "of all cores"),
            ResultColumn.Number("late start", "F0", "ms"),
        ], footnote);
        foreach (var s in steps)
            table.AddRow(s.Broker, s.Deployments, s.OfferedRate, s.AnsweredPerSecond, Finite(s.P50Ms), Finite(s.P99Ms), s.Offered, s.Unanswered, s.Degraded,
                s.BrokerCpu, s.ClientsCpu, s.MachineCpu, s.StartedLateMs);
        return table;
    }

    /// <summary>
    /// The knee of each broker and K (steps grouped in run order): the rate claimed, its figures, what saturates first
    /// above it, and the same rule without the latency limit (the highest rate below the first step that lost a sample).
    /// </summary>
    public static ResultTable KneeTable(IEnumerable<ServeLoadStep> steps, string? footnote = null)
    {
        ArgumentNullException.ThrowIfNull(steps);
        var table = new ResultTable($"ddnn bench serve: the knee per broker and K (highest rate whose next step up shows unanswered samples or p99 above {LoadKnee.P99LimitMs} ms)",
        [
            ResultColumn.Text("broker"), ResultColumn.Number("K"), ResultColumn.Text("knee", ColumnAlignment.Right),
            ResultColumn.Number("answered", "F0", "samples/s"), ResultColumn.Number("p50", "F2", "ms"), ResultColumn.Number("p99", "F2", "ms"),
            ResultColumn.Number("broker CPU", "P0", "of a core"), ResultColumn.Number("machine CPU", "P0", "of all cores"), ResultColumn.Text("saturates first"),
            ResultColumn.Text("no loss up to", ColumnAlignment.Right),
        ], footnote);
        foreach (var group in steps.GroupBy(s => (s.Broker, s.Deployments)))
        {
            var ladder = group.ToList();
            var knee = LoadKnee.Find([.. ladder.Select(s => s.Outcome)]);
            // The same rule without the latency limit: the highest rate before the first step that lost a sample.
            var lossless = Rate(ladder, LoadKnee.Find([.. ladder.Select(s => s.Outcome)], double.PositiveInfinity));
            if (knee.Index is not { } i)
            {
                table.AddRow(group.Key.Broker, group.Key.Deployments, Rate(ladder, knee), null, null, null, null, null, Saturation(ladder[0]), lossless);
                continue;
            }
            var at = ladder[i];
            table.AddRow(group.Key.Broker, group.Key.Deployments, Rate(ladder, knee), at.AnsweredPerSecond,
                Finite(at.P50Ms), Finite(at.P99Ms), at.BrokerCpu, at.MachineCpu,
                knee.Bounded ? Saturation(ladder[i + 1]) : "nothing within the ladder", lossless);
        }
        return table;
    }

    /// <summary>Offered rate against p99, one line per broker and K, and the 20 ms limit.</summary>
    public static LinePlot P99Plot(IReadOnlyList<ServeLoadStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        var series = new List<PlotSeries>();
        foreach (var group in steps.GroupBy(s => (s.Broker, s.Deployments)))
        {
            var points = group.Where(s => double.IsFinite(s.P99Ms) && s.P99Ms > 0).ToList();
            if (points.Count == 0) continue;
            series.Add(new PlotSeries(string.Create(CultureInfo.InvariantCulture, $"{group.Key.Broker}, K={group.Key.Deployments}"),
                [.. points.Select(p => p.OfferedRate)], [.. points.Select(p => p.P99Ms)]));
        }
        if (steps.Count > 0)
            series.Add(new PlotSeries($"{LoadKnee.P99LimitMs} ms limit", [steps.Min(s => s.OfferedRate), steps.Max(s => s.OfferedRate)], [LoadKnee.P99LimitMs, LoadKnee.P99LimitMs]));
        // The ladder's rates and the p99s both span decades (50 to 5,000 samples/s, a few ms to seconds past the knee).
        return new LinePlot("ddnn bench serve: p99 end-to-end latency against offered rate", "offered samples/s (all deployments)", "p99 latency, ms", series, logX: true, logY: true);
    }

    /// <summary>A knee as the table shows it: the rate, "≥ rate" when the ladder never broke, "below rate" when its first step did.</summary>
    private static string Rate(List<ServeLoadStep> ladder, LoadKnee knee) => knee.Index is { } i
        ? string.Create(CultureInfo.InvariantCulture, $"{(knee.Bounded ? "" : "≥ ")}{ladder[i].OfferedRate:0}")
        : string.Create(CultureInfo.InvariantCulture, $"below {ladder[0].OfferedRate:0}");

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;
}

using System.Globalization;

namespace Ddnn.Core.Serving;

/// <summary>
/// The log line a tier writes when it drops a message, at most one per reason per <see cref="IntervalMs"/>: a flood
/// of hostile or broken messages must be visible in the log without the log becoming the flood (or costing the tier
/// its time). Each line names the tier, the reason and the topic of the drop it reports, and how many drops of that
/// reason it held back since the previous line of that reason; the counters (<see cref="ServingCounters"/>) keep the
/// exact totals. Time comes from an <see cref="IServingClock"/>, so tests drive it.
/// </summary>
public sealed class DropLog
{
    private readonly string _tier;
    private readonly IServingClock _clock;
    private readonly Action<string> _write;
    private readonly double[] _lastAt;
    private readonly long[] _held;

    /// <summary>Lines for tier <paramref name="tier"/> go to <paramref name="write"/>, at most one per reason per <paramref name="intervalMs"/> of <paramref name="clock"/>.</summary>
    public DropLog(string tier, IServingClock clock, Action<string> write, double intervalMs = 1000)
    {
        ArgumentException.ThrowIfNullOrEmpty(tier);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(write);
        if (!(intervalMs >= 0) || double.IsInfinity(intervalMs)) throw new ArgumentOutOfRangeException(nameof(intervalMs), intervalMs, "must be finite and non-negative.");
        _tier = tier;
        _clock = clock;
        _write = write;
        IntervalMs = intervalMs;
        var reasons = Enum.GetValues<DropReason>().Length;
        _lastAt = new double[reasons];
        Array.Fill(_lastAt, double.NaN);
        _held = new long[reasons];
    }

    /// <summary>The shortest time between two lines of one reason.</summary>
    public double IntervalMs { get; }

    /// <summary>Drops of <paramref name="reason"/> held back since its last line (they are in the next one).</summary>
    public long HeldBack(DropReason reason) => _held[(int)reason];

    /// <summary>A message on <paramref name="topic"/> (null: no message, e.g. state a timer expired) was dropped for <paramref name="reason"/>.</summary>
    public void Dropped(DropReason reason, string? topic)
    {
        var r = (int)reason;
        var now = _clock.NowMs;
        // A clock that restarted (a simulated network's per-sample clock) counts as time passed, not as a line withheld forever.
        if (!double.IsNaN(_lastAt[r]) && now >= _lastAt[r] && now - _lastAt[r] < IntervalMs)
        {
            _held[r]++;
            return;
        }
        var held = _held[r];
        _lastAt[r] = now;
        _held[r] = 0;
        var line = string.Create(CultureInfo.InvariantCulture, $"{_tier}: dropped {reason} on {topic ?? "(no topic: expired state)"}");
        _write(held == 0 ? line : string.Create(CultureInfo.InvariantCulture, $"{line} (and {held} more {reason} since the last such line)"));
    }
}

using System.Globalization;

namespace Ddnn.Bench.Serving;

/// <summary>
/// The offered-rate ladder of <c>ddnn bench serve</c> as one local aggregator ticks it (<c>ddnn serve local
/// --rate-steps</c>): step i ticks <see cref="SamplesOf"/> samples at its rate, from <see cref="FirstIdOf"/>, and starts
/// <see cref="StartOf"/> seconds after the common go time, so that every deployment's step i runs in the same window.
/// Both the aggregator and the benchmark compute the layout here, so they agree on which ids belong to which step.
/// </summary>
public sealed class LoadLadder
{
    /// <summary>A ladder of <paramref name="rates"/> (samples/s, rising, each above 0), <paramref name="stepSeconds"/> of ticking each, <paramref name="gapSeconds"/> between steps for the last answers to come in.</summary>
    public LoadLadder(IReadOnlyList<double> rates, double stepSeconds, double gapSeconds, uint firstId)
    {
        ArgumentNullException.ThrowIfNull(rates);
        if (rates.Count == 0) throw new ArgumentException("a ladder needs at least one rate", nameof(rates));
        for (var i = 0; i < rates.Count; i++)
        {
            if (!(rates[i] > 0) || double.IsInfinity(rates[i])) throw new ArgumentOutOfRangeException(nameof(rates), rates[i], "every rate must be a finite number above 0");
            if (i > 0 && rates[i] <= rates[i - 1]) throw new ArgumentException($"the rates must rise: {rates[i - 1]} then {rates[i]}", nameof(rates));
        }
        if (!(stepSeconds > 0) || double.IsInfinity(stepSeconds)) throw new ArgumentOutOfRangeException(nameof(stepSeconds), stepSeconds, "must be a finite number of seconds above 0");
        if (!(gapSeconds >= 0) || double.IsInfinity(gapSeconds)) throw new ArgumentOutOfRangeException(nameof(gapSeconds), gapSeconds, "must be a finite, non-negative number of seconds");
        Rates = [.. rates];
        StepSeconds = stepSeconds;
        GapSeconds = gapSeconds;
        FirstId = firstId;
        if ((ulong)firstId + (ulong)Enumerable.Range(0, Rates.Count).Sum(SamplesOf) > uint.MaxValue)
            throw new ArgumentException("the ladder's samples do not fit 32-bit sample ids", nameof(rates));
    }

    public IReadOnlyList<double> Rates { get; }
    public double StepSeconds { get; }
    public double GapSeconds { get; }
    public uint FirstId { get; }
    public int Count => Rates.Count;

    /// <summary>Samples step <paramref name="step"/> ticks: its rate times the step's length, at least one.</summary>
    public long SamplesOf(int step) => Math.Max(1, (long)Math.Round(Rates[step] * StepSeconds));

    /// <summary>The first sample id of step <paramref name="step"/>.</summary>
    public uint FirstIdOf(int step)
    {
        var id = (long)FirstId;
        for (var i = 0; i < step; i++) id += SamplesOf(i);
        return (uint)id;
    }

    /// <summary>
    /// Seconds after the go time at which step <paramref name="step"/> starts ticking, <paramref name="tickPhase"/>
    /// (0 to 1) of one of its tick intervals late: deployments given phases spread over [0, 1) tick in turn, as
    /// independent deployments would, instead of all at the same instants.
    /// </summary>
    public double StartOf(int step, double tickPhase = 0)
    {
        if (!(tickPhase >= 0 && tickPhase < 1)) throw new ArgumentOutOfRangeException(nameof(tickPhase), tickPhase, "a tick phase is a fraction of a tick interval, from 0 up to 1");
        return step * (StepSeconds + GapSeconds) + tickPhase / Rates[step];
    }

    /// <summary>Seconds from the go time to the end of the last step's gap.</summary>
    public double TotalSeconds => Count * (StepSeconds + GapSeconds);

    /// <summary>The step sample id <paramref name="id"/> belongs to, or -1 (a warm-up id, or past the ladder).</summary>
    public int StepOf(long id)
    {
        if (id < FirstId) return -1;
        var start = (long)FirstId;
        for (var i = 0; i < Count; i++)
        {
            var n = SamplesOf(i);
            if (id < start + n) return i;
            start += n;
        }
        return -1;
    }

    /// <summary>Parses "r1,r2,..." (samples/s); a bad list is a <see cref="FormatException"/> saying what is wrong.</summary>
    public static double[] ParseRates(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var rates = new double[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out rates[i]) || !(rates[i] > 0) || double.IsInfinity(rates[i]))
                throw new FormatException($"'{parts[i]}' is not a rate above 0 (samples per second)");
            if (i > 0 && rates[i] <= rates[i - 1]) throw new FormatException($"the rates must rise: {parts[i - 1]} then {parts[i]}");
        }
        return rates;
    }
}

/// <summary>One step of a load ladder as the knee sees it.</summary>
public readonly record struct LoadStepOutcome(double OfferedRate, long Unanswered, double P99Ms);

/// <summary>The knee of a load curve: the rate a deployment claims.</summary>
/// <param name="Index">The knee step's index, or null when even the first step is over the limits.</param>
/// <param name="Bounded">True when a step above the knee broke the limits; false when every step kept them (the knee is then only a lower bound: the ladder stopped too early).</param>
public readonly record struct LoadKnee(int? Index, bool Bounded)
{
    /// <summary>The p99 end-to-end latency limit a step must keep, in milliseconds.</summary>
    public const double P99LimitMs = 20;

    /// <summary>True when a step keeps the limits: no unanswered sample and p99 at most <paramref name="p99LimitMs"/>.</summary>
    public static bool Keeps(LoadStepOutcome step, double p99LimitMs = P99LimitMs) => step.Unanswered == 0 && step.P99Ms <= p99LimitMs;

    /// <summary>
    /// The knee of <paramref name="steps"/> (ordered by rising offered rate): the highest step below the first one that
    /// shows unanswered samples or p99 above <paramref name="p99LimitMs"/> (the step whose next step up breaks the
    /// limits). A step that keeps the limits again above a broken one does not count: the claim stays below the first
    /// break. A p99 that is NaN (no answer at all) breaks the limit.
    /// </summary>
    public static LoadKnee Find(IReadOnlyList<LoadStepOutcome> steps, double p99LimitMs = P99LimitMs)
    {
        ArgumentNullException.ThrowIfNull(steps);
        for (var i = 1; i < steps.Count; i++)
            if (steps[i].OfferedRate <= steps[i - 1].OfferedRate)
                throw new ArgumentException($"steps must rise in offered rate: {steps[i - 1].OfferedRate} then {steps[i].OfferedRate}", nameof(steps));
        for (var i = 0; i < steps.Count; i++)
            if (!Keeps(steps[i], p99LimitMs)) return new LoadKnee(i == 0 ? null : i - 1, Bounded: true);
        return new LoadKnee(steps.Count == 0 ? null : steps.Count - 1, Bounded: false);
    }
}

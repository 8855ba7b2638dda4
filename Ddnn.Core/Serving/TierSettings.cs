using Ddnn.Core.Inference;

namespace Ddnn.Core.Serving;

/// <summary>How the local aggregator decides, waits and paces.</summary>
public sealed record AggregatorSettings
{
    /// <summary>A sample exits locally when the local exit's normalized entropy is strictly below this.</summary>
    public double LocalThreshold { get; init; } = 0.8;

    /// <summary>With edges: the edge level exits when its normalized entropy is strictly below this.</summary>
    public double EdgeThreshold { get; init; } = 0.8;

    /// <summary>How long after the tick the aggregator waits for the devices' scores.</summary>
    public double DeviceWaitMs { get; init; } = 20;

    /// <summary>With edges: how long the edges wait for their devices' maps (the first part of the edge stage's wait).</summary>
    public double EdgeMapWaitMs { get; init; } = 50;

    /// <summary>With edges: how much longer the aggregator waits for the edges' scores.</summary>
    public double EdgeScoreWaitMs { get; init; } = 50;

    /// <summary>How long after the cloud request the aggregator waits for the cloud's answer before it falls back.</summary>
    public double CloudWaitMs { get; init; } = 250;

    /// <summary>
    /// With cloud workers: how long after the cloud request (or, without a local exit, the tick) the aggregator waits
    /// for the maps of every online cloud input (devices, or edges) before it sends the self-contained request with
    /// those that arrived; the wait the one cloud makes itself otherwise (<see cref="FusionSettings.MapWaitMs"/>).
    /// </summary>
    public double CloudMapWaitMs { get; init; } = 100;

    /// <summary>The run id announced and put in every tag (non-zero; a new one per start, so messages of an earlier run are dropped).</summary>
    public uint RunId { get; init; } = 1;

    /// <summary>Samples in flight at once (at least 1).</summary>
    public int MaxInFlight { get; init; } = 1;

    /// <summary>
    /// With a rate: ticks go out in frames at most this often, each frame ticking every sample due by then (0: each
    /// sample when it is due). A frame's ticks leave in one pass, so a coalescing transport sends them, and the answers
    /// they cause, as a few bundles instead of a message each; a sample waits at most one period for its frame, and its
    /// latency counts from when it was due, so that wait is included.
    /// </summary>
    public double TickPeriodMs { get; init; }

    /// <summary>Checks the values; throws <see cref="ArgumentOutOfRangeException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (!(LocalThreshold >= 0)) throw new ArgumentOutOfRangeException(nameof(LocalThreshold), LocalThreshold, "local threshold must be non-negative.");
        if (!(EdgeThreshold >= 0)) throw new ArgumentOutOfRangeException(nameof(EdgeThreshold), EdgeThreshold, "edge threshold must be non-negative.");
        CheckWait(DeviceWaitMs, nameof(DeviceWaitMs));
        CheckWait(EdgeMapWaitMs, nameof(EdgeMapWaitMs));
        CheckWait(EdgeScoreWaitMs, nameof(EdgeScoreWaitMs));
        CheckWait(CloudWaitMs, nameof(CloudWaitMs));
        CheckWait(CloudMapWaitMs, nameof(CloudMapWaitMs));
        CheckWait(TickPeriodMs, nameof(TickPeriodMs));
        if (RunId == 0) throw new ArgumentOutOfRangeException(nameof(RunId), RunId, "run id 0 means 'no run'; use another.");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInFlight, 1, nameof(MaxInFlight));
    }

    internal static void CheckWait(double ms, string name)
    {
        if (!(ms >= 0) || double.IsInfinity(ms)) throw new ArgumentOutOfRangeException(name, ms, "must be a finite non-negative number of milliseconds.");
    }
}

/// <summary>How a device serves.</summary>
public sealed record DeviceSettings
{
    /// <summary>How class scores go to the aggregator; null: as the model was exported.</summary>
    public ScoreEncoding? Scores { get; init; }

    /// <summary>How many recent samples' feature maps the device keeps for a later request (at least 1; at least the aggregator's <see cref="AggregatorSettings.MaxInFlight"/>, or requests for the oldest samples in flight find nothing).</summary>
    public int KeptSamples { get; init; } = 64;

    /// <summary>How far (in sample ids) a tick may run ahead of the newest one before it needs a second tick near it to move the newest id (see <see cref="FusionSettings.AheadWindow"/>).</summary>
    public uint AheadWindow { get; init; } = 64;
}

/// <summary>How an edge or the cloud waits for the maps of a sample and bounds what it holds.</summary>
public sealed record FusionSettings
{
    /// <summary>How long after the request (or, without one, the tick) the tier waits for its inputs' maps.</summary>
    public double MapWaitMs { get; init; } = 100;

    /// <summary>How long maps that arrived before any request are kept (then dropped, counted <see cref="DropReason.Expired"/>).</summary>
    public double HoldMs { get; init; } = 1000;

    /// <summary>Samples held at once (waiting or answered, the answered ones to recognize late and duplicate messages); at least the aggregator's <see cref="AggregatorSettings.MaxInFlight"/>, or samples in flight meet <see cref="DropReason.StateFull"/>.</summary>
    public int MaxSamples { get; init; } = 64;

    /// <summary>How far (in sample ids) behind the newest request or tick a message may be before it is dropped as too old.</summary>
    public uint BehindWindow { get; init; } = 1024;

    /// <summary>
    /// How far ahead of the newest request or tick a peer's map may be before it is dropped as too far ahead. A request
    /// or tick further ahead than this is served, but becomes the newest only once a second one lands within this
    /// window above it, so one forged far-ahead id cannot make every later id look too old.
    /// </summary>
    public uint AheadWindow { get; init; } = 64;

    internal void Validate()
    {
        AggregatorSettings.CheckWait(MapWaitMs, nameof(MapWaitMs));
        AggregatorSettings.CheckWait(HoldMs, nameof(HoldMs));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSamples, 1, nameof(MaxSamples));
    }
}

/// <summary>Where a device reads its own view of a sample: its camera when deployed, a data set or a buffer here.</summary>
public interface IDeviceSensor
{
    /// <summary>Writes device <paramref name="device"/>'s view (C·H·W floats) of sample <paramref name="sample"/>; false when there is no such sample.</summary>
    bool TryRead(int device, uint sample, Span<float> view);
}

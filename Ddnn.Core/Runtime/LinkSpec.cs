namespace Ddnn.Core.Runtime;

/// <summary>
/// A simulated network link: a message of n bytes arrives <see cref="LatencyMs"/> + n / bandwidth after it is sent,
/// unless it is lost (probability <see cref="Loss"/>, drawn from the runtime's seeded generator). The receiver waits
/// at most <see cref="TimeoutMs"/> after the send for it; later or lost messages count as missing.
/// </summary>
public sealed record LinkSpec
{
    /// <summary>Creates and validates a link.</summary>
    public LinkSpec(double latencyMs, double bytesPerSecond, double loss, double timeoutMs)
    {
        if (!(latencyMs >= 0) || double.IsInfinity(latencyMs)) throw new ArgumentOutOfRangeException(nameof(latencyMs), latencyMs, "must be a finite non-negative number of milliseconds.");
        if (!(bytesPerSecond > 0)) throw new ArgumentOutOfRangeException(nameof(bytesPerSecond), bytesPerSecond, "must be positive.");
        if (!(loss >= 0 && loss <= 1)) throw new ArgumentOutOfRangeException(nameof(loss), loss, "must be a probability in [0, 1].");
        if (!(timeoutMs > 0) || double.IsInfinity(timeoutMs)) throw new ArgumentOutOfRangeException(nameof(timeoutMs), timeoutMs, "must be a finite positive number of milliseconds.");
        LatencyMs = latencyMs;
        BytesPerSecond = bytesPerSecond;
        Loss = loss;
        TimeoutMs = timeoutMs;
    }

    /// <summary>Fixed delay of every message, in milliseconds.</summary>
    public double LatencyMs { get; }
    /// <summary>Bandwidth in bytes per second; a message of n bytes adds n / bandwidth to its latency.</summary>
    public double BytesPerSecond { get; }

    /// <summary>Probability that a message is lost.</summary>
    public double Loss { get; }

    /// <summary>How long the receiver waits after the send before treating the message as missing.</summary>
    public double TimeoutMs { get; }

    /// <summary>Transfer time of <paramref name="bytes"/> bytes in milliseconds.</summary>
    public double TransferMs(int bytes) => LatencyMs + bytes * 1000.0 / BytesPerSecond;

    /// <summary>Device ↔ local aggregator: a low-power radio (2 ms, 250 kB/s, 20 ms timeout).</summary>
    public static LinkSpec DefaultDeviceToLocal { get; } = new(2, 250_000, 0, 20);

    /// <summary>Device → edge or cloud: a WAN uplink (20 ms, 1 MB/s, 100 ms timeout).</summary>
    public static LinkSpec DefaultDeviceToCloud { get; } = new(20, 1_000_000, 0, 100);

    /// <summary>Device → edge: a local network (5 ms, 1 MB/s, 50 ms timeout).</summary>
    public static LinkSpec DefaultDeviceToEdge { get; } = new(5, 1_000_000, 0, 50);

    /// <summary>Edge → local aggregator, class scores (5 ms, 1 MB/s, 50 ms timeout).</summary>
    public static LinkSpec DefaultEdgeToLocal { get; } = new(5, 1_000_000, 0, 50);

    /// <summary>Edge → cloud: a WAN uplink (20 ms, 10 MB/s, 100 ms timeout).</summary>
    public static LinkSpec DefaultEdgeToCloud { get; } = new(20, 10_000_000, 0, 100);

    /// <summary>Local aggregator ↔ cloud, request and answer round trip (20 ms, 10 MB/s, 250 ms timeout).</summary>
    public static LinkSpec DefaultLocalToCloud { get; } = new(20, 10_000_000, 0, 250);
}

using System.Text.Json;
using Ddnn.Core;
using Ddnn.Core.Serving;

namespace Ddnn.Bench.Serving;

/// <summary>Messages and payload bytes on one link.</summary>
public sealed record LinkCount(long Messages, long Bytes);

/// <summary>
/// What one served tier counted, written as JSON when it stops (<c>--stats</c>) and summed by <c>ddnn serve all</c>:
/// published MQTT payloads per link, transport and host counters, and the tier's drops by reason.
/// </summary>
public sealed record TierStats
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public required string Tier { get; init; }
    public required int ProcessId { get; init; }
    public required Dictionary<string, LinkCount> Published { get; init; }
    public required long Publishes { get; init; }
    public required long Received { get; init; }
    public required long PublishesDropped { get; init; }
    public required long Disconnects { get; init; }
    public required long Reconnects { get; init; }
    public required long QueueDropped { get; init; }
    public required Dictionary<string, long> Drops { get; init; }
    public required long Answered { get; init; }
    public required long Degraded { get; init; }

    /// <summary>CPU time of the tier's process (user and kernel, start-up and JIT included), seconds.</summary>
    public double CpuSeconds { get; init; }

    /// <summary>Garbage collections of the tier's process by generation (0, 1, 2), start-up included.</summary>
    public int[] GcCollections { get; init; } = [];

    /// <summary>Total time the garbage collector paused the tier's process, milliseconds.</summary>
    public double GcPauseMs { get; init; }

    /// <summary>Bytes the tier's process allocated on the managed heap, start-up included.</summary>
    public long AllocatedBytes { get; init; }

    /// <summary>The counters of a stopped tier.</summary>
    public static TierStats Of(ServingTier tier, MqttTransport transport, TierHost host)
    {
        ArgumentNullException.ThrowIfNull(tier);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(host);
        return new TierStats
        {
            Tier = tier.Id.ToString(),
            ProcessId = Environment.ProcessId,
            Published = transport.PublishedByKind.ToDictionary(p => p.Key, p => new LinkCount(p.Value.Messages, p.Value.Bytes), StringComparer.Ordinal),
            Publishes = transport.Publishes,
            Received = transport.Received,
            PublishesDropped = transport.Dropped,
            Disconnects = transport.Disconnects,
            Reconnects = transport.Reconnects,
            QueueDropped = host.Dropped,
            Drops = Enum.GetValues<DropReason>().Where(r => tier.Counters[r] > 0).ToDictionary(r => r.ToString(), r => tier.Counters[r], StringComparer.Ordinal),
            Answered = tier.Counters.Answered,
            Degraded = tier.Counters.Degraded,
            CpuSeconds = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds,
            GcCollections = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)],
            GcPauseMs = GC.GetTotalPauseDuration().TotalMilliseconds,
            AllocatedBytes = GC.GetTotalAllocatedBytes(),
        };
    }

    public void Write(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    public static TierStats Read(string path) =>
        JsonSerializer.Deserialize<TierStats>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty tier statistics");

    public long DropsOf(DropReason reason) => Drops.GetValueOrDefault(reason.ToString());
}

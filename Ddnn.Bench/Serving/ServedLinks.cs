using System.Buffers.Binary;
using Ddnn.Core.Deploy;
using Ddnn.Core.Serving;

namespace Ddnn.Bench.Serving;

/// <summary>
/// Names the link of each published message for the byte counters, from its topic (<see cref="TopicScheme"/>): e.g.
/// <c>dev-&gt;local</c>, <c>dev-&gt;edge</c>, <c>local-&gt;cloud</c>, <c>tick</c>, <c>status</c>. Messages of samples before
/// a given id (the warm-up of <c>ddnn serve all</c>) are named apart, with a <c> warm-up</c> suffix, so the reported
/// bytes per sample cover exactly the measured samples.
/// </summary>
public static class ServedLinks
{
    public const string Status = "status";
    public const string Tick = "tick";
    public const string EdgeRequest = "local->edges (request)";
    public const string CloudRequest = "local->cloud (request)";
    public const string DeviceToLocal = "dev->local";
    public const string DeviceToEdge = "dev->edge";
    public const string DeviceToCloud = "dev->cloud";
    public const string EdgeToLocal = "edge->local";
    public const string EdgeToCloud = "edge->cloud";
    public const string CloudToLocal = "cloud->local";
    /// <summary>With cloud workers: the devices' (or edges') maps to the aggregator, which bundles them into the jobs.</summary>
    public const string DeviceMapsToLocal = "dev->local (maps)";
    public const string EdgeMapsToLocal = "edge->local (maps)";
    /// <summary>With cloud workers: the aggregator's self-contained cloud requests.</summary>
    public const string CloudJob = "local->cloud (job)";
    public const string WarmUpSuffix = " warm-up";
    public const string Other = "other";

    /// <summary>Every link name, in the order reports list them.</summary>
    public static IReadOnlyList<string> All { get; } =
        [DeviceToLocal, DeviceMapsToLocal, DeviceToEdge, DeviceToCloud, EdgeToLocal, EdgeMapsToLocal, EdgeToCloud, EdgeRequest, CloudRequest, CloudJob, CloudToLocal, Tick, Status];

    /// <summary>The classifier for <see cref="MqttTransportOptions.TopicKind"/>: samples below <paramref name="measuredFrom"/> count as warm-up.</summary>
    public static MessageKindOf Classifier(TopicScheme topics, uint measuredFrom)
    {
        ArgumentNullException.ThrowIfNull(topics);
        // A tier publishes on a handful of topics: parse each once, not once per message. The transport calls it one message at a time.
        var links = new Dictionary<string, (string Link, string WarmUp)>(StringComparer.Ordinal);
        return (topic, payload) =>
        {
            if (!links.TryGetValue(topic, out var known))
            {
                var of = Of(topics, topic);
                links[topic] = known = (of, of + WarmUpSuffix);
            }
            var link = known.Link;
            if (link is Status or Other) return link;
            // Envelope, then the wire header: kind, sender, uint32 sample id.
            const int sampleAt = ServingEnvelope.Bytes + 2;
            if (payload.Length < sampleAt + 4) return link;
            var sample = BinaryPrimitives.ReadUInt32LittleEndian(payload[sampleAt..]);
            // With cloud workers a device's (or edge's) topic to the aggregator carries its scores and its map: two links.
            if (link is DeviceToLocal or EdgeToLocal && payload[ServingEnvelope.Bytes] == (byte)WireMessageKind.Features)
            {
                var warmUp = sample < measuredFrom;
                return link == DeviceToLocal ? (warmUp ? DeviceMapsToLocal + WarmUpSuffix : DeviceMapsToLocal)
                    : warmUp ? EdgeMapsToLocal + WarmUpSuffix : EdgeMapsToLocal;
            }
            return sample < measuredFrom ? known.WarmUp : link;
        };
    }

    /// <summary>The link a topic of <paramref name="topics"/> belongs to.</summary>
    public static string Of(TopicScheme topics, string topic)
    {
        if (!topics.TryParse(topic, out var parsed)) return Other;
        return TopicScheme.MessageKind(parsed) switch
        {
            ServingMessageKind.Status => Status,
            ServingMessageKind.Tick => Tick,
            ServingMessageKind.EdgeRequest => EdgeRequest,
            ServingMessageKind.CloudRequest => CloudRequest,
            ServingMessageKind.DeviceScores => DeviceToLocal,
            // One kind of message, two links: the report keeps a device's maps to its edge apart from those to the cloud.
            ServingMessageKind.DeviceFeatures => parsed.Tier.Kind == PartitionKind.Edge ? DeviceToEdge : DeviceToCloud,
            ServingMessageKind.EdgeScores => EdgeToLocal,
            ServingMessageKind.EdgeFeatures => EdgeToCloud,
            ServingMessageKind.CloudAnswer => CloudToLocal,
            ServingMessageKind.CloudJob => CloudJob,
            _ => Other,
        };
    }
}

using Ddnn.Core.Deploy;
using Ddnn.Core.Serving;

namespace Ddnn.Bench.Serving;

/// <summary>
/// Passes every call through to a tier and notes which peers have announced themselves online with this tier's model,
/// so that a host can wait for the whole deployment before the first tick (a tier that never announced itself counts
/// as present for the protocol, which would time out on it sample after sample).
/// </summary>
public sealed class PeerWatch : IMessageHandler
{
    private readonly IMessageHandler _tier;
    private readonly TopicScheme _topics;
    private readonly ModelFingerprint _fingerprint;
    private readonly HashSet<PartitionId> _expected;
    private readonly HashSet<PartitionId> _online = [];

    /// <summary>Watches the peers of <paramref name="tier"/>: every partition of <paramref name="model"/> but <paramref name="self"/>.</summary>
    public PeerWatch(ServingTier tier, DeployedModel model, TopicScheme topics, ModelFingerprint fingerprint)
        : this(tier, topics, fingerprint, PartitionId.AllOf(model).Where(p => p != tier.Id))
    {
    }

    /// <summary>Watches <paramref name="expected"/> on behalf of <paramref name="tier"/>.</summary>
    public PeerWatch(IMessageHandler tier, TopicScheme topics, ModelFingerprint fingerprint, IEnumerable<PartitionId> expected)
    {
        ArgumentNullException.ThrowIfNull(tier);
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentNullException.ThrowIfNull(fingerprint);
        _tier = tier;
        _topics = topics;
        _fingerprint = fingerprint;
        _expected = [.. expected];
    }

    /// <summary>True once every expected peer is online with this model.</summary>
    public bool AllPeersOnline => _expected.All(_online.Contains);

    /// <summary>The expected peers not online now.</summary>
    public IEnumerable<PartitionId> Missing => _expected.Where(p => !_online.Contains(p));

    public IReadOnlyList<string> Subscriptions => _tier.Subscriptions;

    public double? NextDeadlineMs => _tier.NextDeadlineMs;

    public void OnMessage(string topic, ReadOnlySpan<byte> payload)
    {
        if (_topics.TryParse(topic, out var parsed) && parsed.Kind == TopicKind.Status && StatusMessage.TryRead(payload, out _) is { } status)
        {
            if (status.Online && status.Fingerprint.Equals(_fingerprint)) _online.Add(parsed.Tier);
            else _online.Remove(parsed.Tier);
        }
        _tier.OnMessage(topic, payload);
    }

    public void OnTimer() => _tier.OnTimer();
}

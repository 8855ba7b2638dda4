using Ddnn.Core.Deploy;
using Ddnn.Core.Serving;

namespace Ddnn.Core.Runtime;

/// <summary>Decides the fate of each copy of a message on a <see cref="SimulatedNetwork"/>.</summary>
public interface ILinkModel
{
    /// <summary>
    /// Whether the copy of a message from <paramref name="from"/> to subscriber <paramref name="to"/> arrives, and
    /// after how many milliseconds. Called at publish time, once per subscriber in attach order; <paramref name="wire"/>
    /// is the wire message after the envelope (the whole payload for a status).
    /// </summary>
    bool Deliver(PartitionId from, PartitionId to, ServingMessageKind kind, ReadOnlySpan<byte> wire, out double delayMs);
}

/// <summary>
/// An in-memory broker on a simulated clock (discrete events): tiers publish through the endpoints of
/// <see cref="Connect"/> and receive through <see cref="IMessageHandler"/>; every copy's delay or loss comes from the
/// <see cref="ILinkModel"/>. <see cref="RunUntilIdle"/> delivers messages and fires timers in time order (messages
/// first at equal times, then in publish order), one at a time, so tiers see what a single-threaded host gives them.
/// Retained messages are not replayed: attach every tier before any publishes. Also counts every publish
/// (<see cref="Traffic"/>).
/// </summary>
public sealed class SimulatedNetwork : IServingClock
{
    private readonly TopicScheme _topics;
    private readonly ILinkModel _links;
    private readonly List<(PartitionId Id, IMessageHandler Handler)> _handlers = [];
    private readonly Dictionary<string, Routing> _routes = [];
    private readonly PriorityQueue<Pending, (double Time, long Sequence)> _events = new();
    private readonly Stack<byte[]> _buffers = new();
    private long _sequence;

    private readonly record struct Pending(int Handler, string Topic, byte[] Payload, int Length);

    /// <summary>A network of <paramref name="topics"/> whose links <paramref name="links"/> models.</summary>
    public SimulatedNetwork(TopicScheme topics, ILinkModel links, int devices)
    {
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentNullException.ThrowIfNull(links);
        _topics = topics;
        _links = links;
        Traffic = new SimulatedTraffic(devices);
    }

    /// <inheritdoc/>
    public double NowMs { get; private set; }

    /// <summary>What was published since the last <see cref="SimulatedTraffic.Reset"/>.</summary>
    public SimulatedTraffic Traffic { get; }

    /// <summary>The transport tier <paramref name="id"/> publishes through.</summary>
    public IMessageTransport Connect(PartitionId id) => new Endpoint(this, id);

    /// <summary>Subscribes <paramref name="handler"/> (tier <paramref name="id"/>) to its <see cref="IMessageHandler.Subscriptions"/>.</summary>
    public void Attach(PartitionId id, IMessageHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _handlers.Add((id, handler));
        _routes.Clear();
    }

    /// <summary>Sets the clock back to 0; only while idle (no message in flight, no tier waiting for a deadline).</summary>
    public void RestartClock()
    {
        if (_events.Count > 0) throw new InvalidOperationException("cannot restart the simulated clock with messages in flight.");
        foreach (var (id, handler) in _handlers)
            if (handler.NextDeadlineMs is not null) throw new InvalidOperationException($"cannot restart the simulated clock while {id} waits for a deadline.");
        NowMs = 0;
    }

    /// <summary>Delivers messages and fires timers in time order until nothing is in flight and no tier waits.</summary>
    /// <param name="maxSteps">A bound on deliveries and timers, so a tier that never stops re-arming a timer fails instead of hanging.</param>
    public void RunUntilIdle(long maxSteps = 10_000_000)
    {
        for (long step = 0; ; step++)
        {
            if (step >= maxSteps) throw new InvalidOperationException($"the simulated network did not become idle within {maxSteps} steps (a tier keeps re-arming its timer).");
            var timer = -1;
            var timerAt = double.PositiveInfinity;
            for (var h = 0; h < _handlers.Count; h++)
                if (_handlers[h].Handler.NextDeadlineMs is { } at && at < timerAt) (timer, timerAt) = (h, at);
            if (_events.TryPeek(out var delivery, out var key) && key.Time <= timerAt)
            {
                _events.Dequeue();
                NowMs = Math.Max(NowMs, key.Time);
                try { _handlers[delivery.Handler].Handler.OnMessage(delivery.Topic, delivery.Payload.AsSpan(0, delivery.Length)); }
                finally { _buffers.Push(delivery.Payload); }
                continue;
            }
            if (timer < 0) return;
            NowMs = Math.Max(NowMs, timerAt);
            _handlers[timer].Handler.OnTimer(NowMs);
        }
    }

    private void Publish(PartitionId from, string topic, ReadOnlySpan<byte> payload)
    {
        if (!_topics.TryParse(topic, out var parsed) || TopicScheme.MessageKind(parsed) is not { } kind)
            throw new ArgumentException($"'{topic}' is not a topic a tier of deployment '{_topics.Deployment}' publishes on.", nameof(topic));
        var wire = kind == ServingMessageKind.Status || payload.Length < ServingEnvelope.Bytes ? payload : payload[ServingEnvelope.Bytes..];
        Traffic.Count(from, kind, payload.Length, wire);
        foreach (var h in Route(topic))
        {
            if (h < 0) continue; // a shared subscription's member that is not this message's turn
            var to = _handlers[h].Id;
            if (!_links.Deliver(from, to, kind, wire, out var delay)) continue;
            if (kind == ServingMessageKind.DeviceFeatures) Traffic.DeviceUp(from.Index);
            var buffer = _buffers.Count > 0 && _buffers.Peek().Length >= payload.Length ? _buffers.Pop() : new byte[Math.Max(payload.Length, 256)];
            payload.CopyTo(buffer);
            _events.Enqueue(new Pending(h, topic, buffer, payload.Length), (NowMs + delay, _sequence++));
        }
    }

    /// <summary>
    /// The handlers a message on <paramref name="topic"/> goes to: every ordinary subscriber, and of each shared
    /// subscription's group (<c>$share/&lt;group&gt;/...</c>) one member in turn, as a broker hands a shared message
    /// to one; the members not chosen this time are −1.
    /// </summary>
    private int[] Route(string topic)
    {
        if (!_routes.TryGetValue(topic, out var route))
        {
            var list = new List<(int Handler, string? Group)>();
            for (var h = 0; h < _handlers.Count; h++)
                foreach (var subscription in _handlers[h].Handler.Subscriptions)
                {
                    var shared = TopicScheme.TrySplitShared(subscription, out var group, out var filter);
                    if (TopicScheme.Matches(shared ? filter : subscription, topic)) { list.Add((h, shared ? group : null)); break; }
                }
            _routes[topic] = route = new Routing([.. list.Select(x => x.Handler)], [.. list.Select(x => x.Group)]);
        }
        if (Array.TrueForAll(route.Groups, g => g is null)) return route.Handlers;
        var chosen = (int[])route.Handlers.Clone();
        foreach (var group in route.Groups.Where(g => g is not null).Distinct())
        {
            var members = Enumerable.Range(0, chosen.Length).Where(i => route.Groups[i] == group).ToArray();
            var turn = _shareTurns.GetValueOrDefault(group!);
            _shareTurns[group!] = turn + 1;
            foreach (var i in members) if (i != members[turn % members.Length]) chosen[i] = -1;
        }
        return chosen;
    }

    private sealed record Routing(int[] Handlers, string?[] Groups);

    private readonly Dictionary<string, int> _shareTurns = new(StringComparer.Ordinal);

    private sealed class Endpoint(SimulatedNetwork network, PartitionId id) : IMessageTransport
    {
        public void Publish(string topic, ReadOnlySpan<byte> payload, Serving.Delivery delivery, bool retain) => network.Publish(id, topic, payload);
    }
}

/// <summary>Messages and bytes published on a <see cref="SimulatedNetwork"/> by kind, plus what the cascade runtime reports per sample.</summary>
public sealed class SimulatedTraffic
{
    private readonly long[] _messages = new long[Enum.GetValues<ServingMessageKind>().Length];
    private readonly long[] _bytes = new long[Enum.GetValues<ServingMessageKind>().Length];
    private readonly int _devices;

    internal SimulatedTraffic(int devices)
    {
        _devices = devices;
        Reset();
    }

    /// <summary>Messages of <paramref name="kind"/> published.</summary>
    public long Messages(ServingMessageKind kind) => _messages[(int)kind];

    /// <summary>Payload bytes of <paramref name="kind"/> published, envelope included.</summary>
    public long Bytes(ServingMessageKind kind) => _bytes[(int)kind];

    /// <summary>Wire-message bytes of <paramref name="kind"/> (payload minus the envelope; statuses have none).</summary>
    public long WireBytes(ServingMessageKind kind) =>
        kind == ServingMessageKind.Status ? _bytes[(int)kind] : _bytes[(int)kind] - ServingEnvelope.Bytes * _messages[(int)kind];

    /// <summary>Devices whose feature map was delivered to an edge or the cloud (a fresh array per reset).</summary>
    public bool[] DevicesUp { get; private set; } = [];

    /// <summary>The class the cloud last published as its answer (−1 if none).</summary>
    public int CloudPrediction { get; private set; }

    /// <summary>Starts counting afresh.</summary>
    public void Reset()
    {
        Array.Clear(_messages);
        Array.Clear(_bytes);
        DevicesUp = new bool[_devices];
        CloudPrediction = -1;
    }

    internal void Count(PartitionId from, ServingMessageKind kind, int bytes, ReadOnlySpan<byte> wire)
    {
        _messages[(int)kind]++;
        _bytes[(int)kind] += bytes;
        if (kind == ServingMessageKind.CloudAnswer && wire.Length == WireMessage.AnswerBytes) CloudPrediction = WireMessage.ReadAnswer(wire, out _);
    }

    internal void DeviceUp(int device) => DevicesUp[device] = true;
}

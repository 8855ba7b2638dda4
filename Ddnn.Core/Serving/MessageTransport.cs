namespace Ddnn.Core.Serving;

/// <summary>How hard a transport tries to deliver one message; the values are MQTT's QoS levels 0 and 1.</summary>
public enum Delivery
{
    /// <summary>Sent once, lost if the link or the broker drops it (MQTT QoS 0).</summary>
    AtMostOnce = 0,

    /// <summary>Resent until acknowledged, so it may arrive twice (MQTT QoS 1).</summary>
    AtLeastOnce = 1,
}

/// <summary>
/// What a tier needs of a network: publish bytes to a topic. The tier objects in <see cref="Ddnn.Core.Serving"/> are
/// written against this alone, so the same protocol runs in memory (<c>CascadeRuntime</c>) and over MQTT.
/// </summary>
public interface IMessageTransport
{
    /// <summary>
    /// Publishes <paramref name="payload"/> to <paramref name="topic"/>. The transport copies the bytes before it
    /// returns (callers reuse their buffers) and does not throw for a network failure: a tier must never be thrown out
    /// of its loop by a peer, so failures are the transport's to count and report.
    /// </summary>
    void Publish(string topic, ReadOnlySpan<byte> payload, Delivery delivery, bool retain);
}

/// <summary>The time a tier reads, in milliseconds from an arbitrary origin: the wall clock when served, simulated in <c>CascadeRuntime</c>.</summary>
public interface IServingClock
{
    /// <summary>Milliseconds since this clock's origin; never decreases.</summary>
    double NowMs { get; }
}

/// <summary>The wall clock of a served tier: a monotonic stopwatch, in milliseconds since the clock was made.</summary>
public sealed class MonotonicClock : IServingClock
{
    private readonly long _origin = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <inheritdoc/>
    public double NowMs => System.Diagnostics.Stopwatch.GetElapsedTime(_origin).TotalMilliseconds;
}

/// <summary>
/// A tier as its host sees it: the topics it reads, and two entry points that the host calls one at a time, never
/// concurrently: a message arrived, or the clock reached the tier's next deadline.
/// </summary>
public interface IMessageHandler
{
    /// <summary>MQTT topic filters (with <c>+</c> and <c>#</c>) whose messages the host delivers to <see cref="OnMessage"/>.</summary>
    IReadOnlyList<string> Subscriptions { get; }

    /// <summary>The earliest clock time at which the tier wants <see cref="OnTimer"/>, or null when it waits for nothing.</summary>
    double? NextDeadlineMs { get; }

    /// <summary>Handles one message. Bad input is dropped and counted by the tier, never thrown.</summary>
    void OnMessage(string topic, ReadOnlySpan<byte> payload);

    /// <summary>
    /// Called once the clock has reached <see cref="NextDeadlineMs"/>. <paramref name="nowMs"/> is the time the host
    /// fires at: the tier expires only the deadlines at or before it, so a host that fires the deadlines that fell
    /// before a queued message's arrival does not expire a sample that message answers in time, however late the host
    /// gets to it.
    /// </summary>
    void OnTimer(double nowMs);

    /// <summary>
    /// The host lost its connection to the broker (it reconnects by itself). Until it is back, the tier hears no will:
    /// a broker restarted without persistence forgets the sessions and retained statuses, so a peer that died meanwhile
    /// would never be announced offline. The host calls this before anything it receives after reconnecting.
    /// </summary>
    void OnConnectionLost();
}

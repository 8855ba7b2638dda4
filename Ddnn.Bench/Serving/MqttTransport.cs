using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using System.Text;
using Ddnn.Core.Serving;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace Ddnn.Bench.Serving;

/// <summary>The message the broker publishes for a client that vanished (MQTT last will).</summary>
public sealed record MqttWill(string Topic, byte[] Payload, Delivery Delivery, bool Retain);

/// <summary>How an <see cref="MqttTransport"/> connects and how much it buffers.</summary>
public sealed record MqttTransportOptions
{
    public required BrokerAddress Broker { get; init; }

    /// <summary>MQTT client id; made unique per process by the caller, so a restarted tier never fights a frozen one over a session.</summary>
    public required string ClientId { get; init; }

    public MqttWill? Will { get; init; }

    /// <summary>The user name to authenticate as; with <see cref="Password"/>, or neither (an anonymous client).</summary>
    public string? UserName { get; init; }

    /// <summary>The password of <see cref="UserName"/>.</summary>
    public string? Password { get; init; }

    /// <summary>What this client is, for error messages (e.g. "tier dev2"); by default its user name.</summary>
    public string? Describe { get; init; }

    /// <summary>
    /// With an <c>mqtts://</c> broker: a PEM file of the certificate authorities that sign the broker's certificate,
    /// trusted instead of the machine's store. The broker's certificate must also name the host of the address.
    /// </summary>
    public string? CaFile { get; init; }

    /// <summary>
    /// MQTT keep-alive. The broker declares a silent client gone after 1.5 times this and publishes its will, so it
    /// bounds how long a frozen or cut-off tier goes unnoticed; MQTT counts it in whole seconds. The client pings when
    /// it has sent or heard nothing for half of it, and ends a connection that heard nothing for twice it (then
    /// reconnects), so a cut link or a frozen broker is noticed from this side too.
    /// </summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one connection attempt may take (TCP, TLS, CONNACK and SUBACK together).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Names the kind of a message (topic, payload) for the byte counters, e.g. its link; the topic itself by default. Called by one thread at a time.</summary>
    public MessageKindOf TopicKind { get; init; } = (topic, _) => topic;

    /// <summary>
    /// Holds publishes until <see cref="MqttTransport.Flush"/> (or until <see cref="MaxHeld"/> are held) and sends the
    /// messages held for one topic as one <see cref="MessageBundle"/>: one broker route, one parse and one wake-up for
    /// what a tier published in one pass, instead of one per message. Retained messages are never held or bundled. The
    /// caller must flush (<see cref="TierHost"/> does when the receive thread has caught up, see <see cref="MqttTransport.CaughtUp"/>,
    /// and when its own thread is about to sleep); off by default.
    /// </summary>
    public bool Coalesce { get; init; }

    /// <summary>Publishes held at most when coalescing; reaching it flushes.</summary>
    public int MaxHeld { get; init; } = 256;
}

/// <summary>Names the kind of one published message (its topic and payload) for the byte counters.</summary>
public delegate string MessageKindOf(string topic, ReadOnlySpan<byte> payload);

/// <summary>Published messages and bytes of one topic kind.</summary>
public sealed class TopicKindCounter
{
    private long _messages, _bytes;

    /// <summary>Messages of the tier; a bundle counts every message in it.</summary>
    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>MQTT payload bytes (topic and MQTT framing not included); a bundle's marker and length fields count with its messages.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    internal void Add(int bytes)
    {
        Interlocked.Increment(ref _messages);
        Interlocked.Add(ref _bytes, bytes);
    }
}

/// <summary>
/// <see cref="IMessageTransport"/> over an MQTT broker (MQTT 5, MQTTnet's packets on our own blocking socket). A
/// publish is written on the caller's thread, so per-tier order is kept and no other thread wakes for it; failures are
/// counted, never thrown into the tier. One receive thread per transport reads the broker's packets and hands each
/// message on. When the connection drops (the broker restarted, the link was cut) that thread reconnects, subscribes
/// again and re-publishes the retained messages, which a broker without persistence forgets on restart.
/// </summary>
public sealed class MqttTransport : IMessageTransport, IAsyncDisposable
{
    /// <summary>QoS 1 publishes awaiting the broker's acknowledgement at most; past this one is dropped and counted (a broker that never acknowledges must not grow memory).</summary>
    private const int MaxAwaitingAck = 1024;

    private readonly MqttTransportOptions _options;
    private readonly Action<string, byte[]> _onMessage;
    private readonly Action _caughtUp;
    private readonly SslClientAuthenticationOptions? _tls;
    private readonly ConcurrentDictionary<string, Outgoing> _retained = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TopicKindCounter> _published = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _holding = new();
    private readonly List<HeldTopic> _held = [];
    private readonly Lock _acks = new();
    private readonly Lock _counting = new();
    private readonly Dictionary<ushort, Outgoing> _awaitingAck = [];
    private ushort _lastPacketId;
    private int _heldCount;
    private IReadOnlyList<string> _subscriptions = [];
    private MqttConnection? _connection;
    private Thread? _receiver;
    private Timer? _keepAlive;
    private long _publishes, _received, _droppedDisconnected, _failed, _reconnects, _disconnects;
    private readonly X509Certificate2Collection? _trusted;
    private volatile string? _certificateProblem;

    /// <summary>A transport that hands each received message (topic, payload copy) to <paramref name="onMessage"/>, on its receive thread, in arrival order.</summary>
    public MqttTransport(MqttTransportOptions options, Action<string, byte[]> onMessage)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(onMessage);
        _options = options;
        _onMessage = onMessage;
        _caughtUp = () => CaughtUp?.Invoke();
        if ((options.UserName is null) != (options.Password is null)) throw new ArgumentException("give both a user name and a password, or neither", nameof(options));
        if (options.KeepAlive < TimeSpan.FromSeconds(1) || options.KeepAlive > TimeSpan.FromSeconds(ushort.MaxValue))
            throw new ArgumentException($"the keep-alive must be between 1 s and {ushort.MaxValue} s (MQTT counts it in whole seconds), not {options.KeepAlive}", nameof(options));
        if (options.Broker.Tls)
        {
            _trusted = options.CaFile is null ? null : LoadCertificates(options.CaFile);
            _tls = new SslClientAuthenticationOptions
            {
                TargetHost = options.Broker.Host,
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) => ValidateBrokerCertificate(certificate, chain, errors),
            };
        }
        else if (options.CaFile is not null) throw new ArgumentException($"a CA file goes with an mqtts:// broker, not {options.Broker}", nameof(options));
    }

    public BrokerAddress Broker => _options.Broker;

    /// <summary>Raised (on the receive thread) when an established connection is lost, before the transport starts reconnecting.</summary>
    public event Action? ConnectionLost;

    /// <summary>
    /// Raised on the receive thread when it has handed on every message received so far and reads the connection again
    /// (where it may wait): the moment to flush what the receiver published while handling them.
    /// </summary>
    public event Action? CaughtUp;

    public bool IsConnected => Volatile.Read(ref _connection) is { Closed: false };

    /// <summary>MQTT publishes handed to the broker: a QoS 0 one once written, a QoS 1 one once acknowledged; a bundle is one.</summary>
    public long Publishes => Interlocked.Read(ref _publishes);
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Publishes dropped because the broker was not connected when they were made.</summary>
    public long DroppedDisconnected => Interlocked.Read(ref _droppedDisconnected);

    /// <summary>Publishes that failed while connected: the write failed, the broker refused them (a QoS 1 acknowledgement with an error) or the connection ended before their acknowledgement.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Successful reconnections after a lost connection.</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>Connections lost while running.</summary>
    public long Disconnects => Interlocked.Read(ref _disconnects);

    /// <summary>All publishes dropped, for whatever reason.</summary>
    public long Dropped => DroppedDisconnected + Failed;

    /// <summary>Published messages and payload bytes per topic kind (<see cref="MqttTransportOptions.TopicKind"/>).</summary>
    public IReadOnlyDictionary<string, TopicKindCounter> PublishedByKind => _published;

    /// <summary>
    /// Connects, subscribes to <paramref name="subscriptions"/> and starts the receive thread. A broker that cannot be
    /// reached is a <see cref="BrokerUnreachableException"/> naming the address and the reason.
    /// </summary>
    public Task ConnectAsync(IReadOnlyList<string> subscriptions, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(subscriptions);
        if (_receiver is not null) throw new InvalidOperationException("the transport is already connected");
        _subscriptions = subscriptions.ToArray();
        // A blocking connect and handshake: on a pool thread, so that an awaiting caller's thread is not held.
        return Task.Run(() =>
        {
            var connection = Open(cancellation);
            Volatile.Write(ref _connection, connection);
            _receiver = new Thread(ReceiveLoop) { IsBackground = true, Name = "MQTT receive" };
            _receiver.Start();
            var period = _options.KeepAlive / 4;
            _keepAlive = new Timer(_ => KeepAlive(), null, period, period);
        }, CancellationToken.None);
    }

    /// <summary>
    /// <see cref="ConnectAsync(IReadOnlyList{string}, CancellationToken)"/>, but a broker that cannot be reached yet
    /// (a tier that boots before its broker, or before the network is up) is tried again every
    /// <paramref name="pause"/> until <paramref name="wait"/> has passed; <paramref name="retrying"/> hears of each
    /// failed attempt that will be retried. A refusal (credentials, the broker's certificate) is final at once: trying
    /// again cannot change it.
    /// </summary>
    public async Task ConnectAsync(IReadOnlyList<string> subscriptions, TimeSpan wait, TimeSpan pause, Action<BrokerUnreachableException>? retrying, CancellationToken cancellation)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pause, TimeSpan.Zero);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await ConnectAsync(subscriptions, cancellation).ConfigureAwait(false);
                return;
            }
            catch (BrokerUnreachableException e) when (e.Transient && waited.Elapsed + pause < wait)
            {
                retrying?.Invoke(e);
            }
            await Task.Delay(pause, cancellation).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public void Publish(string topic, ReadOnlySpan<byte> payload, Delivery delivery, bool retain)
    {
        var message = new Outgoing(topic, payload.ToArray(), delivery, retain, 1);
        if (retain) _retained[topic] = message;
        if (!_options.Coalesce)
        {
            Send(message);
            return;
        }
        lock (_holding)
        {
            // A retained message (a status) is never held, and what was held before it goes first, so the order of a
            // tier's announcements and its data is kept.
            if (retain || message.Payload.Length is < MessageBundle.MinMessageBytes or > MessageBundle.MaxMessageBytes)
            {
                FlushHeld();
                Send(message);
                return;
            }
            HeldFor(topic, delivery, message.Payload.Length).Add(message.Payload);
            if (++_heldCount >= _options.MaxHeld) FlushHeld();
        }
    }

    /// <summary>Sends what <see cref="MqttTransportOptions.Coalesce"/> held: one bundle per topic, a single message as itself. Returns the publishes made.</summary>
    public int Flush()
    {
        lock (_holding) return FlushHeld();
    }

    /// <summary>The messages held for <paramref name="topic"/>, with room for one more of <paramref name="length"/> bytes.</summary>
    private HeldTopic HeldFor(string topic, Delivery delivery, int length)
    {
        foreach (var held in _held)
            if (held.Delivery == delivery && string.Equals(held.Topic, topic, StringComparison.Ordinal))
            {
                // A bundle stays far below any broker's packet limit: send this topic's first and start again.
                if (held.Bytes + MessageBundle.LengthBytes + length > MaxBundleBytes) SendHeld(held);
                return held;
            }
        var added = new HeldTopic(topic, delivery);
        _held.Add(added);
        return added;
    }

    private int FlushHeld()
    {
        var sent = 0;
        foreach (var held in _held) sent += SendHeld(held);
        _held.Clear();
        _heldCount = 0;
        return sent;
    }

    private int SendHeld(HeldTopic held)
    {
        var messages = held.Messages;
        if (messages.Count == 0) return 0;
        Send(messages.Count == 1
            ? new Outgoing(held.Topic, messages[0], held.Delivery, false, 1)
            : new Outgoing(held.Topic, MessageBundle.Pack(messages), held.Delivery, false, messages.Count));
        held.Clear();
        return 1;
    }

    /// <summary>Writes one publish on this thread; counted as dropped when there is no connection, as failed when the write fails (and the connection is then ended, for the receive thread to reconnect).</summary>
    private void Send(Outgoing message)
    {
        var connection = Volatile.Read(ref _connection);
        if (connection is null || connection.Closed)
        {
            Interlocked.Add(ref _droppedDisconnected, message.Messages);
            return;
        }
        var packet = new MqttPublishPacket
        {
            Topic = message.Topic,
            PayloadSegment = message.Payload,
            QualityOfServiceLevel = QualityOf(message.Delivery),
            Retain = message.Retain,
        };
        if (message.Delivery == Delivery.AtLeastOnce)
            lock (_acks)
            {
                if (_awaitingAck.Count >= MaxAwaitingAck)
                {
                    Interlocked.Add(ref _failed, message.Messages);
                    return;
                }
                do _lastPacketId = (ushort)(_lastPacketId == ushort.MaxValue ? 1 : _lastPacketId + 1);
                while (_awaitingAck.ContainsKey(_lastPacketId));
                packet.PacketIdentifier = _lastPacketId;
                _awaitingAck[_lastPacketId] = message;
            }
        try
        {
            connection.Send(packet);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            if (message.Delivery == Delivery.AtLeastOnce)
                lock (_acks)
                    if (!_awaitingAck.Remove(packet.PacketIdentifier)) return; // the connection's end already counted it
            Interlocked.Add(ref _failed, message.Messages);
            connection.Abort();
            return;
        }
        if (message.Delivery == Delivery.AtMostOnce) CountPublished(message);
    }

    /// <summary>
    /// Publishes the will itself (peers learn at once that this tier left, as they would if it had died; MQTTnet's
    /// broker ignores MQTT 5's disconnect-with-will), waits at most <paramref name="drainTimeout"/> for the broker to
    /// acknowledge the QoS 1 publishes still unacknowledged, and disconnects.
    /// </summary>
    public async Task DisconnectAsync(TimeSpan drainTimeout)
    {
        if (_stopping.IsCancellationRequested) return;
        Flush();
        if (_options.Will is { } will && IsConnected) Publish(will.Topic, will.Payload, will.Delivery, will.Retain);
        var draining = System.Diagnostics.Stopwatch.StartNew();
        while (AwaitingAck > 0 && IsConnected && draining.Elapsed < drainTimeout) await Task.Delay(2).ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_keepAlive is { } timer) await timer.DisposeAsync().ConfigureAwait(false);
        var connection = Volatile.Read(ref _connection);
        if (connection is { Closed: false })
        {
            try
            {
                connection.Send(new MqttDisconnectPacket { ReasonCode = MqttDisconnectReasonCode.NormalDisconnection });
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                // Already gone: the broker publishes the will on its own.
            }
        }
        connection?.Abort();
        // The receive thread sees the end of the stream and, stopping, leaves without reconnecting.
        _receiver?.Join(TimeSpan.FromSeconds(2));
        connection?.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await DisconnectAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        // A receive thread still inside a connect attempt reads the token on its way out.
        if (_receiver is not { IsAlive: true }) _stopping.Dispose();
    }

    /// <summary>One line of counters, e.g. for a tier's last line.</summary>
    public string DescribeCounters()
    {
        var kinds = string.Join(", ", _published.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value.Messages}/{p.Value.Bytes} B")));
        return string.Create(CultureInfo.InvariantCulture,
            $"published {Publishes} ({(kinds.Length == 0 ? "nothing" : kinds)}), received {Received}, dropped {Dropped} (disconnected {DroppedDisconnected}, failed {Failed}), disconnects {Disconnects}, reconnects {Reconnects}");
    }

    private int AwaitingAck
    {
        get
        {
            lock (_acks) return _awaitingAck.Count;
        }
    }

    /// <summary>Connects, says hello and subscribes, within the connect timeout; any failure disposes the connection.</summary>
    private MqttConnection Open(CancellationToken cancellation)
    {
        MqttConnection? connection = null;
        // The timeout ends the attempt by closing the socket: a socket read or write timeout would switch .NET to its
        // emulated blocking for the life of the connection (see MqttConnection).
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        attempt.CancelAfter(_options.ConnectTimeout);
        try
        {
            _certificateProblem = null;
            connection = MqttConnection.Open(_options.Broker, _tls, MaxPacketBytes, attempt.Token);
            using (attempt.Token.Register(connection.Abort))
            {
                connection.Send(ConnectPacket());
                if (connection.Receive() is not MqttConnAckPacket connected)
                    throw new IOException("the broker closed the connection without answering it (no CONNACK)");
                if (connected.ReasonCode != MqttConnectReasonCode.Success)
                    throw new BrokerRefusedException(_options.Broker, Who, Refusal(connected.ReasonCode), null);
                Subscribe(connection);
            }
            if (connection.Closed) throw new OperationCanceledException(attempt.Token);
            return connection;
        }
        catch (Exception e)
        {
            connection?.Dispose();
            if (e is BrokerConnectException) throw;
            if (cancellation.IsCancellationRequested) throw new OperationCanceledException("stopped while connecting to the broker", e, cancellation);
            if (attempt.IsCancellationRequested) throw new BrokerUnreachableException(_options.Broker, "no answer (timed out)", e);
            if (e is InvalidOperationException or IOException or SocketException or AuthenticationException or ObjectDisposedException)
                throw new BrokerUnreachableException(_options.Broker, Reason(e), e, transient: _certificateProblem is null);
            throw;
        }
    }

    private MqttConnectPacket ConnectPacket()
    {
        var packet = new MqttConnectPacket
        {
            ClientId = _options.ClientId,
            CleanSession = true,
            KeepAlivePeriod = (ushort)_options.KeepAlive.TotalSeconds,
            // MQTT 5 lets a client cap the packets the broker sends it: a peer's megabyte publish is dropped at the
            // broker instead of being buffered here. Our largest message, a full bundle, stays far below it.
            MaximumPacketSize = MaxPacketBytes,
            Username = _options.UserName,
            Password = _options.Password is { } password ? Encoding.UTF8.GetBytes(password) : null,
        };
        if (_options.Will is { } will)
        {
            packet.WillFlag = true;
            packet.WillTopic = will.Topic;
            packet.WillMessage = will.Payload;
            packet.WillQoS = QualityOf(will.Delivery);
            packet.WillRetain = will.Retain;
        }
        return packet;
    }

    /// <summary>
    /// Subscribes (QoS 1 at most) and reads the broker's verdict. Messages can come before it (MQTTnet's broker sends
    /// the retained ones first, and a peer's publish may be routed before the SUBACK is written): they are handed on.
    /// </summary>
    private void Subscribe(MqttConnection connection)
    {
        if (_subscriptions.Count == 0) return;
        var subscribe = new MqttSubscribePacket { PacketIdentifier = 1 };
        foreach (var filter in _subscriptions)
            subscribe.TopicFilters.Add(new MqttTopicFilter { Topic = filter, QualityOfServiceLevel = MqttQualityOfServiceLevel.AtLeastOnce });
        connection.Send(subscribe);
        MqttSubAckPacket? granted = null;
        while (granted is null)
            switch (connection.Receive())
            {
                case null:
                    throw new IOException("the broker closed the connection without answering the subscription (no SUBACK)");
                case MqttSubAckPacket answer:
                    granted = answer;
                    break;
                case var packet:
                    Handle(connection, packet);
                    break;
            }
        if (granted.ReasonCodes.Count != _subscriptions.Count)
            throw new IOException($"the broker answered {granted.ReasonCodes.Count} of the {_subscriptions.Count} topic filters subscribed to");
        for (var i = 0; i < _subscriptions.Count; i++)
            if (granted.ReasonCodes[i] == MqttSubscribeReasonCode.SharedSubscriptionsNotSupported)
                throw new BrokerRefusedException(_options.Broker, Who, $"it has no MQTT 5 shared subscriptions (refused '{_subscriptions[i]}'), which cloud workers need; use a broker that has them, e.g. mosquitto 2", null);
            else if ((int)granted.ReasonCodes[i] > (int)MqttSubscribeReasonCode.GrantedQoS2)
                throw new InvalidOperationException($"the broker refused the subscription to '{_subscriptions[i]}': {granted.ReasonCodes[i]}");
    }

    /// <summary>The receive thread: reads and hands on packets; when the connection ends, reconnects until stopped.</summary>
    private void ReceiveLoop()
    {
        while (!_stopping.IsCancellationRequested)
        {
            if (Volatile.Read(ref _connection) is not { } connection)
            {
                if (!Reconnect()) return;
                continue;
            }
            try
            {
                while (connection.Receive(_caughtUp) is { } packet) Handle(connection, packet);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                // The connection is gone (or the broker broke the protocol): reconnect.
            }
            Lost(connection);
        }
    }

    private void Handle(MqttConnection connection, MqttPacket packet)
    {
        switch (packet)
        {
            case MqttPublishPacket publish:
                if (publish.QualityOfServiceLevel == MqttQualityOfServiceLevel.ExactlyOnce)
                    throw new IOException($"the broker sent a QoS 2 publish on '{publish.Topic}', above the QoS 1 this client subscribed with");
                Interlocked.Increment(ref _received);
                _onMessage(publish.Topic, PayloadOf(publish));
                if (publish.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtLeastOnce)
                    connection.Send(new MqttPubAckPacket { PacketIdentifier = publish.PacketIdentifier, ReasonCode = MqttPubAckReasonCode.Success });
                break;
            case MqttPubAckPacket acknowledged:
                Outgoing message;
                lock (_acks)
                    if (!_awaitingAck.Remove(acknowledged.PacketIdentifier, out message)) break;
                if ((int)acknowledged.ReasonCode < 0x80) CountPublished(message);
                else Interlocked.Add(ref _failed, message.Messages);
                break;
            case MqttDisconnectPacket disconnect:
                throw new IOException($"the broker ended the connection: {disconnect.ReasonCode}");
            // PINGRESP: its arrival is what the keep-alive watch looks for (any bytes count).
        }
    }

    /// <summary>The publish's payload as an array of its own: the decoder's copy when it is one whole array.</summary>
    private static byte[] PayloadOf(MqttPublishPacket publish)
    {
        var payload = publish.Payload;
        if (payload.IsSingleSegment && MemoryMarshal.TryGetArray(payload.First, out var segment)
            && segment.Offset == 0 && segment.Count == segment.Array!.Length)
            return segment.Array;
        return payload.ToArray();
    }

    /// <summary>Forgets a connection that ended: its unacknowledged publishes fail, and the tier hears of the loss.</summary>
    private void Lost(MqttConnection connection)
    {
        if (Interlocked.CompareExchange(ref _connection, null, connection) != connection) return;
        connection.Dispose();
        lock (_acks)
        {
            foreach (var message in _awaitingAck.Values) Interlocked.Add(ref _failed, message.Messages);
            _awaitingAck.Clear();
        }
        if (_stopping.IsCancellationRequested) return;
        Interlocked.Increment(ref _disconnects);
        // Before the reconnect starts, so the receiver hears of the loss before anything that comes after it.
        ConnectionLost?.Invoke();
    }

    /// <summary>Reconnects with a growing pause (50 ms up to 1 s) until it succeeds, and re-publishes the retained messages; false when stopped first.</summary>
    private bool Reconnect()
    {
        var pause = TimeSpan.FromMilliseconds(50);
        while (!_stopping.Token.WaitHandle.WaitOne(pause))
        {
            try
            {
                var connection = Open(_stopping.Token);
                Volatile.Write(ref _connection, connection);
                foreach (var retained in _retained.Values) Send(retained);
                Interlocked.Increment(ref _reconnects);
                return true;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The broker is still away (or refuses us for now); retry, backing off.
                pause = TimeSpan.FromMilliseconds(Math.Min(1000, pause.TotalMilliseconds * 2));
            }
        }
        return false;
    }

    /// <summary>
    /// Every quarter keep-alive: a PINGREQ when nothing was sent or received for half of it (the broker must hear from
    /// us within one and a half, and its answer proves the link), and the end of a connection that heard nothing for
    /// two: a cut link or a frozen broker gives no end of stream, so without this the receive thread would wait forever.
    /// </summary>
    private void KeepAlive()
    {
        if (Volatile.Read(ref _connection) is not { Closed: false } connection) return;
        var now = Environment.TickCount64;
        var keepAlive = (long)_options.KeepAlive.TotalMilliseconds;
        if (now - connection.LastReceivedMs > 2 * keepAlive)
        {
            connection.Abort();
            return;
        }
        if (now - connection.LastSentMs < keepAlive / 2 && now - connection.LastReceivedMs < keepAlive / 2) return;
        try
        {
            connection.Send(MqttPingReqPacket.Instance);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            connection.Abort();
        }
    }

    /// <summary>Counts a publish as sent (a QoS 0 one once written, a QoS 1 one at its PUBACK) and each of its messages under its kind; a bundle's marker goes with its first message, each length field with its message.</summary>
    private void CountPublished(Outgoing message)
    {
        Interlocked.Increment(ref _publishes);
        if (message.Messages == 1)
        {
            Count(message.Topic, message.Payload, message.Payload.Length);
            return;
        }
        var extra = MessageBundle.HeaderBytes;
        foreach (var inner in MessageBundle.Messages(message.Payload))
        {
            Count(message.Topic, inner, extra + MessageBundle.LengthBytes + inner.Length);
            extra = 0;
        }
    }

    /// <summary>
    /// Under a lock: a QoS 0 publish is counted on the publishing thread and a QoS 1 one on the receive thread (at its
    /// PUBACK), and a <see cref="MessageKindOf"/> may keep state (<see cref="ServedLinks.Classifier"/> caches topics).
    /// </summary>
    private void Count(string topic, ReadOnlySpan<byte> payload, int bytes)
    {
        lock (_counting) _published.GetOrAdd(_options.TopicKind(topic, payload), _ => new TopicKindCounter()).Add(bytes);
    }

    private static MqttQualityOfServiceLevel QualityOf(Delivery delivery) =>
        delivery == Delivery.AtLeastOnce ? MqttQualityOfServiceLevel.AtLeastOnce : MqttQualityOfServiceLevel.AtMostOnce;

    /// <summary>The certificates of a PEM file; a file that cannot be read or holds none is an <see cref="IOException"/> naming it.</summary>
    private static X509Certificate2Collection LoadCertificates(string path)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new IOException($"cannot read the CA file '{path}': {e.Message}", e);
        }
        if (certificates.Count == 0) throw new IOException($"the CA file '{path}' holds no PEM certificate");
        return certificates;
    }

    /// <summary>
    /// Accepts the broker's certificate when it names the address's host and chains to <see cref="MqttTransportOptions.CaFile"/>
    /// (or, without one, to the machine's trusted roots); otherwise keeps why, for the error message.
    /// </summary>
    private bool ValidateBrokerCertificate(X509Certificate? presented, X509Chain? machineChain, SslPolicyErrors errors)
    {
        string? problem = null;
        if (presented is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
            problem = "it sent no certificate";
        else if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            problem = $"its certificate does not name host '{_options.Broker.Host}'";
        else if (_trusted is null)
        {
            if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
                problem = $"its certificate is not trusted by this machine ({ChainStatus(machineChain)}); give the CA that signs it (--ca-file)";
        }
        else
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(_trusted);
            // A private CA publishes no revocation lists.
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            using var certificate = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
            if (!chain.Build(certificate))
                problem = $"its certificate is not signed by a CA of '{_options.CaFile}' ({ChainStatus(chain)})";
        }
        _certificateProblem = problem;
        return problem is null;
    }

    private static string ChainStatus(X509Chain? chain) =>
        chain is null || chain.ChainStatus.Length == 0 ? "no chain" : string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());

    /// <summary>This client in an error message.</summary>
    private string Who => _options.Describe ?? (_options.UserName is { } user ? $"user '{user}'" : "an anonymous client");

    /// <summary>Why a broker refused a connection, in words.</summary>
    private static string Refusal(MqttConnectReasonCode code) => code switch
    {
        MqttConnectReasonCode.BadUserNameOrPassword => "bad user name or password",
        // mosquitto answers this one for a wrong password too, not only for a missing one.
        MqttConnectReasonCode.NotAuthorized => "not authorized (bad or missing user name or password)",
        _ => $"connection refused ({code})",
    };

    /// <summary>The innermost useful message: a TLS or I/O error wraps the socket error that says what happened.</summary>
    private string Reason(Exception e)
    {
        if (_certificateProblem is { } certificate) return "TLS: the broker's certificate was refused: " + certificate;
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (inner is SocketException socket)
                return socket.Message;
        if (e is IOException { InnerException: null } && e.Message.Length > 0) return e.Message;
        return e.InnerException is { } cause && cause.Message.Length > 0 ? cause.Message : e.Message;
    }

    /// <summary>The largest MQTT packet this client accepts (announced at connect): four times the largest bundle.</summary>
    private const uint MaxPacketBytes = 4 * MaxBundleBytes;

    /// <summary>A bundle stays this small (bytes), far below any broker's packet limit.</summary>
    private const int MaxBundleBytes = 256 * 1024;

    /// <param name="Messages">Tier messages in the payload: 1, or a bundle's count.</param>
    private readonly record struct Outgoing(string Topic, byte[] Payload, Delivery Delivery, bool Retain, int Messages);

    /// <summary>The messages held for one topic and delivery, in publish order.</summary>
    private sealed class HeldTopic(string topic, Delivery delivery)
    {
        public string Topic { get; } = topic;
        public Delivery Delivery { get; } = delivery;
        public List<byte[]> Messages { get; } = [];

        /// <summary>The bundle's size so far.</summary>
        public int Bytes { get; private set; } = MessageBundle.HeaderBytes;

        public void Add(byte[] message)
        {
            Messages.Add(message);
            Bytes += MessageBundle.LengthBytes + message.Length;
        }

        public void Clear()
        {
            Messages.Clear();
            Bytes = MessageBundle.HeaderBytes;
        }
    }
}

/// <summary>A transport could not connect: the broker is unreachable or refused it.</summary>
public abstract class BrokerConnectException(BrokerAddress broker, string message, Exception? inner) : IOException(message, inner)
{
    public BrokerAddress Broker { get; } = broker;
}

/// <summary>The broker could not be reached, or closed the connection for a reason other than credentials.</summary>
public sealed class BrokerUnreachableException(BrokerAddress broker, string reason, Exception inner, bool transient = true)
    : BrokerConnectException(broker, $"cannot reach the MQTT broker at {broker}: {reason}", inner)
{
    /// <summary>False when the broker's certificate was refused: no later attempt can succeed.</summary>
    public bool Transient { get; } = transient;
}

/// <summary>The broker answered and refused the client's credentials (or their absence).</summary>
public sealed class BrokerRefusedException(BrokerAddress broker, string who, string reason, Exception? inner)
    : BrokerConnectException(broker, $"the MQTT broker at {broker} refused {who}: {reason}", inner)
{
    /// <summary>Why, e.g. "bad user name or password".</summary>
    public string Reason { get; } = reason;
}

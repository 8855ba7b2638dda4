using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Ddnn.Core.Serving;
using MQTTnet;
using MQTTnet.Formatter;
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
    /// bounds how long a frozen or cut-off tier goes unnoticed; MQTT counts it in whole seconds.
    /// </summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one connection attempt may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Publishes queued for the sender at most; past this a publish is dropped and counted (a stalled broker must not grow memory).</summary>
    public int OutgoingCapacity { get; init; } = 16384;

    /// <summary>Names the kind of a message (topic, payload) for the byte counters, e.g. its link; the topic itself by default.</summary>
    public MessageKindOf TopicKind { get; init; } = (topic, _) => topic;

    /// <summary>
    /// Holds publishes until <see cref="MqttTransport.Flush"/> (or until <see cref="MaxHeld"/> are held) and sends the
    /// messages held for one topic as one <see cref="MessageBundle"/>: one broker route, one parse and one wake-up for
    /// what a tier published in one pass, instead of one per message. Retained messages are never held or bundled. The
    /// caller must flush (<see cref="TierHost"/> does whenever its queue runs empty); off by default.
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
/// <see cref="IMessageTransport"/> over an MQTT broker (MQTTnet client, MQTT 5). Publishes are copied and queued to one
/// sender task, so the tier's thread never waits on the network and message order per tier is kept; failures are
/// counted, never thrown into the tier. When the connection drops (the broker restarted, the link was cut) it
/// reconnects by itself, subscribes again and re-publishes its retained messages, which a broker without persistence
/// forgets on restart.
/// </summary>
public sealed class MqttTransport : IMessageTransport, IAsyncDisposable
{
    private readonly MqttTransportOptions _options;
    private readonly Action<string, byte[]> _onMessage;
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _clientOptions;
    private readonly Channel<Outgoing> _outgoing;
    private readonly ConcurrentDictionary<string, Outgoing> _retained = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TopicKindCounter> _published = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _holding = new();
    private readonly List<HeldTopic> _held = [];
    private int _heldCount;
    private IReadOnlyList<string> _subscriptions = [];
    private Task? _sender;
    private int _reconnecting;
    private long _publishes, _received, _droppedFull, _droppedDisconnected, _failed, _reconnects, _disconnects;
    private readonly X509Certificate2Collection? _trusted;
    private volatile string? _certificateProblem;

    /// <summary>A transport that hands each received message (topic, payload copy) to <paramref name="onMessage"/>, on MQTTnet's receive thread, in arrival order.</summary>
    public MqttTransport(MqttTransportOptions options, Action<string, byte[]> onMessage)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(onMessage);
        _options = options;
        _onMessage = onMessage;
        _outgoing = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(options.OutgoingCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
            // The sender loop's wait completes on the thread that queues (the tier's host, when it flushes), which then
            // starts the publishes itself instead of waking a thread-pool worker for them: one thread hop less per
            // flush, the bulk of a served tier's CPU on a loaded machine. The loop only starts sends there, it never blocks.
            AllowSynchronousContinuations = true,
        });
        var builder = new MqttClientFactory().CreateClientOptionsBuilder()
            .WithTcpServer(options.Broker.Host, options.Broker.Port)
            .WithClientId(options.ClientId)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCleanStart(true)
            .WithKeepAlivePeriod(options.KeepAlive)
            .WithTimeout(options.ConnectTimeout)
            // MQTT 5 lets a client cap the packets the broker sends it: a peer's megabyte publish is dropped at the
            // broker instead of being buffered here. Our largest message, a full bundle, stays far below it.
            .WithMaximumPacketSize(MaxPacketBytes);
        if (options.UserName is not null || options.Password is not null)
        {
            if (options.UserName is null || options.Password is null) throw new ArgumentException("give both a user name and a password, or neither", nameof(options));
            builder = builder.WithCredentials(options.UserName, options.Password);
        }
        if (options.Broker.Tls)
        {
            _trusted = options.CaFile is null ? null : LoadCertificates(options.CaFile);
            builder = builder.WithTlsOptions(tls => tls.UseTls().WithTargetHost(options.Broker.Host)
                .WithCertificateValidationHandler(ValidateBrokerCertificate));
        }
        else if (options.CaFile is not null) throw new ArgumentException($"a CA file goes with an mqtts:// broker, not {options.Broker}", nameof(options));
        if (options.Will is { } will)
            builder = builder.WithWillTopic(will.Topic).WithWillPayload(will.Payload)
                .WithWillQualityOfServiceLevel(QualityOf(will.Delivery)).WithWillRetain(will.Retain);
        _clientOptions = builder.Build();
        if (_clientOptions.ChannelOptions is MqttClientTcpOptions tcp)
        {
            // Messages are small and latency-bound: no Nagle (MQTTnet's default too, stated because it matters).
            tcp.NoDelay = true;
            // MQTTnet sets the socket buffers to this size before it connects, which also fixes the TCP window scale:
            // at its small default the window stays under 8 KB, and at a thousand samples/s the broker's sends to a tier
            // stall on it (delayed ACKs, seconds of queue) until every sample times out. The kernel caps the value.
            tcp.BufferSize = SocketBufferBytes;
        }
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += e =>
        {
            Interlocked.Increment(ref _received);
            _onMessage(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload.ToArray());
            return Task.CompletedTask;
        };
        _client.DisconnectedAsync += e =>
        {
            if (e.ClientWasConnected && !_stopping.IsCancellationRequested)
            {
                Interlocked.Increment(ref _disconnects);
                // Before the reconnect starts, so the receiver hears of the loss before anything that comes after it.
                ConnectionLost?.Invoke();
                StartReconnecting();
            }
            return Task.CompletedTask;
        };
    }

    public BrokerAddress Broker => _options.Broker;

    /// <summary>Raised (on a transport thread) when an established connection is lost, before the transport starts reconnecting.</summary>
    public event Action? ConnectionLost;

    public bool IsConnected => _client.IsConnected;

    /// <summary>MQTT publishes handed to the broker (after a successful send); a bundle is one.</summary>
    public long Publishes => Interlocked.Read(ref _publishes);
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Publishes dropped because the outgoing queue was full.</summary>
    public long DroppedQueueFull => Interlocked.Read(ref _droppedFull);

    /// <summary>Publishes dropped because the broker was not connected when their turn came.</summary>
    public long DroppedDisconnected => Interlocked.Read(ref _droppedDisconnected);

    /// <summary>Publishes the client failed to send while connected.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Successful reconnections after a lost connection.</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>Connections lost while running.</summary>
    public long Disconnects => Interlocked.Read(ref _disconnects);

    /// <summary>All publishes dropped, for whatever reason.</summary>
    public long Dropped => DroppedQueueFull + DroppedDisconnected + Failed;

    /// <summary>Published messages and payload bytes per topic kind (<see cref="MqttTransportOptions.TopicKind"/>).</summary>
    public IReadOnlyDictionary<string, TopicKindCounter> PublishedByKind => _published;

    /// <summary>
    /// Connects, subscribes to <paramref name="subscriptions"/> and starts the sender. A broker that cannot be reached
    /// is a <see cref="BrokerUnreachableException"/> naming the address and the reason.
    /// </summary>
    public async Task ConnectAsync(IReadOnlyList<string> subscriptions, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(subscriptions);
        if (_sender is not null) throw new InvalidOperationException("the transport is already connected");
        _subscriptions = subscriptions.ToArray();
        try
        {
            var connected = await _client.ConnectAsync(_clientOptions, cancellation).ConfigureAwait(false);
            if (connected.ResultCode != MqttClientConnectResultCode.Success) throw new BrokerRefusedException(_options.Broker, Who, Refusal(connected.ResultCode), null);
            await SubscribeAsync(cancellation).ConfigureAwait(false);
        }
        catch (BrokerRefusedException)
        {
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            throw new BrokerUnreachableException(_options.Broker, Reason(e), e, transient: _certificateProblem is null);
        }
        _sender = Task.Run(SendLoopAsync, CancellationToken.None);
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

    /// <summary>Sends what <see cref="MqttTransportOptions.Coalesce"/> held: one bundle per topic, a single message as itself. Returns the publishes queued.</summary>
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

    private void Send(Outgoing message)
    {
        if (!_outgoing.Writer.TryWrite(message)) Interlocked.Add(ref _droppedFull, message.Messages);
    }

    /// <summary>
    /// Publishes the will itself (peers learn at once that this tier left, as they would if it had died; MQTTnet's
    /// broker ignores MQTT 5's disconnect-with-will), sends what is queued (for at most
    /// <paramref name="drainTimeout"/>) and disconnects.
    /// </summary>
    public async Task DisconnectAsync(TimeSpan drainTimeout)
    {
        if (_stopping.IsCancellationRequested) return;
        Flush();
        if (_options.Will is { } will && _sender is not null) Publish(will.Topic, will.Payload, will.Delivery, will.Retain);
        _outgoing.Writer.TryComplete();
        if (_sender is not null) await Task.WhenAny(_sender, Task.Delay(drainTimeout)).ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_client.IsConnected)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or ObjectDisposedException or SocketException)
            {
                // Already gone: the broker publishes the will on its own.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DisconnectAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        _client.Dispose();
        _stopping.Dispose();
    }

    /// <summary>One line of counters, e.g. for a tier's last line.</summary>
    public string DescribeCounters()
    {
        var kinds = string.Join(", ", _published.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value.Messages}/{p.Value.Bytes} B")));
        return string.Create(CultureInfo.InvariantCulture,
            $"published {Publishes} ({(kinds.Length == 0 ? "nothing" : kinds)}), received {Received}, dropped {Dropped} (queue full {DroppedQueueFull}, disconnected {DroppedDisconnected}, failed {Failed}), disconnects {Disconnects}, reconnects {Reconnects}");
    }

    /// <summary>Publishes started before the sender waits for them: MQTTnet writes a QoS 0 publish when it is called and completes it when the bytes are out, so a batch costs one wait, not one per message.</summary>
    private const int MaxBatch = 64;

    private async Task SendLoopAsync()
    {
        var reader = _outgoing.Reader;
        var batch = new (Outgoing Message, Task<bool> Sent)[MaxBatch];
        while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            var n = 0;
            while (n < MaxBatch && reader.TryRead(out var message))
            {
                if (_stopping.IsCancellationRequested) return;
                if (!_client.IsConnected)
                {
                    Interlocked.Add(ref _droppedDisconnected, message.Messages);
                    continue;
                }
                batch[n++] = (message, TrySendAsync(message));
            }
            // Completed in the order started: the client writes publishes in call order, so per-tier order is kept.
            for (var i = 0; i < n; i++)
            {
                var (message, sent) = batch[i];
                batch[i] = default;
                if (await sent.ConfigureAwait(false))
                    CountPublished(message);
                else
                    Interlocked.Add(ref _failed, message.Messages);
            }
        }
    }

    /// <summary>Counts each message of a sent publish under its kind; a bundle's marker goes with its first message, each length field with its message.</summary>
    private void CountPublished(Outgoing message)
    {
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

    private void Count(string topic, ReadOnlySpan<byte> payload, int bytes) =>
        _published.GetOrAdd(_options.TopicKind(topic, payload), _ => new TopicKindCounter()).Add(bytes);

    private async Task<bool> TrySendAsync(Outgoing message)
    {
        try
        {
            var built = new MqttApplicationMessageBuilder()
                .WithTopic(message.Topic)
                .WithPayload(message.Payload)
                .WithQualityOfServiceLevel(QualityOf(message.Delivery))
                .WithRetainFlag(message.Retain)
                .Build();
            var result = await _client.PublishAsync(built, _stopping.Token).ConfigureAwait(false);
            if (!result.IsSuccess) return false;
            Interlocked.Increment(ref _publishes);
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A dropped connection surfaces here as several exception types; the reconnect loop deals with the cause.
            return false;
        }
    }

    private void StartReconnecting()
    {
        if (Interlocked.Exchange(ref _reconnecting, 1) == 1) return;
        _ = Task.Run(async () =>
        {
            try
            {
                var delay = TimeSpan.FromMilliseconds(50);
                while (!_stopping.IsCancellationRequested && !_client.IsConnected)
                {
                    try
                    {
                        await Task.Delay(delay, _stopping.Token).ConfigureAwait(false);
                        await _client.ConnectAsync(_clientOptions, _stopping.Token).ConfigureAwait(false);
                        try
                        {
                            await SubscribeAsync(_stopping.Token).ConfigureAwait(false);
                        }
                        catch (Exception e) when (e is not OutOfMemoryException)
                        {
                            // Connected but not subscribed would look healthy and hear nothing: drop the connection and retry.
                            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                            try { await _client.DisconnectAsync(new MqttClientDisconnectOptions(), quick.Token).ConfigureAwait(false); }
                            catch (Exception ignored) when (ignored is not OutOfMemoryException) { }
                            throw;
                        }
                        foreach (var retained in _retained.Values) await TrySendAsync(retained).ConfigureAwait(false);
                        Interlocked.Increment(ref _reconnects);
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        // The broker is still away; retry, backing off to at most 1 s between attempts.
                        delay = TimeSpan.FromMilliseconds(Math.Min(1000, delay.TotalMilliseconds * 2));
                    }
                }
            }
            finally
            {
                Volatile.Write(ref _reconnecting, 0);
            }
            // A drop between the loop's last check and the flag's reset would have been missed.
            if (!_client.IsConnected && !_stopping.IsCancellationRequested) StartReconnecting();
        });
    }

    private async Task SubscribeAsync(CancellationToken cancellation)
    {
        if (_subscriptions.Count == 0) return;
        var builder = new MqttClientFactory().CreateSubscribeOptionsBuilder();
        foreach (var filter in _subscriptions)
            builder = builder.WithTopicFilter(f => f.WithTopic(filter).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce));
        var result = await _client.SubscribeAsync(builder.Build(), cancellation).ConfigureAwait(false);
        foreach (var item in result.Items)
            if (item.ResultCode == MqttClientSubscribeResultCode.SharedSubscriptionsNotSupported)
                throw new BrokerRefusedException(_options.Broker, Who, $"it has no MQTT 5 shared subscriptions (refused '{item.TopicFilter.Topic}'), which cloud workers need; use a broker that has them, e.g. mosquitto 2", null);
            else if ((int)item.ResultCode > (int)MqttClientSubscribeResultCode.GrantedQoS2)
                throw new InvalidOperationException($"the broker refused the subscription to '{item.TopicFilter.Topic}': {item.ResultCode}");
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
    private bool ValidateBrokerCertificate(MqttClientCertificateValidationEventArgs e)
    {
        string? problem = null;
        if (e.Certificate is null || (e.SslPolicyErrors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
            problem = "it sent no certificate";
        else if ((e.SslPolicyErrors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            problem = $"its certificate does not name host '{_options.Broker.Host}'";
        else if (_trusted is null)
        {
            if ((e.SslPolicyErrors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
                problem = $"its certificate is not trusted by this machine ({ChainStatus(e.Chain)}); give the CA that signs it (--ca-file)";
        }
        else
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(_trusted);
            // A private CA publishes no revocation lists.
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            using var certificate = X509CertificateLoader.LoadCertificate(e.Certificate.GetRawCertData());
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
    private static string Refusal(MqttClientConnectResultCode code) => code switch
    {
        MqttClientConnectResultCode.BadUserNameOrPassword => "bad user name or password",
        // mosquitto answers this one for a wrong password too, not only for a missing one.
        MqttClientConnectResultCode.NotAuthorized => "not authorized (bad or missing user name or password)",
        _ => $"connection refused ({code})",
    };

    /// <summary>The innermost useful message: MQTTnet wraps the socket error that says what happened.</summary>
    private string Reason(Exception e)
    {
        if (_certificateProblem is { } certificate) return "TLS: the broker's certificate was refused: " + certificate;
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (inner is SocketException socket) return socket.Message;
        if (e is OperationCanceledException or TimeoutException) return "no answer (timed out)";
        return e.InnerException is { } cause && cause.Message.Length > 0 ? cause.Message : e.Message;
    }

    /// <summary>The largest MQTT packet this client accepts (announced at connect): four times the largest bundle.</summary>
    private const uint MaxPacketBytes = 4 * MaxBundleBytes;

    /// <summary>Socket send and receive buffer size asked for (the kernel caps it at net.core.[rw]mem_max).</summary>
    private const int SocketBufferBytes = 1 << 20;

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

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Ddnn.Bench.Serving;
using Ddnn.Core.Serving;

namespace Ddnn.Bench.Tests.Serving;

[Collection(ServingProcessCollection.Name)]
public sealed class MqttTransportTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    public static TheoryData<string> Brokers => new() { "embedded", "mosquitto" };

    /// <summary>A broker of the kind named, started for one test.</summary>
    private sealed class TestBroker : IAsyncDisposable
    {
        private EmbeddedBroker? _embedded;
        public Mosquitto? Mosquitto { get; private set; }
        public BrokerAddress Address => _embedded?.Address ?? Mosquitto!.Address;

        public static async Task<TestBroker> StartAsync(string kind)
        {
            var broker = new TestBroker();
            if (kind == "embedded") broker._embedded = await EmbeddedBroker.StartAsync(IPAddress.Loopback, 0);
            else broker.Mosquitto = Mosquitto.Start();
            return broker;
        }

        public async ValueTask DisposeAsync()
        {
            if (_embedded is not null) await _embedded.DisposeAsync();
            Mosquitto?.Dispose();
        }
    }

    private sealed class Inbox
    {
        public ConcurrentQueue<(string Topic, byte[] Payload)> Messages { get; } = new();
        public void Add(string topic, byte[] payload) => Messages.Enqueue((topic, payload));
        public bool Has(string topic) => Messages.Any(m => m.Topic == topic);
    }

    private static MqttTransport Transport(BrokerAddress broker, string id, Inbox inbox, MqttWill? will = null) =>
        new(new MqttTransportOptions { Broker = broker, ClientId = $"test-{id}-{Environment.ProcessId}", Will = will, KeepAlive = TimeSpan.FromSeconds(1), TopicKind = (t, _) => t.Split('/')[1] }, inbox.Add);

    /// <summary>A subscriber to <c>t/#</c> (what it receives in <see cref="Received"/>) and a publisher, both connected.</summary>
    private sealed class ConnectedPair(MqttTransport subscriber, MqttTransport publisher, Inbox received) : IAsyncDisposable
    {
        public MqttTransport Subscriber => subscriber;
        public MqttTransport Publisher => publisher;
        public Inbox Received => received;

        public static async Task<ConnectedPair> StartAsync(BrokerAddress broker)
        {
            var inbox = new Inbox();
            var sub = Transport(broker, "sub", inbox);
            var pub = Transport(broker, "pub", new Inbox());
            var pair = new ConnectedPair(sub, pub, inbox);
            try
            {
                await sub.ConnectAsync(["t/#"], CancellationToken.None);
                await pub.ConnectAsync([], CancellationToken.None);
            }
            catch
            {
                await pair.DisposeAsync();
                throw;
            }
            return pair;
        }

        public async ValueTask DisposeAsync()
        {
            await publisher.DisposeAsync();
            await subscriber.DisposeAsync();
        }
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Patience, $"timed out after {Patience.TotalSeconds} s waiting for {what}");
            Thread.Sleep(10);
        }
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task Delivers_in_order_and_counts_bytes_per_topic_kind(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await using var pair = await ConnectedPair.StartAsync(broker.Address);
        var (received, publisher) = (pair.Received, pair.Publisher);
        var buffer = new byte[40];
        for (var i = 0; i < 200; i++)
        {
            buffer.AsSpan().Fill((byte)i);
            // The transport copies: the buffer is overwritten right after each publish.
            publisher.Publish(i % 2 == 0 ? "t/even" : "t/odd", buffer.AsSpan(0, 1 + i % 40), Delivery.AtLeastOnce, retain: false);
        }
        WaitFor(() => received.Messages.Count == 200, "200 messages");
        var messages = received.Messages.ToArray();
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(i % 2 == 0 ? "t/even" : "t/odd", messages[i].Topic);
            Assert.Equal(Enumerable.Repeat((byte)i, 1 + i % 40), messages[i].Payload);
        }
        // A QoS 1 publish is counted when its PUBACK is back, which may be after the subscriber already has it.
        WaitFor(() => publisher.Publishes == 200, "200 publishes acknowledged");
        Assert.Equal(0, publisher.Dropped);
        Assert.Equal(100, publisher.PublishedByKind["even"].Messages);
        Assert.Equal(Enumerable.Range(0, 200).Where(i => i % 2 == 1).Sum(i => 1 + i % 40), publisher.PublishedByKind["odd"].Bytes);
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task Coalescing_sends_what_was_held_for_a_topic_as_one_bundle_and_keeps_order(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        var received = new Inbox();
        await using var subscriber = Transport(broker.Address, "sub", received);
        await subscriber.ConnectAsync(["t/#"], CancellationToken.None);
        await using var publisher = new MqttTransport(new MqttTransportOptions
        {
            Broker = broker.Address, ClientId = $"test-coalesce-{Environment.ProcessId}", Coalesce = true, MaxHeld = 1000,
            TopicKind = (t, _) => t.Split('/')[1],
        }, (_, _) => { });
        await publisher.ConnectAsync([], CancellationToken.None);
        byte[] Message(int i) => Enumerable.Repeat((byte)i, MessageBundle.MinMessageBytes + i % 30).ToArray();
        for (var i = 0; i < 100; i++) publisher.Publish(i % 2 == 0 ? "t/even" : "t/odd", Message(i), Delivery.AtMostOnce, retain: false);
        // Too short to be a served message: sent alone. A retained message goes at once, after what was held.
        publisher.Publish("t/short", [1, 2, 3], Delivery.AtMostOnce, retain: false);
        publisher.Publish("t/status", [9], Delivery.AtLeastOnce, retain: true);
        for (var i = 100; i < 150; i++) publisher.Publish("t/even", Message(i), Delivery.AtMostOnce, retain: false);
        Assert.True(publisher.Flush() > 0);
        WaitFor(() => received.Messages.Count == 5, "two bundles, the short message, the retained one, one more bundle");
        var packets = received.Messages.ToArray();
        Assert.Equal(["t/even", "t/odd", "t/short", "t/status", "t/even"], packets.Select(p => p.Topic));
        List<byte[]> Unpacked(byte[] bundle)
        {
            Assert.True(MessageBundle.IsBundle(bundle));
            var messages = new List<byte[]>();
            foreach (var message in MessageBundle.Messages(bundle)) messages.Add(message.ToArray());
            return messages;
        }
        Assert.Equal(Enumerable.Range(0, 50).Select(i => Message(2 * i)), Unpacked(packets[0].Payload));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => Message(2 * i + 1)), Unpacked(packets[1].Payload));
        Assert.Equal([1, 2, 3], packets[2].Payload);
        Assert.Equal(Enumerable.Range(100, 50).Select(Message), Unpacked(packets[4].Payload));
        // Counted per message, the bundles' own bytes (marker, lengths) included: the bytes are exactly the payloads sent.
        WaitFor(() => publisher.Publishes == 5, "five publishes sent");
        Assert.Equal(100, publisher.PublishedByKind["even"].Messages);
        Assert.Equal(50, publisher.PublishedByKind["odd"].Messages);
        Assert.Equal(packets[0].Payload.Length + packets[4].Payload.Length, publisher.PublishedByKind["even"].Bytes);
        Assert.Equal(packets[1].Payload.Length, publisher.PublishedByKind["odd"].Bytes);
        Assert.Equal(0, publisher.Flush());
    }

    [Fact]
    public async Task Mosquitto_does_not_forward_a_packet_over_the_size_a_tier_announced()
    {
        using var mosquitto = Mosquitto.Start();
        await using var pair = await ConnectedPair.StartAsync(mosquitto.Address);
        var (received, subscriber, publisher) = (pair.Received, pair.Subscriber, pair.Publisher);
        publisher.Publish("t/huge", new byte[3 << 20], Delivery.AtMostOnce, retain: false);
        publisher.Publish("t/after", [1], Delivery.AtMostOnce, retain: false);
        WaitFor(() => received.Has("t/after"), "the small message published after the huge one");
        Assert.False(received.Has("t/huge"));
        Assert.True(subscriber.IsConnected);
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task A_clean_disconnect_publishes_the_will(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        var received = new Inbox();
        await using var watcher = Transport(broker.Address, "watcher", received);
        await watcher.ConnectAsync(["will/#"], CancellationToken.None);
        var leaving = Transport(broker.Address, "leaving", new Inbox(), new MqttWill("will/leaving", [7], Delivery.AtLeastOnce, Retain: false));
        await leaving.ConnectAsync([], CancellationToken.None);
        await leaving.DisposeAsync();
        WaitFor(() => received.Has("will/leaving"), "the will");
    }

    [Fact]
    public async Task Reconnects_resubscribes_and_republishes_retained_messages_after_mosquitto_restarts()
    {
        using var mosquitto = Mosquitto.Start();
        await using var pair = await ConnectedPair.StartAsync(mosquitto.Address);
        var (received, subscriber, publisher) = (pair.Received, pair.Subscriber, pair.Publisher);
        publisher.Publish("t/announce", [1, 2, 3], Delivery.AtLeastOnce, retain: true);
        WaitFor(() => received.Has("t/announce"), "the retained announcement");

        mosquitto.Restart(TimeSpan.FromMilliseconds(300));
        WaitFor(() => subscriber.Reconnects >= 1 && publisher.Reconnects >= 1 && subscriber.IsConnected && publisher.IsConnected, "both clients to reconnect");
        // A subscriber that comes after the restart sees the announcement again: the broker forgot it, the publisher did not.
        var late = new Inbox();
        await using var newcomer = Transport(mosquitto.Address, "late", late);
        await newcomer.ConnectAsync(["t/#"], CancellationToken.None);
        WaitFor(() => late.Has("t/announce"), "the retained announcement after the restart");
        publisher.Publish("t/after", [4], Delivery.AtLeastOnce, retain: false);
        WaitFor(() => received.Has("t/after"), "a message after the restart");
        Assert.True(subscriber.Disconnects >= 1);
    }

    [Fact]
    public async Task A_host_over_the_transport_gets_its_messages_and_hears_that_the_broker_is_gone()
    {
        using var mosquitto = Mosquitto.Start();
        var tier = new TierHostTests.RecordingTier();
        TierHost? host = null;
        await using var transport = new MqttTransport(new MqttTransportOptions
        {
            Broker = mosquitto.Address, ClientId = $"test-host-{Environment.ProcessId}", KeepAlive = TimeSpan.FromSeconds(1), TopicKind = (t, _) => t.Split('/')[1],
        }, (topic, payload) => host?.Deliver(topic, payload));
        using var hosted = host = TierHost.Over(transport, tier, new MonotonicClock(), () => transport.Flush());
        await transport.ConnectAsync(["t/#"], CancellationToken.None);
        using var stop = new CancellationTokenSource(Patience);

        transport.Publish("t/self", [1, 2], Delivery.AtLeastOnce, retain: false);
        host.Run(stop.Token, () => tier.Calls.Contains("t/self:2"));
        Assert.False(stop.IsCancellationRequested, $"timed out after {Patience.TotalSeconds} s waiting for the tier's own message; the tier saw: {string.Join(", ", tier.Calls)}");

        mosquitto.Dispose();
        host.Run(stop.Token, () => tier.Calls.Contains("lost"));
        Assert.False(stop.IsCancellationRequested, $"timed out after {Patience.TotalSeconds} s waiting for the tier to hear of the lost broker; the tier saw: {string.Join(", ", tier.Calls)}");
    }

    [Fact]
    public async Task An_unreachable_broker_is_one_error_naming_the_address_and_the_reason()
    {
        var port = EmbeddedBroker.FreePort(IPAddress.Loopback);
        var address = new BrokerAddress("127.0.0.1", port);
        await using var transport = Transport(address, "nobody", new Inbox());
        var e = await Assert.ThrowsAsync<BrokerUnreachableException>(() => transport.ConnectAsync([], CancellationToken.None));
        Assert.Contains($"mqtt://127.0.0.1:{port}", e.Message, StringComparison.Ordinal);
        Assert.Contains("refused", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_embedded_broker_says_when_its_port_is_in_use()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var e = await Assert.ThrowsAsync<IOException>(() => EmbeddedBroker.StartAsync(IPAddress.Loopback, port));
        Assert.Contains($"127.0.0.1:{port} is already in use", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publishing_while_the_broker_is_gone_never_throws_and_is_counted()
    {
        var mosquitto = Mosquitto.Start();
        await using var publisher = Transport(mosquitto.Address, "pub", new Inbox());
        await publisher.ConnectAsync([], CancellationToken.None);
        mosquitto.Dispose();
        WaitFor(() => !publisher.IsConnected, "the client to notice the broker is gone");
        for (var i = 0; i < 100; i++) publisher.Publish("t/lost", [1], Delivery.AtMostOnce, retain: false);
        WaitFor(() => publisher.Dropped == 100, "100 dropped publishes");
        Assert.Equal(0, publisher.Publishes);
    }
}

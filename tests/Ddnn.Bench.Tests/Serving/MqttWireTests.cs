using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ddnn.Bench.Serving;
using Ddnn.Core.Serving;

namespace Ddnn.Bench.Tests.Serving;

/// <summary>
/// The transport's own MQTT I/O against a scripted broker that writes exact bytes: packets split across reads,
/// messages before the SUBACK, malformed and oversized packets, a broker that goes silent or never answers.
/// </summary>
public sealed class MqttWireTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_publish_split_into_single_bytes_and_one_before_the_suback_are_both_delivered_whole()
    {
        using var broker = new ScriptedBroker();
        var inbox = new ConcurrentQueue<(string Topic, byte[] Payload, string? Thread)>();
        await using var transport = Transport(broker.Address, (topic, payload) => inbox.Enqueue((topic, payload, Thread.CurrentThread.Name)));
        var payload = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        var script = Task.Run(() =>
        {
            using var peer = broker.Accept();
            Assert.Equal(Connect, peer.ReadPacketType());
            peer.Write(ConnAck);
            Assert.Equal(Subscribe, peer.ReadPacketType());
            peer.Write(Publish("t/retained", [7], retain: true));
            peer.Write(SubAck(1));
            peer.WriteByteByByte(Publish("t/split", payload));
            peer.Drain(TimeSpan.FromSeconds(2));
        });
        await transport.ConnectAsync(["t/#"], CancellationToken.None);
        WaitFor(() => inbox.Count == 2, "both messages");
        var received = inbox.ToArray();
        Assert.Equal("t/retained", received[0].Topic);
        Assert.Equal([7], received[0].Payload);
        Assert.Equal("t/split", received[1].Topic);
        Assert.Equal(payload, received[1].Payload);
        Assert.Equal("MQTT receive", received[1].Thread);
        await script;
    }

    public static TheoryData<string, byte[]> BadPackets => new()
    {
        // Remaining length 2^21 bytes, over the 1 MB the client announced.
        { "oversized", [0x30, 0x80, 0x80, 0x80, 0x01] },
        // A fifth length byte: MQTT allows four.
        { "long length field", [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01] },
        // A topic length of 16 in a 3-byte body.
        { "topic past the body", [0x30, 0x03, 0x00, 0x10, 0x41] },
    };

    [Theory]
    [MemberData(nameof(BadPackets))]
    public async Task A_malformed_packet_ends_the_connection_delivers_nothing_and_the_transport_reconnects(string what, byte[] packet)
    {
        using var broker = new ScriptedBroker();
        var inbox = new ConcurrentQueue<string>();
        var lost = 0;
        await using var transport = Transport(broker.Address, (topic, _) => inbox.Enqueue(topic));
        transport.ConnectionLost += () => Interlocked.Increment(ref lost);
        var script = Task.Run(() =>
        {
            using (var first = broker.Accept())
            {
                first.Handshake();
                first.Write(packet);
                Assert.True(first.WaitForClose(Patience), $"the client kept the connection after a packet with a {what}");
            }
            using var second = broker.Accept();
            second.Handshake();
            second.Write(Publish("t/after", [1]));
            second.Drain(TimeSpan.FromSeconds(1));
        });
        await transport.ConnectAsync(["t/#"], CancellationToken.None);
        WaitFor(() => inbox.Contains("t/after"), "a message on the new connection");
        Assert.Equal(["t/after"], inbox);
        Assert.Equal(1, transport.Disconnects);
        Assert.Equal(1, transport.Reconnects);
        Assert.Equal(1, Volatile.Read(ref lost));
        await script;
    }

    [Fact]
    public async Task A_broker_that_goes_silent_is_pinged_then_left_after_twice_the_keep_alive_and_a_new_connection_is_kept()
    {
        using var broker = new ScriptedBroker();
        await using var transport = Transport(broker.Address, (_, _) => { });
        var silentFrom = new Stopwatch();
        var pings = 0;
        var script = Task.Run(() =>
        {
            using (var silent = broker.Accept())
            {
                silent.Handshake();
                silentFrom.Start();
                // Reads what the client sends and never answers.
                while (silent.ReadPacketType() is { } type)
                    if (type == PingReq) pings++;
            }
            using var answering = broker.Accept();
            answering.Handshake();
            while (answering.ReadPacketType() is { } type)
                if (type == PingReq) answering.Write(PingResp);
        });
        await transport.ConnectAsync(["t/#"], CancellationToken.None);
        WaitFor(() => transport.Disconnects == 1, "the client to leave the silent broker");
        var left = silentFrom.Elapsed;
        Assert.True(left >= TimeSpan.FromSeconds(1.9), $"left after {left.TotalSeconds:0.00} s, before twice the 1 s keep-alive");
        Assert.True(pings >= 1, "no PINGREQ while the broker was silent");
        WaitFor(() => transport.Reconnects == 1 && transport.IsConnected, "the reconnect");
        // Three keep-alives on a broker that answers its pings: the connection stays.
        Thread.Sleep(TimeSpan.FromSeconds(3));
        Assert.Equal(1, transport.Disconnects);
        Assert.True(transport.IsConnected);
        await transport.DisconnectAsync(TimeSpan.FromSeconds(1));
        await script.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_broker_that_never_answers_the_connect_is_an_error_after_the_connect_timeout()
    {
        using var broker = new ScriptedBroker();
        await using var transport = new MqttTransport(new MqttTransportOptions
        {
            Broker = broker.Address, ClientId = "mute", KeepAlive = TimeSpan.FromSeconds(1), ConnectTimeout = TimeSpan.FromMilliseconds(500),
        }, (_, _) => { });
        var script = Task.Run(() =>
        {
            using var mute = broker.Accept();
            Assert.Equal(Connect, mute.ReadPacketType());
            mute.WaitForClose(Patience);
        });
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<BrokerUnreachableException>(() => transport.ConnectAsync([], CancellationToken.None));
        Assert.Contains($"cannot reach the MQTT broker at {broker.Address}: no answer (timed out)", e.Message, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(450), Patience);
        await script.WaitAsync(Patience);
    }

    private const int Connect = 1, Subscribe = 8, PingReq = 12;
    private static readonly byte[] ConnAck = [0x20, 0x03, 0x00, 0x00, 0x00];
    private static readonly byte[] PingResp = [0xD0, 0x00];

    private static byte[] SubAck(int filters) => [0x90, (byte)(3 + filters), 0x00, 0x01, 0x00, .. new byte[filters]];

    /// <summary>An MQTT 5 QoS 0 publish without properties.</summary>
    private static byte[] Publish(string topic, byte[] payload, bool retain = false)
    {
        var name = Encoding.UTF8.GetBytes(topic);
        var remaining = 2 + name.Length + 1 + payload.Length;
        var packet = new List<byte> { (byte)(0x30 | (retain ? 1 : 0)) };
        do
        {
            var digit = (byte)(remaining % 128);
            remaining /= 128;
            packet.Add(remaining > 0 ? (byte)(digit | 0x80) : digit);
        }
        while (remaining > 0);
        packet.AddRange([(byte)(name.Length >> 8), (byte)name.Length, .. name, 0x00, .. payload]);
        return [.. packet];
    }

    private static MqttTransport Transport(BrokerAddress broker, Action<string, byte[]> onMessage) =>
        new(new MqttTransportOptions { Broker = broker, ClientId = $"wire-{Environment.ProcessId}", KeepAlive = TimeSpan.FromSeconds(1) }, onMessage);

    private static void WaitFor(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Patience, $"timed out after {Patience.TotalSeconds} s waiting for {what}");
            Thread.Sleep(10);
        }
    }

    /// <summary>A loopback listener whose connections the test drives byte by byte.</summary>
    private sealed class ScriptedBroker : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

        public ScriptedBroker() => _listener.Start();

        public BrokerAddress Address => new("127.0.0.1", ((IPEndPoint)_listener.LocalEndpoint).Port);

        public Peer Accept()
        {
            var accepting = _listener.AcceptTcpClientAsync();
            Assert.True(accepting.Wait(Patience), "the client never connected");
            return new Peer(accepting.Result);
        }

        public void Dispose() => _listener.Stop();
    }

    private sealed class Peer(TcpClient client) : IDisposable
    {
        private readonly NetworkStream _stream = client.GetStream();

        /// <summary>Answers CONNECT with success and SUBSCRIBE (of one filter) with QoS 0 granted.</summary>
        public void Handshake()
        {
            Assert.Equal(Connect, ReadPacketType());
            Write(ConnAck);
            Assert.Equal(Subscribe, ReadPacketType());
            Write(SubAck(1));
        }

        /// <summary>The type of the next packet (its body skipped), or null once the client has closed.</summary>
        public int? ReadPacketType()
        {
            _stream.ReadTimeout = (int)Patience.TotalMilliseconds;
            try
            {
                var header = _stream.ReadByte();
                if (header < 0) return null;
                int remaining = 0, shift = 0, b;
                do
                {
                    b = _stream.ReadByte();
                    if (b < 0) return null;
                    remaining |= (b & 0x7F) << shift;
                    shift += 7;
                }
                while ((b & 0x80) != 0);
                _stream.ReadExactly(new byte[remaining]);
                return header >> 4;
            }
            catch (IOException)
            {
                return null;
            }
        }

        public void Write(byte[] bytes) => _stream.Write(bytes);

        public void WriteByteByByte(byte[] bytes)
        {
            foreach (var b in bytes)
            {
                _stream.WriteByte(b);
                Thread.Sleep(1);
            }
        }

        /// <summary>Reads and discards for a while, so the connection stays open meanwhile.</summary>
        public void Drain(TimeSpan time) => WaitForClose(time);

        /// <summary>Reads and discards until the client closes the connection (true) or <paramref name="time"/> has passed.</summary>
        public bool WaitForClose(TimeSpan time)
        {
            var clock = Stopwatch.StartNew();
            _stream.ReadTimeout = 100;
            var buffer = new byte[256];
            while (clock.Elapsed < time)
                try
                {
                    if (_stream.Read(buffer) == 0) return true;
                }
                catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock })
                {
                    // Nothing within the read timeout.
                }
                catch (IOException)
                {
                    return true; // reset by the client
                }
            return false;
        }

        public void Dispose() => client.Dispose();
    }
}

using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using MQTTnet.Adapter;
using MQTTnet.Formatter;
using MQTTnet.Packets;

namespace Ddnn.Bench.Serving;

/// <summary>
/// One MQTT 5 connection on a blocking socket. The packets are MQTTnet's (its encoder and decoder); the I/O is ours:
/// <see cref="Receive"/> is a plain blocking read on the caller's thread and <see cref="Send"/> a plain write on the
/// caller's thread. MQTTnet's own client reads on the thread pool and hands every publish on to a second pool task, so
/// three or four threads woke for each packet a tier received; here one does.
/// </summary>
/// <remarks>
/// The socket is never used asynchronously: on Linux, .NET serves a socket that has seen an asynchronous call through
/// its epoll thread from then on, blocking calls included, which would bring that extra wake-up back.
/// </remarks>
internal sealed class MqttConnection : IDisposable
{
    /// <summary>Socket send and receive buffer size asked for (the kernel caps it at net.core.[rw]mem_max).</summary>
    private const int SocketBufferBytes = 1 << 20;

    /// <summary>A packet up to this size is copied and written in one call: with Nagle off, two writes would be two TCP segments.</summary>
    private const int OneWriteBytes = 64 * 1024;

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly uint _maxPacketBytes;
    private readonly Lock _writing = new();
    private readonly MqttPacketFormatterAdapter _encoder = new(MqttProtocolVersion.V500, new MqttBufferWriter(4096, OneWriteBytes));
    private readonly MqttPacketFormatterAdapter _decoder = new(MqttProtocolVersion.V500, new MqttBufferWriter(256, 256));
    private byte[] _send = new byte[4096];
    private byte[] _receive = new byte[64 * 1024];
    private int _start, _end;
    private long _lastSentMs, _lastReceivedMs;
    private int _closed;

    private MqttConnection(Socket socket, Stream stream, uint maxPacketBytes)
    {
        _socket = socket;
        _stream = stream;
        _maxPacketBytes = maxPacketBytes;
        _lastSentMs = _lastReceivedMs = Environment.TickCount64;
    }

    /// <summary>When a packet was last written, on <see cref="Environment.TickCount64"/>.</summary>
    public long LastSentMs => Volatile.Read(ref _lastSentMs);

    /// <summary>When bytes last arrived, on <see cref="Environment.TickCount64"/>.</summary>
    public long LastReceivedMs => Volatile.Read(ref _lastReceivedMs);

    /// <summary>True once <see cref="Abort"/> or <see cref="Dispose"/> ran.</summary>
    public bool Closed => Volatile.Read(ref _closed) != 0;

    /// <summary>
    /// Opens a TCP connection to <paramref name="broker"/>, TLS when <paramref name="tls"/> is given. Cancelling
    /// <paramref name="cancellation"/> (e.g. at a connect timeout) ends the attempt: on Linux, disposing a socket
    /// unblocks a pending connect or read.
    /// </summary>
    public static MqttConnection Open(BrokerAddress broker, SslClientAuthenticationOptions? tls, uint maxPacketBytes, CancellationToken cancellation)
    {
        var addresses = IPAddress.TryParse(broker.Host, out var literal) ? [literal] : Dns.GetHostAddresses(broker.Host);
        if (addresses.Length == 0) throw new SocketException((int)SocketError.HostNotFound);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            // Only plain options: a socket timeout or non-blocking mode would turn the socket into .NET's emulated
            // blocking, served by its epoll thread, for good.
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            {
                NoDelay = true,
                // Set before connecting, which also fixes the TCP window scale: at a small buffer the window stays under
                // 8 KB, and at a thousand samples/s the broker's sends to a tier stall on it (delayed ACKs, seconds of
                // queue) until every sample times out.
                SendBufferSize = SocketBufferBytes,
                ReceiveBufferSize = SocketBufferBytes,
            };
            try
            {
                using (cancellation.Register(socket.Dispose)) socket.Connect(new IPEndPoint(address, broker.Port));
                cancellation.ThrowIfCancellationRequested();
                Stream stream = new NetworkStream(socket, ownsSocket: true);
                if (tls is not null)
                {
                    var secure = new SslStream(stream, leaveInnerStreamOpen: false);
                    stream = secure;
                    using (cancellation.Register(socket.Dispose)) secure.AuthenticateAsClient(tls);
                    cancellation.ThrowIfCancellationRequested();
                }
                return new MqttConnection(socket, stream, maxPacketBytes);
            }
            catch (Exception e) when (cancellation.IsCancellationRequested && e is not OperationCanceledException)
            {
                socket.Dispose();
                throw new OperationCanceledException("the connection attempt was cancelled", e, cancellation);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw last!;
    }

    /// <summary>Encodes and writes one packet; callable from any thread, one packet at a time.</summary>
    public void Send(MqttPacket packet)
    {
        lock (_writing)
        {
            var buffer = _encoder.Encode(packet);
            if (buffer.Length <= OneWriteBytes)
            {
                if (_send.Length < buffer.Length) _send = new byte[Math.Max(buffer.Length, 2 * _send.Length)];
                buffer.Packet.AsSpan().CopyTo(_send);
                var at = buffer.Packet.Count;
                foreach (var part in buffer.Payload)
                {
                    part.Span.CopyTo(_send.AsSpan(at));
                    at += part.Length;
                }
                _stream.Write(_send, 0, at);
            }
            else
            {
                _stream.Write(buffer.Packet);
                foreach (var part in buffer.Payload) _stream.Write(part.Span);
                _encoder.Cleanup();
            }
            _stream.Flush();
            Volatile.Write(ref _lastSentMs, Environment.TickCount64);
        }
    }

    /// <summary>
    /// The next packet, blocking until it has arrived whole; null when the broker closed the connection. A packet over
    /// the size this client announced, or one that is not MQTT, is an <see cref="IOException"/> naming what is wrong.
    /// <paramref name="beforeReading"/> is called whenever every whole packet read so far has been taken and the
    /// connection is about to be read again (which may block).
    /// </summary>
    public MqttPacket? Receive(Action? beforeReading = null)
    {
        while (true)
        {
            if (TryTake(out var packet)) return packet;
            beforeReading?.Invoke();
            if (!Fill()) return null;
        }
    }

    /// <summary>Ends the connection from any thread; a thread blocked in <see cref="Receive"/> or <see cref="Send"/> returns at once.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 1) return;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }
    }

    public void Dispose()
    {
        Abort();
        // After the abort a write in progress fails at once; disposing under the write lock keeps a TLS stream from
        // being torn down in the middle of one (it throws other exceptions than I/O errors then).
        lock (_writing)
        {
            _stream.Dispose();
            _socket.Dispose();
        }
    }

    private bool TryTake(out MqttPacket packet)
    {
        packet = null!;
        var available = _end - _start;
        if (available < 2) return false;
        // MQTT's remaining length: 7 bits per byte, low group first, at most four bytes.
        var remaining = 0;
        var lengthBytes = 0;
        while (true)
        {
            if (lengthBytes == 4) throw new IOException("the broker sent a packet whose length field runs past four bytes: not MQTT");
            if (1 + lengthBytes >= available) return false;
            var b = _receive[_start + 1 + lengthBytes];
            remaining |= (b & 0x7F) << (7 * lengthBytes);
            lengthBytes++;
            if ((b & 0x80) == 0) break;
        }
        var total = 1 + lengthBytes + remaining;
        if ((uint)total > _maxPacketBytes)
            throw new IOException($"the broker sent a packet of {total} bytes, over the {_maxPacketBytes} this client announced");
        if (available < total)
        {
            if (total > _receive.Length) Grow(total);
            return false;
        }
        var header = _receive[_start];
        var body = new ArraySegment<byte>(_receive, _start + 1 + lengthBytes, remaining);
        try
        {
            packet = _decoder.Decode(new ReceivedMqttPacket(header, body, total));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // MQTTnet's decoder throws its protocol exception, or an index error from a field that runs past the packet.
            throw new IOException($"the broker sent a malformed packet: {e.Message}", e);
        }
        _start += total;
        if (_start == _end) _start = _end = 0;
        return true;
    }

    /// <summary>Reads what the socket has; false at the end of the stream.</summary>
    private bool Fill()
    {
        if (_end == _receive.Length)
        {
            // Room at the front: move the partial packet there.
            Buffer.BlockCopy(_receive, _start, _receive, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        var read = _stream.Read(_receive, _end, _receive.Length - _end);
        if (read == 0) return false;
        _end += read;
        Volatile.Write(ref _lastReceivedMs, Environment.TickCount64);
        return true;
    }

    private void Grow(int total)
    {
        var grown = new byte[total];
        Buffer.BlockCopy(_receive, _start, grown, 0, _end - _start);
        _end -= _start;
        _start = 0;
        _receive = grown;
    }
}

using System.Net;
using System.Net.Sockets;
using MQTTnet.Server;

namespace Ddnn.Bench.Serving;

/// <summary>
/// An MQTT broker inside this process (MQTTnet.Server): the single-machine default, nothing to install. It listens on
/// one address only, 127.0.0.1 unless told otherwise, so it is not reachable from other machines by accident.
/// </summary>
public sealed class EmbeddedBroker : IAsyncDisposable
{
    private readonly MqttServer _server;

    private EmbeddedBroker(MqttServer server, BrokerAddress address)
    {
        _server = server;
        Address = address;
    }

    /// <summary>The address clients connect to.</summary>
    public BrokerAddress Address { get; }

    /// <summary>
    /// Starts a broker on <paramref name="bind"/>:<paramref name="port"/> (port 0 = a free port chosen now). A port in
    /// use is an <see cref="IOException"/> that says so.
    /// </summary>
    public static async Task<EmbeddedBroker> StartAsync(IPAddress bind, int port)
    {
        ArgumentNullException.ThrowIfNull(bind);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        if (port == 0) port = FreePort(bind);
        var builder = new MqttServerFactory().CreateServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointPort(port)
            // Keep-alive enforcement, so a frozen or cut-off client's will is published as with mosquitto.
            .WithKeepAlive();
        builder = bind.AddressFamily == AddressFamily.InterNetworkV6
            ? builder.WithDefaultEndpointBoundIPV6Address(bind).WithDefaultEndpointBoundIPAddress(IPAddress.None)
            : builder.WithDefaultEndpointBoundIPAddress(bind).WithDefaultEndpointBoundIPV6Address(IPAddress.None);
        var options = builder.Build();
        // Small messages to the same subscriber back to back: with Nagle's algorithm the second waits for the
        // first's (delayed, up to 40 ms) ACK.
        options.DefaultEndpointOptions.NoDelay = true;
        var server = new MqttServerFactory().CreateMqttServer(options);
        try
        {
            await server.StartAsync().ConfigureAwait(false);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            server.Dispose();
            throw new IOException($"cannot start the embedded MQTT broker: {Endpoint(bind, port)} is already in use (another broker?); pick another port or give --broker", e);
        }
        catch (SocketException e)
        {
            server.Dispose();
            throw new IOException($"cannot start the embedded MQTT broker on {Endpoint(bind, port)}: {e.Message}", e);
        }
        var host = bind.Equals(IPAddress.Any) ? IPAddress.Loopback.ToString() : bind.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback.ToString() : bind.ToString();
        return new EmbeddedBroker(server, new BrokerAddress(host, port));
    }

    /// <summary>A port nobody listens on at this moment (the OS's choice for port 0).</summary>
    public static int FreePort(IPAddress bind)
    {
        using var listener = new TcpListener(bind, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _server.StopAsync(new MqttServerStopOptions()).ConfigureAwait(false);
        }
        finally
        {
            _server.Dispose();
        }
    }

    private static string Endpoint(IPAddress bind, int port) =>
        bind.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{bind}]:{port}" : $"{bind}:{port}";
}

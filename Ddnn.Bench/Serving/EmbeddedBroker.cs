using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Ddnn.Core.Serving;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Ddnn.Bench.Serving;

/// <summary>
/// Who may connect to an <see cref="EmbeddedBroker"/> and what each may do: user → mosquitto password hash (the
/// <c>mosquitto.passwd</c> entries, <see cref="MosquittoPasswordFile"/>) and the deployment's ACL.
/// </summary>
public sealed record BrokerAuthorization(IReadOnlyDictionary<string, string> PasswordHashes, AccessControlList Acl)
{
    /// <summary>Several deployments on this broker, each user one deployment's tier: its checks replace <see cref="Acl"/>'s.</summary>
    public SharedBrokerAccess? Shared { get; init; }
}

/// <summary>
/// An MQTT broker inside this process (MQTTnet.Server): the single-machine default, nothing to install. It listens on
/// one address only, 127.0.0.1 unless told otherwise, so it is not reachable from other machines by accident. With a
/// <see cref="BrokerAuthorization"/> it enforces what mosquitto enforces with the same password and ACL files: a client
/// without a known user name and its password is refused at connect, a publish the ACL does not allow is dropped, a
/// subscription outside the ACL is refused, and a message is delivered only to clients that may read its topic.
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
    public static async Task<EmbeddedBroker> StartAsync(IPAddress bind, int port, BrokerAuthorization? authorization = null)
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
        if (authorization is not null) Enforce(server, authorization);
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

    /// <summary>Installs the credential and ACL checks (MQTTnet's connection, publish, subscription and delivery hooks).</summary>
    private static void Enforce(MqttServer server, BrokerAuthorization authorization)
    {
        Func<string?, string, bool> mayPublish, mayRead, maySubscribe;
        if (authorization.Shared is { } shared) (mayPublish, mayRead, maySubscribe) = (shared.MayPublish, shared.MayRead, shared.MaySubscribe);
        else (mayPublish, mayRead, maySubscribe) = (authorization.Acl.MayPublish, authorization.Acl.MayRead, authorization.Acl.MaySubscribe);
        // The user each connected client authenticated as, for the delivery check (its event names only client ids).
        var users = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        server.ValidatingConnectionAsync += e =>
        {
            if (string.IsNullOrEmpty(e.UserName))
                e.ReasonCode = MqttConnectReasonCode.NotAuthorized;
            else if (!authorization.PasswordHashes.TryGetValue(e.UserName, out var hash) || e.Password is null || !MosquittoPasswordFile.Verify(hash, e.Password))
                e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
            else
                users[e.ClientId] = e.UserName;
            return Task.CompletedTask;
        };
        server.ClientDisconnectedAsync += e =>
        {
            // A client taken over by a new connection with its id is reported after the new one was validated: the
            // entry is the new connection's by then.
            if (e.DisconnectType != MqttClientDisconnectType.Takeover) users.TryRemove(e.ClientId, out _);
            return Task.CompletedTask;
        };
        server.InterceptingPublishAsync += e =>
        {
            // A client's publish (its will too) outside its write rules is dropped; the client learns it from the
            // PUBACK of a QoS 1 publish, as with mosquitto. The server's own messages (no client) are not checked.
            if (e.ClientId is { Length: > 0 } && !mayPublish(e.UserName, e.ApplicationMessage.Topic))
            {
                e.ProcessPublish = false;
                e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
            }
            return Task.CompletedTask;
        };
        server.InterceptingSubscriptionAsync += e =>
        {
            // MQTTnet.Server 5.2 has no shared subscriptions: answer as it does without this hook, so a cloud worker
            // hears the broker's real limit instead of an ACL refusal of a filter no read rule names.
            if (e.TopicFilter.Topic.StartsWith("$share/", StringComparison.Ordinal))
            {
                e.ProcessSubscription = false;
                e.Response.ReasonCode = MqttSubscribeReasonCode.SharedSubscriptionsNotSupported;
            }
            else if (!maySubscribe(e.UserName, e.TopicFilter.Topic))
            {
                e.ProcessSubscription = false;
                e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
            }
            return Task.CompletedTask;
        };
        server.InterceptingClientEnqueueAsync += e =>
        {
            // Retained messages and subscriptions covered by a read rule already fit; this is the last line, as mosquitto
            // checks read access per delivered message.
            if (!users.TryGetValue(e.ReceiverClientId, out var user) || !mayRead(user, e.ApplicationMessage.Topic)) e.AcceptEnqueue = false;
            return Task.CompletedTask;
        };
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

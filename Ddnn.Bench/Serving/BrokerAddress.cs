using System.Globalization;

namespace Ddnn.Bench.Serving;

/// <summary>
/// Where an MQTT broker listens, written <c>mqtt://host:port</c> on the command line, or <c>mqtts://host:port</c> for
/// MQTT over TLS (<paramref name="Tls"/>).
/// </summary>
public sealed record BrokerAddress(string Host, int Port, bool Tls = false)
{
    /// <summary>The port MQTT brokers listen on without TLS unless told otherwise.</summary>
    public const int DefaultPort = 1883;

    /// <summary>The port MQTT brokers listen on with TLS unless told otherwise.</summary>
    public const int DefaultTlsPort = 8883;

    /// <summary>
    /// Parses <c>mqtt://host:port</c> or <c>mqtts://host:port</c> (the port defaults to 1883, with TLS 8883; an IPv6
    /// host is written in brackets).
    /// </summary>
    /// <exception cref="FormatException">The text is not such an address; the message says what is wrong.</exception>
    public static BrokerAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        const string plain = "mqtt://", secure = "mqtts://";
        var tls = text.StartsWith(secure, StringComparison.OrdinalIgnoreCase);
        if (!tls && !text.StartsWith(plain, StringComparison.OrdinalIgnoreCase))
            throw new FormatException($"'{text}' is not a broker address: expected mqtt://host:port or mqtts://host:port (websockets are not supported)");
        var rest = text[(tls ? secure : plain).Length..].TrimEnd('/');
        if (rest.Length == 0) throw new FormatException($"'{text}' names no host: expected mqtt://host:port");
        if (rest.Contains('/') || rest.Contains('@') || rest.Contains('?'))
            throw new FormatException($"'{text}' has a path, user or query: expected only mqtt://host:port");
        string host;
        string? portText = null;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']');
            if (close < 0) throw new FormatException($"'{text}' opens an IPv6 host with '[' but does not close it");
            host = rest[1..close];
            var after = rest[(close + 1)..];
            if (after.Length > 0)
            {
                if (!after.StartsWith(':')) throw new FormatException($"'{text}': expected ':port' after the IPv6 host");
                portText = after[1..];
            }
        }
        else
        {
            var colon = rest.LastIndexOf(':');
            host = colon < 0 ? rest : rest[..colon];
            portText = colon < 0 ? null : rest[(colon + 1)..];
            if (host.Contains(':')) throw new FormatException($"'{text}': write an IPv6 host in brackets, mqtt://[addr]:port");
        }
        if (host.Length == 0) throw new FormatException($"'{text}' names no host: expected mqtt://host:port");
        var port = tls ? DefaultTlsPort : DefaultPort;
        if (portText is not null
            && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
            throw new FormatException($"'{text}': the port must be a number in 1..65535, got '{portText}'");
        return new BrokerAddress(host, port, tls);
    }

    /// <summary>The address as <see cref="Parse"/> reads it.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{(Tls ? "mqtts" : "mqtt")}://{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port}");
}

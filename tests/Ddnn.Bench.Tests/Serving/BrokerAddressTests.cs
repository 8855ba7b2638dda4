using Ddnn.Bench.Serving;

namespace Ddnn.Bench.Tests.Serving;

public sealed class BrokerAddressTests
{
    [Theory]
    [InlineData("mqtt://127.0.0.1:1884", "127.0.0.1", 1884)]
    [InlineData("mqtt://broker.lan", "broker.lan", 1883)]
    [InlineData("MQTT://host:1/", "host", 1)]
    [InlineData("mqtt://[::1]:2000", "::1", 2000)]
    [InlineData("mqtt://[fe80::1]", "fe80::1", 1883)]
    [InlineData("mqtts://broker.lan", "broker.lan", 8883, true)]
    [InlineData("MQTTS://[::1]:9000", "::1", 9000, true)]
    public void Parses_host_and_port(string text, string host, int port, bool tls = false)
    {
        var address = BrokerAddress.Parse(text);
        Assert.Equal(new BrokerAddress(host, port, tls), address);
        Assert.Equal(address, BrokerAddress.Parse(address.ToString()));
    }

    [Theory]
    [InlineData("127.0.0.1:1883", "expected mqtt://host:port")]
    [InlineData("ws://host:8883", "expected mqtt://host:port or mqtts://host:port")]
    [InlineData("mqtt://", "names no host")]
    [InlineData("mqtt://:1883", "names no host")]
    [InlineData("mqtt://host:0", "port must be a number in 1..65535")]
    [InlineData("mqtt://host:70000", "port must be a number in 1..65535")]
    [InlineData("mqtt://host:x", "port must be a number in 1..65535")]
    [InlineData("mqtt://host:1883/topic", "path, user or query")]
    [InlineData("mqtt://user@host:1883", "path, user or query")]
    [InlineData("mqtt://::1:1883", "IPv6 host in brackets")]
    [InlineData("mqtt://[::1:1883", "does not close it")]
    public void Refuses_what_is_not_an_address_and_says_why(string text, string reason)
    {
        var e = Assert.Throws<FormatException>(() => BrokerAddress.Parse(text));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.Contains(text, e.Message, StringComparison.Ordinal);
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Ddnn.Bench.Serving;
using Ddnn.Core.Deploy;
using Ddnn.Core.Runtime;
using Ddnn.Core.Serving;

namespace Ddnn.Bench.Tests.Serving;

/// <summary>
/// Who may do what, against a real mosquitto run with the files <c>ddnn serve broker-config</c> writes
/// (<c>allow_anonymous false</c>, password file, ACL file) and against the embedded broker enforcing the same.
/// </summary>
[Collection(ServingProcessCollection.Name)]
public sealed class BrokerAccessTests(ServedModels models) : IClassFixture<ServedModels>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    public static TheoryData<string> Brokers => new() { "embedded", "mosquitto" };

    /// <summary>A broker of the kind named that enforces a fresh credential set of deployment "ddnn" serving the plain model.</summary>
    private sealed class SecuredBroker : IAsyncDisposable
    {
        private EmbeddedBroker? _embedded;
        private Mosquitto? _mosquitto;

        public required string Credentials { get; init; }
        public BrokerAddress Address => _embedded?.Address ?? _mosquitto!.Address;

        public static async Task<SecuredBroker> StartAsync(string kind, ServedModels models)
        {
            var broker = new SecuredBroker { Credentials = models.Scratch("credentials") };
            DdnnCli.Succeed("serve", "broker-config", "--model", models.Plain, "--out", broker.Credentials);
            if (kind == "embedded")
            {
                var acl = AccessControlList.For(new TopicScheme("ddnn"), DeployedModelLoader.Load(models.Plain));
                var hashes = MosquittoPasswordFile.Parse(File.ReadAllText(Path.Combine(broker.Credentials, BrokerCredentials.PasswordFileName)));
                broker._embedded = await EmbeddedBroker.StartAsync(IPAddress.Loopback, 0, new BrokerAuthorization(hashes, acl));
            }
            else broker._mosquitto = Mosquitto.Start(credentials: broker.Credentials);
            return broker;
        }

        public string PasswordOf(string user) => BrokerCredentials.ReadPassword(BrokerCredentials.PasswordFileOf(Credentials, user))!;

        public MqttTransport Client(string user, Action<string, byte[]> onMessage) => new(new MqttTransportOptions
        {
            Broker = Address,
            ClientId = $"test-{user}-{Environment.ProcessId}-{Guid.NewGuid():N}",
            UserName = user,
            Password = PasswordOf(user),
            KeepAlive = TimeSpan.FromSeconds(2),
        }, onMessage);

        public async ValueTask DisposeAsync()
        {
            if (_embedded is not null) await _embedded.DisposeAsync();
            _mosquitto?.Dispose();
        }
    }

    private CliResult ServeDevice2(BrokerAddress broker, params string[] extra) =>
        DdnnCli.Run(["serve", "device", "--device", "2", "--model", models.Plain, .. ServedModels.DataArgs, "--broker", broker.ToString(), .. extra]);

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task A_wrong_password_is_refused_with_a_clear_error(string kind)
    {
        await using var broker = await SecuredBroker.StartAsync(kind, models);
        var wrong = models.Scratch("wrong.password");
        File.WriteAllText(wrong, broker.PasswordOf("dev3") + "\n"); // a real password, of another user
        var result = ServeDevice2(broker.Address, "--password-file", wrong);
        Assert.Equal(1, result.Code);
        // mosquitto 2 answers an MQTT 5 client's wrong password with "not authorized" (0x87), the embedded broker with
        // "bad user name or password" (0x86); either way the line names the broker, the tier and the reason.
        var reason = kind == "embedded" ? "bad user name or password" : "not authorized (bad or missing user name or password)";
        Assert.Equal($"ddnn serve device: the MQTT broker at {broker.Address} refused tier dev2: {reason}", result.SingleErrorLine());
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task An_anonymous_client_is_refused(string kind)
    {
        await using var broker = await SecuredBroker.StartAsync(kind, models);
        var result = ServeDevice2(broker.Address);
        Assert.Equal(1, result.Code);
        Assert.StartsWith($"ddnn serve device: the MQTT broker at {broker.Address} refused tier dev2: ", result.SingleErrorLine(), StringComparison.Ordinal);
        // The same through the transport, without the command line in between.
        await using var anonymous = new MqttTransport(new MqttTransportOptions { Broker = broker.Address, ClientId = $"test-anonymous-{Environment.ProcessId}" }, (_, _) => { });
        var refused = await Assert.ThrowsAsync<BrokerRefusedException>(() => anonymous.ConnectAsync([], CancellationToken.None));
        Assert.Contains("refused an anonymous client", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task Device_2_publishing_as_device_3_is_dropped_by_the_broker_and_never_reaches_the_aggregator(string kind)
    {
        await using var broker = await SecuredBroker.StartAsync(kind, models);
        var model = DeployedModelLoader.Load(models.Plain);
        var topics = new TopicScheme("ddnn");
        var clock = new MonotonicClock();
        TierHost? host = null;
        var inbox = new ConcurrentQueue<string>();
        await using var transport = broker.Client("local", (topic, payload) =>
        {
            if (topic.StartsWith("ddnn/ddnn/to/", StringComparison.Ordinal)) inbox.Enqueue(topic);
            host?.Post(topic, payload);
        });
        var aggregator = new LocalAggregatorTier(model, ModelFingerprint.Of(model), topics, transport, clock, new AggregatorSettings { RunId = 7 });
        host = new TierHost(aggregator, clock, flush: () => transport.Flush());
        await transport.ConnectAsync(aggregator.Subscriptions, CancellationToken.None);
        using var stop = new CancellationTokenSource(Patience);
        var running = Task.Run(() => host.Run(stop.Token));
        try
        {
            await using var dev2 = broker.Client("dev2", (_, _) => { });
            await dev2.ConnectAsync([], CancellationToken.None);
            var local = new PartitionId(PartitionKind.Local);
            // QoS 1, so the broker's verdict comes back in the PUBACK: refused (dropped), then accepted.
            dev2.Publish(topics.To(local, new PartitionId(PartitionKind.Device, 3)), new byte[12], Delivery.AtLeastOnce, retain: false);
            dev2.Publish(topics.To(local, new PartitionId(PartitionKind.Device, 2)), new byte[12], Delivery.AtLeastOnce, retain: false);
            var clockWait = Stopwatch.StartNew();
            while (dev2.Publishes + dev2.Failed < 2 || host.Handled < 1)
            {
                Assert.True(clockWait.Elapsed < Patience, $"timed out: dev2 published {dev2.Publishes}, failed {dev2.Failed}; the aggregator handled {host.Handled}");
                await Task.Delay(10);
            }
            // A broker delivers one client's messages in order: had the forged one passed, it would have come first.
            await Task.Delay(200);
            Assert.Equal(1, dev2.Failed);
            Assert.Equal(1, dev2.Publishes);
            Assert.Equal(["ddnn/ddnn/to/local/dev2"], inbox);
            Assert.Equal(1, host.Handled);
            Assert.Equal(1, aggregator.Counters.TotalDrops); // the 12 zero bytes from dev2, a bad message on its own topic
        }
        finally
        {
            await stop.CancelAsync();
            await running;
            host.Dispose();
        }
    }

    [Fact]
    public async Task The_embedded_broker_refuses_a_subscription_outside_the_acl()
    {
        await using var broker = await SecuredBroker.StartAsync("embedded", models);
        await using var dev2 = broker.Client("dev2", (_, _) => { });
        var refused = await Assert.ThrowsAsync<BrokerUnreachableException>(() => dev2.ConnectAsync(["ddnn/ddnn/to/local/+"], CancellationToken.None));
        Assert.Contains("refused the subscription to 'ddnn/ddnn/to/local/+'", refused.Message, StringComparison.Ordinal);
        await using var allowed = broker.Client("dev2", (_, _) => { });
        await allowed.ConnectAsync(["ddnn/ddnn/status/+", "ddnn/ddnn/tick"], CancellationToken.None);
    }
}

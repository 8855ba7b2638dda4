using System.Net;
using Ddnn.Bench.Serving;
using Ddnn.Core.Deploy;
using Ddnn.Core.Serving;

namespace Ddnn.Bench.Tests.Serving;

/// <summary>
/// Cloud workers need MQTT 5 shared subscriptions. mosquitto 2 has them (the equivalence test and the fault drill run
/// workers on it); the embedded MQTTnet.Server 5.2 broker has none, which these tests pin: a worker that connects to
/// it stops with one line saying so, and <c>serve all</c> / <c>serve broker</c> refuse the option up front.
/// </summary>
[Collection(ServingProcessCollection.Name)]
public sealed class CloudWorkerBrokerTests(ServedModels models) : IClassFixture<ServedModels>
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_embedded_broker_refuses_a_shared_subscription_and_a_worker_says_why(bool enforcing)
    {
        var topics = new TopicScheme("ddnn", cloudWorkers: 2);
        var credentials = models.Scratch("credentials");
        DdnnCli.Succeed("serve", "broker-config", "--model", models.Plain, "--out", credentials, "--cloud-workers", "2");
        var authorization = enforcing
            ? new BrokerAuthorization(MosquittoPasswordFile.Parse(File.ReadAllText(Path.Combine(credentials, BrokerCredentials.PasswordFileName))),
                AccessControlList.For(topics, DeployedModelLoader.Load(models.Plain)))
            : null;
        await using var broker = await EmbeddedBroker.StartAsync(IPAddress.Loopback, 0, authorization);
        await using var worker = new MqttTransport(new MqttTransportOptions
        {
            Broker = broker.Address,
            ClientId = $"test-cloud1-{Environment.ProcessId}-{Guid.NewGuid():N}",
            UserName = "cloud1",
            Password = BrokerCredentials.ReadPassword(BrokerCredentials.PasswordFileOf(credentials, "cloud1")),
            Describe = "tier cloud1",
        }, (_, _) => { });
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var refused = await Assert.ThrowsAsync<BrokerRefusedException>(() => worker.ConnectAsync([topics.StatusFilter, topics.SharedCloudJob], limit.Token));
        Assert.Contains("no MQTT 5 shared subscriptions", refused.Message, StringComparison.Ordinal);
        Assert.Contains(topics.SharedCloudJob, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_all_and_serve_broker_refuse_cloud_workers_without_an_outside_broker()
    {
        foreach (var verb in new[] { "all", "broker" })
        {
            var result = DdnnCli.Run(["serve", verb, "--model", models.Plain, .. ServedModels.DataArgs, "--cloud-workers", "2"]);
            Assert.Equal(2, result.Code);
            Assert.Contains("--cloud-workers needs a broker with MQTT 5 shared subscriptions", result.SingleErrorLine(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_worker_index_needs_cloud_workers_and_must_be_one_of_them()
    {
        var broker = $"mqtt://127.0.0.1:{EmbeddedBroker.FreePort(IPAddress.Loopback)}";
        Assert.Contains("--worker names a cloud worker", DdnnCli.Run("serve", "cloud", "--model", models.Plain, "--broker", broker, "--worker", "1").SingleErrorLine(), StringComparison.Ordinal);
        Assert.Contains("cloud workers (--cloud-workers) 0..1", DdnnCli.Run("serve", "cloud", "--model", models.Plain, "--broker", broker, "--cloud-workers", "2", "--worker", "2").SingleErrorLine(), StringComparison.Ordinal);
        Assert.Contains("--worker <i> is required", DdnnCli.Run("serve", "cloud", "--model", models.Plain, "--broker", broker, "--cloud-workers", "2").SingleErrorLine(), StringComparison.Ordinal);
    }
}

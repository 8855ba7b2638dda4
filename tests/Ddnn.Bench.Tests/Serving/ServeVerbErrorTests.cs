using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Ddnn.Bench.Serving;
using Ddnn.Core.Deploy;
using Ddnn.Core.Serving;
using Ddnn.TestSupport;

namespace Ddnn.Bench.Tests.Serving;

/// <summary>What <c>ddnn serve</c> says when it cannot serve: one line that names the problem.</summary>
[Collection(ServingProcessCollection.Name)]
public sealed class ServeVerbErrorTests(ServedModels models) : IClassFixture<ServedModels>
{
    private static string FreeBroker() => $"mqtt://127.0.0.1:{EmbeddedBroker.FreePort(IPAddress.Loopback)}";

    [Fact]
    public void Serve_without_a_tier_says_what_to_serve()
    {
        var line = DdnnCli.Run("serve", "--model", "x").SingleErrorLine();
        Assert.Contains("ddnn serve device|local|edge|cloud|all|broker", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_broker_that_is_not_an_address_is_a_usage_error()
    {
        var result = DdnnCli.Run("serve", "cloud", "--model", models.Plain, "--broker", "localhost:1883");
        Assert.Equal(2, result.Code);
        Assert.Contains("--broker 'localhost:1883'", result.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreachable_broker_is_one_line_with_the_address_and_the_reason()
    {
        var broker = FreeBroker();
        var result = DdnnCli.Run("serve", "cloud", "--model", models.Plain, "--broker", broker);
        Assert.Equal(1, result.Code);
        var line = result.SingleErrorLine();
        Assert.Contains($"cannot reach the MQTT broker at {broker}", line, StringComparison.Ordinal);
        Assert.Contains("refused", line, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_broker_that_stays_unreachable_through_the_broker_wait_is_the_same_one_line_after_the_wait()
    {
        var broker = FreeBroker();
        var waited = Stopwatch.StartNew();
        var result = DdnnCli.Run("serve", "cloud", "--model", models.Plain, "--broker", broker, "--broker-wait", "2.5");
        Assert.Equal(1, result.Code);
        Assert.Contains($"cannot reach the MQTT broker at {broker}", result.SingleErrorLine(), StringComparison.Ordinal);
        Assert.True(waited.Elapsed >= TimeSpan.FromSeconds(1.5), $"gave up after {waited.Elapsed}, before the wait");
        Assert.Contains("trying again for", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tier_started_before_its_broker_connects_once_the_broker_is_up()
    {
        var port = EmbeddedBroker.FreePort(IPAddress.Loopback);
        using var dir = new TempDirectory();
        var waiting = new ManualResetEventSlim();
        var serving = new ManualResetEventSlim();
        using var cloud = TierProcess.Start("cloud", ["cloud", "--model", models.Plain, "--broker", $"mqtt://127.0.0.1:{port}", "--broker-wait", "60"],
            dir.File("cloud.log"), line =>
            {
                if (line.Contains("trying again for", StringComparison.Ordinal)) waiting.Set();
                if (line.Contains("cloud: serving model", StringComparison.Ordinal)) serving.Set();
            });
        Assert.True(waiting.Wait(TimeSpan.FromSeconds(30)), "the tier never said it waits for the broker:\n" + cloud.LastLines());
        Assert.False(cloud.HasExited, "the tier gave up instead of waiting:\n" + cloud.LastLines());
        using var mosquitto = Mosquitto.Start(at: port);
        Assert.True(serving.Wait(TimeSpan.FromSeconds(30)), "the tier did not connect once the broker was up:\n" + cloud.LastLines());
        Assert.True(cloud.Stop(TimeSpan.FromSeconds(10)), "the tier did not stop on SIGTERM:\n" + cloud.LastLines());
        Assert.Equal(0, cloud.ExitCode);
    }

    [Fact]
    public void A_device_needs_its_index_and_an_edge_needs_a_model_with_edges()
    {
        Assert.Contains("--device <i> is required", DdnnCli.Run("serve", "device", "--model", models.Plain, "--broker", FreeBroker()).SingleErrorLine(), StringComparison.Ordinal);
        Assert.Contains("the model has devices 0..5", DdnnCli.Run("serve", "device", "--device", "6", "--model", models.Plain, "--broker", FreeBroker()).SingleErrorLine(), StringComparison.Ordinal);
        Assert.Contains("the model has no edges", DdnnCli.Run("serve", "edge", "--edge", "0", "--model", models.Plain, "--broker", FreeBroker()).SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_tick_phase_goes_with_a_rate_ladder_and_stays_below_one_interval()
    {
        var result = DdnnCli.Run("serve", "local", "--model", models.Plain, "--broker", FreeBroker(), "--tick-phase", "0.5");
        Assert.Equal(2, result.Code);
        Assert.Contains("--go-file and --tick-phase go with --rate-steps", result.SingleErrorLine(), StringComparison.Ordinal);
        result = DdnnCli.Run("serve", "local", "--model", models.Plain, "--broker", FreeBroker(), "--rate-steps", "10,20", "--tick-phase", "1");
        Assert.Equal(2, result.Code);
        Assert.Contains("--tick-phase", result.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_password_file_or_a_user_without_a_password_is_one_line()
    {
        var missing = models.Scratch("missing.password");
        var result = DdnnCli.Run("serve", "cloud", "--model", models.Plain, "--broker", FreeBroker(), "--password-file", missing);
        Assert.Equal(2, result.Code);
        Assert.Contains($"--password-file: cannot read the password file '{missing}'", result.SingleErrorLine(), StringComparison.Ordinal);
        result = DdnnCli.Run("serve", "cloud", "--model", models.Plain, "--broker", FreeBroker(), "--user", "cloud");
        Assert.Equal(2, result.Code);
        Assert.Contains("--user cloud needs a password: --password-file <file> or $DDNN_MQTT_PASSWORD", result.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_single_partition_file_is_refused_naming_the_partition()
    {
        var dir = models.Scratch("export");
        DdnnCli.Succeed("export", "--model", models.Plain, "--out", dir);
        var result = DdnnCli.Run("serve", "cloud", "--model", Path.Combine(dir, "cloud.ddnnp"), "--broker", FreeBroker());
        Assert.Equal(2, result.Code);
        Assert.Contains("holds only partition cloud", result.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_broker_tier_says_when_its_port_is_in_use()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var result = DdnnCli.Run("serve", "broker", "--listen", $"127.0.0.1:{port}");
        Assert.Equal(2, result.Code);
        Assert.Contains($"127.0.0.1:{port} is already in use", result.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Answers_that_cannot_be_written_stop_the_local_aggregator_with_one_line()
    {
        // The answers are buffered and written out whenever the host runs out of work, so the failure shows at the
        // first such write: no peer is online, every sample is answered at once (no tier) and /dev/full refuses them.
        await using var broker = await EmbeddedBroker.StartAsync(IPAddress.Loopback, 0);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Program.Run(["serve", "local", "--model", models.Plain, "--broker", broker.Address.ToString(), "--start-timeout", "0",
            "--samples", "50", "--answers", "/dev/full"], output, error, cancel.Token, environment: _ => null);
        Assert.False(cancel.IsCancellationRequested, "the aggregator kept running after its answers could not be written");
        var result = new CliResult(code, output.ToString(), error.ToString());
        Assert.Equal(1, code);
        Assert.Contains("ddnn serve local: cannot write the answers to '/dev/full'", result.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_peer_running_another_model_is_refused_with_both_fingerprints()
    {
        await using var broker = await EmbeddedBroker.StartAsync(IPAddress.Loopback, 0);
        var topics = new TopicScheme("ddnn");
        var other = new ModelFingerprint(new byte[ModelFingerprint.Bytes]);
        await using (var impostor = new MqttTransport(new MqttTransportOptions { Broker = broker.Address, ClientId = "impostor" }, (_, _) => { }))
        {
            await impostor.ConnectAsync([], CancellationToken.None);
            impostor.Publish(topics.Status(new PartitionId(PartitionKind.Local)), StatusMessage.Write(new TierStatus(true, other, 7)), Delivery.AtLeastOnce, retain: true);
        }
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Program.Run(["serve", "cloud", "--model", models.Plain, "--broker", broker.Address.ToString()], output, error, cancel.Token, environment: _ => null);
        var result = new CliResult(code, output.ToString(), error.ToString());
        Assert.False(cancel.IsCancellationRequested, "the cloud kept serving beside a local aggregator of another model");
        Assert.Equal(1, code);
        var line = result.SingleErrorLine();
        Assert.Contains("wrong model fingerprint", line, StringComparison.Ordinal);
        Assert.Contains(other.Short, line, StringComparison.Ordinal);
        Assert.Contains(ModelFingerprint.Of(DeployedModelLoader.Load(models.Plain)).Short, line, StringComparison.Ordinal);
    }
}

using System.Diagnostics;
using Ddnn.Bench.Serving;
using Ddnn.TestSupport;

namespace Ddnn.Bench.Tests.Serving;

/// <summary>
/// Certificates made with <c>openssl</c> for one test class: a CA the tiers trust, a CA they do not, and server
/// certificates for 127.0.0.1, one per case.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private static readonly TimeSpan OpensslTimeout = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _directory = new();

    public TestCertificates()
    {
        TrustedCa = Authority("trusted");
        UntrustedCa = Authority("untrusted");
        Good = Server("good", "trusted", "IP:127.0.0.1,DNS:localhost");
        OtherHost = Server("other-host", "trusted", "DNS:broker.other.invalid");
        FromUntrusted = Server("from-untrusted", "untrusted", "IP:127.0.0.1,DNS:localhost");
    }

    /// <summary>The CA's certificate (PEM) the tiers are given.</summary>
    public string TrustedCa { get; }
    public string UntrustedCa { get; }

    /// <summary>Signed by the trusted CA for 127.0.0.1.</summary>
    public (string Certificate, string Key) Good { get; }

    /// <summary>Signed by the trusted CA for another host name only.</summary>
    public (string Certificate, string Key) OtherHost { get; }

    /// <summary>For 127.0.0.1, signed by the CA the tiers do not trust.</summary>
    public (string Certificate, string Key) FromUntrusted { get; }

    public string File(string name) => _directory.File(name);

    private string Authority(string name)
    {
        Openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-keyout", File(name + "-ca.key"), "-out", File(name + "-ca.pem"), "-subj", $"/CN=ddnn test CA {name}",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        return File(name + "-ca.pem");
    }

    private (string, string) Server(string name, string ca, string names)
    {
        Openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", File(name + ".key"),
            "-out", File(name + ".csr"), "-subj", "/CN=ddnn test broker");
        System.IO.File.WriteAllText(File(name + ".ext"), $"subjectAltName={names}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
        Openssl("x509", "-req", "-in", File(name + ".csr"), "-CA", File(ca + "-ca.pem"), "-CAkey", File(ca + "-ca.key"),
            "-set_serial", Random.Shared.Next(1, int.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-days", "2", "-out", File(name + ".pem"), "-extfile", File(name + ".ext"));
        return (File(name + ".pem"), File(name + ".key"));
    }

    private static void Openssl(params string[] args)
    {
        var info = new ProcessStartInfo("openssl") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("openssl did not start");
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(OpensslTimeout))
        {
            process.Kill();
            Assert.Fail($"openssl {args[0]} did not finish within {OpensslTimeout.TotalSeconds} s");
        }
        Assert.True(process.ExitCode == 0, $"openssl {string.Join(' ', args)} failed: {stderr.Result}");
    }

    public void Dispose() => _directory.Dispose();
}

/// <summary>
/// <c>mqtts://</c> against a mosquitto with a TLS listener: a tier connects when it trusts the CA that signed the
/// broker's certificate, and is refused with one clear line against a certificate of another CA or of another host.
/// </summary>
[Collection(ServingProcessCollection.Name)]
public sealed class TlsTests(ServedModels models, TestCertificates certificates) : IClassFixture<ServedModels>, IClassFixture<TestCertificates>
{
    [Fact]
    public async Task A_client_that_trusts_the_brokers_ca_connects_and_messages_flow()
    {
        using var mosquitto = Mosquitto.Start(tls: certificates.Good);
        Assert.StartsWith("mqtts://127.0.0.1:", mosquitto.Address.ToString(), StringComparison.Ordinal);
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var subscriber = new MqttTransport(new MqttTransportOptions
        {
            Broker = mosquitto.Address, ClientId = $"test-tls-sub-{Environment.ProcessId}", CaFile = certificates.TrustedCa,
        }, (topic, _) => received.TrySetResult(topic));
        await using var publisher = new MqttTransport(new MqttTransportOptions
        {
            Broker = mosquitto.Address, ClientId = $"test-tls-pub-{Environment.ProcessId}", CaFile = certificates.TrustedCa,
        }, (_, _) => { });
        await subscriber.ConnectAsync(["t/#"], CancellationToken.None);
        await publisher.ConnectAsync([], CancellationToken.None);
        publisher.Publish("t/over-tls", new byte[20], Core.Serving.Delivery.AtLeastOnce, retain: false);
        Assert.Equal("t/over-tls", await received.Task.WaitAsync(TimeSpan.FromSeconds(15)));
    }

    private CliResult ServeCloud(Mosquitto broker) =>
        DdnnCli.Run("serve", "cloud", "--model", models.Plain, "--broker", broker.Address.ToString(), "--ca-file", certificates.TrustedCa);

    [Fact]
    public void A_certificate_of_an_untrusted_ca_is_refused_with_a_clear_error()
    {
        using var mosquitto = Mosquitto.Start(tls: certificates.FromUntrusted);
        var result = ServeCloud(mosquitto);
        Assert.Equal(1, result.Code);
        Assert.StartsWith($"ddnn serve cloud: cannot reach the MQTT broker at {mosquitto.Address}: TLS: the broker's certificate was refused: its certificate is not signed by a CA of '{certificates.TrustedCa}' (",
            result.SingleErrorLine(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_for_another_host_is_refused_with_a_clear_error()
    {
        using var mosquitto = Mosquitto.Start(tls: certificates.OtherHost);
        var result = ServeCloud(mosquitto);
        Assert.Equal(1, result.Code);
        Assert.Equal($"ddnn serve cloud: cannot reach the MQTT broker at {mosquitto.Address}: TLS: the broker's certificate was refused: its certificate does not name host '127.0.0.1'",
            result.SingleErrorLine());
    }

    [Fact]
    public void A_whole_deployment_serves_over_tls_with_its_credentials()
    {
        var credentials = models.Scratch("credentials");
        DdnnCli.Succeed("serve", "broker-config", "--model", models.Plain, "--out", credentials);
        using var mosquitto = Mosquitto.Start(credentials: credentials, tls: certificates.Good);
        var outDir = models.Scratch("serve-tls");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var output = new StringWriter();
        var error = new StringWriter();
        string[] args =
        [
            "serve", "all", "--model", models.Plain, .. ServedModels.DataArgs, "--out", outDir, "--warmup", "4", "--start-timeout", "120",
            "--device-wait-ms", "30000", "--cloud-wait-ms", "30000", "--map-wait-ms", "30000", "--hold-ms", "60000",
            "--broker", mosquitto.Address.ToString(), "--credentials", credentials, "--ca-file", certificates.TrustedCa,
        ];
        var code = Program.Run(args, output, error, cancel.Token, environment: _ => null);
        var run = new CliResult(code, output.ToString(), error.ToString());
        Assert.True(code == 0, run.ToString());
        var answers = AnswerFile.Read(Path.Combine(outDir, "answers.csv"));
        Assert.Equal(24, answers.Count);
        Assert.DoesNotContain(answers, a => a.Tier == Core.Runtime.ExitTier.None);
    }

    [Fact]
    public void A_ca_file_that_cannot_be_read_is_one_line()
    {
        var missing = certificates.File("missing.pem");
        var result = DdnnCli.Run("serve", "cloud", "--model", models.Plain, "--broker", "mqtts://127.0.0.1:1", "--ca-file", missing);
        Assert.Equal(2, result.Code);
        Assert.Contains($"--ca-file: cannot read the CA file '{missing}'", result.SingleErrorLine(), StringComparison.Ordinal);
    }
}

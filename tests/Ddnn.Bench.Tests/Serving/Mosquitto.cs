using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Ddnn.Bench.Serving;
using Ddnn.TestSupport;

namespace Ddnn.Bench.Tests.Serving;

/// <summary>
/// A mosquitto of the test's own: its own config, a free loopback port, stopped by its process id. Starting fails the
/// test (never skips it) when mosquitto is missing or does not listen within a few seconds: the serving tests must run
/// against a real broker. Install it with <c>apt-get install -y mosquitto</c> (.ci/test does).
/// </summary>
public sealed class Mosquitto : IDisposable
{
    public const string Executable = "/usr/sbin/mosquitto";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _directory = new();
    private Process? _process;

    private readonly IPAddress? _alsoOn;

    private Mosquitto(IPAddress bind, int port, IPAddress? alsoOn, string? credentials, (string Certificate, string Key)? tls)
    {
        Bind = bind;
        Port = port;
        _alsoOn = alsoOn;
        _tls = tls is not null;
        var second = alsoOn is null ? "" : string.Create(CultureInfo.InvariantCulture, $"listener {port} {alsoOn}\n");
        var access = "allow_anonymous true";
        if (credentials is not null)
        {
            // mosquitto started as root drops to its own user, which cannot read the 0600 files broker-config wrote:
            // the broker gets copies it can read, in this broker's own folder.
            var passwords = _directory.File(BrokerCredentials.PasswordFileName);
            var acl = _directory.File(BrokerCredentials.AclFileName);
            File.Copy(Path.Combine(credentials, BrokerCredentials.PasswordFileName), passwords);
            File.Copy(Path.Combine(credentials, BrokerCredentials.AclFileName), acl);
            if (!OperatingSystem.IsWindows())
                foreach (var file in new[] { passwords, acl })
                    File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            access = $"allow_anonymous false\npassword_file {passwords}\nacl_file {acl}";
        }
        var listenerTls = "";
        if (tls is { } files)
        {
            // The same: copies the broker's own user can read.
            var certificate = _directory.File("server.pem");
            var key = _directory.File("server.key");
            File.Copy(files.Certificate, certificate);
            File.Copy(files.Key, key);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            listenerTls = $"\ncertfile {certificate}\nkeyfile {key}";
        }
        File.WriteAllText(_directory.File("mosquitto.conf"), second + string.Create(CultureInfo.InvariantCulture, $"""
            listener {port} {bind}{listenerTls}
            {access}
            persistence false
            sys_interval 1
            set_tcp_nodelay true
            log_dest file {_directory.File("mosquitto.log")}
            log_type error
            log_type warning
            """) + "\n");
    }

    public IPAddress Bind { get; }
    public int Port { get; }
    public BrokerAddress Address => new(Bind.ToString(), Port, _tls);

    private readonly bool _tls;

    /// <summary>The running broker's process id (it changes on <see cref="Restart"/>).</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("mosquitto is not running");

    /// <summary>The broker's address on <paramref name="listener"/>, the bind address or the second listener's.</summary>
    public BrokerAddress AddressOn(IPAddress listener)
    {
        Assert.True(listener.Equals(Bind) || listener.Equals(_alsoOn), $"mosquitto does not listen on {listener}");
        return new BrokerAddress(listener.ToString(), Port, _tls);
    }

    /// <summary>
    /// Starts mosquitto on a free port of <paramref name="bind"/> (127.0.0.1 by default), and with <paramref name="alsoOn"/>
    /// on that same port of a second address too (e.g. the host end of a veth pair, for a tier in a network namespace).
    /// </summary>
    /// <param name="credentials">
    /// A folder <c>ddnn serve broker-config</c> wrote: the broker then runs with its password and ACL files and
    /// <c>allow_anonymous false</c>; without it, anyone may connect and do anything.
    /// </param>
    /// <param name="tls">The broker's certificate and key (PEM files): its listener then speaks MQTT over TLS only (mqtts://).</param>
    /// <param name="at">The port to listen on (one the test keeps free, e.g. where a tier already waits); a free one by default.</param>
    public static Mosquitto Start(IPAddress? bind = null, IPAddress? alsoOn = null, string? credentials = null, (string Certificate, string Key)? tls = null, int? at = null)
    {
        bind ??= IPAddress.Loopback;
        if (at is not null && alsoOn is not null) throw new ArgumentException("a given port goes with one listener", nameof(at));
        var port = at ?? EmbeddedBroker.FreePort(bind);
        // A port free on the first address can be taken on the second: look until one is free on both (a few tries at most).
        for (var tries = 0; alsoOn is not null && !FreeOn(alsoOn, port); tries++)
        {
            Assert.True(tries < 20, $"no port free on both {bind} and {alsoOn}");
            port = EmbeddedBroker.FreePort(bind);
        }
        var broker = new Mosquitto(bind, port, alsoOn, credentials, tls);
        try
        {
            broker.Launch();
            return broker;
        }
        catch
        {
            broker.Dispose();
            throw;
        }
    }

    /// <summary>Kills the broker (SIGKILL, by pid: in-memory state and retained messages are lost) and starts it again on the same port.</summary>
    /// <param name="whileDown">Done while the broker is down (e.g. killing a tier, whose will the restarted broker never learns of).</param>
    public void Restart(TimeSpan down, Action? whileDown = null)
    {
        Kill();
        whileDown?.Invoke();
        Thread.Sleep(down);
        Launch();
    }

    public void Kill()
    {
        if (_process is null) return;
        try
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        _process.Dispose();
        _process = null;
    }

    public void Dispose()
    {
        Kill();
        _directory.Dispose();
    }

    private void Launch()
    {
        Assert.True(File.Exists(Executable), $"{Executable} is missing: install mosquitto (apt-get install -y mosquitto)");
        var info = new ProcessStartInfo(Executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(_directory.File("mosquitto.conf"));
        _process = Process.Start(info) ?? throw new InvalidOperationException("mosquitto did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var until = Stopwatch.StartNew();
        while (until.Elapsed < StartTimeout)
        {
            if (_process.HasExited)
                Assert.Fail($"mosquitto exited with code {_process.ExitCode} at start: {Log()}");
            if (Listens()) return;
            Thread.Sleep(20);
        }
        Assert.Fail($"mosquitto did not listen on {Bind}:{Port}{(_alsoOn is null ? "" : $" and {_alsoOn}:{Port}")} within {StartTimeout.TotalSeconds} s: {Log()}");
    }

    private static bool FreeOn(IPAddress address, int port)
    {
        try
        {
            using var probe = new TcpListener(address, port);
            probe.Start();
            probe.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private bool Listens() => Listens(Bind) && (_alsoOn is null || Listens(_alsoOn));

    private bool Listens(IPAddress address)
    {
        try
        {
            using var client = new TcpClient(address.AddressFamily);
            client.Connect(address, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private string Log()
    {
        var path = _directory.File("mosquitto.log");
        return File.Exists(path) ? File.ReadAllText(path).Trim() : "(no log)";
    }
}

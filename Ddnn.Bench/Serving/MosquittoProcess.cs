using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Ddnn.Bench.Serving;

/// <summary>
/// A mosquitto broker that <c>ddnn bench serve</c> starts for itself: its own config, password and ACL files in a
/// folder of its own, a free loopback port, stopped by its process id (SIGTERM, then SIGKILL). Started as root,
/// mosquitto drops to its own user, so its folder and files are readable by others (the password file holds only
/// salted PBKDF2 hashes).
/// </summary>
public sealed class MosquittoProcess : IDisposable
{
    /// <summary>Where Debian's <c>mosquitto</c> package puts the broker.</summary>
    public const string DefaultExecutable = "/usr/sbin/mosquitto";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);
    private readonly Process _process;
    private readonly string _log;

    private MosquittoProcess(Process process, int port, string log)
    {
        _process = process;
        Port = port;
        _log = log;
    }

    public int Port { get; }

    /// <summary>The broker's process id, for its CPU time.</summary>
    public int Id => _process.Id;

    public BrokerAddress Address => new(IPAddress.Loopback.ToString(), Port);

    /// <summary>
    /// Starts <paramref name="executable"/> on a free port of 127.0.0.1 with the password and ACL files of
    /// <paramref name="credentials"/> (copied into <paramref name="directory"/>) and <c>allow_anonymous false</c>.
    /// A missing executable, a broker that exits or does not listen within 10 s is an <see cref="IOException"/> saying so.
    /// </summary>
    public static MosquittoProcess Start(string directory, string credentials, string executable = DefaultExecutable)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(credentials);
        if (!File.Exists(executable)) throw new IOException($"mosquitto is not installed: {executable} is missing (apt-get install -y mosquitto), or use --broker embedded");
        Directory.CreateDirectory(directory);
        var readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(directory, readable | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        var passwords = Path.Combine(directory, BrokerCredentials.PasswordFileName);
        var acl = Path.Combine(directory, BrokerCredentials.AclFileName);
        File.Copy(Path.Combine(credentials, BrokerCredentials.PasswordFileName), passwords, overwrite: true);
        File.Copy(Path.Combine(credentials, BrokerCredentials.AclFileName), acl, overwrite: true);
        var log = Path.Combine(directory, "mosquitto.log");
        File.WriteAllText(log, "");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(passwords, readable);
            File.SetUnixFileMode(acl, readable);
            File.SetUnixFileMode(log, readable | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite);
        }
        var port = EmbeddedBroker.FreePort(IPAddress.Loopback);
        var config = Path.Combine(directory, "mosquitto.conf");
        File.WriteAllText(config, string.Create(CultureInfo.InvariantCulture, $"""
            # Written by ddnn bench serve: one broker for every deployment of a step, loopback only.
            listener {port} 127.0.0.1
            allow_anonymous false
            password_file {passwords}
            acl_file {acl}
            persistence false
            set_tcp_nodelay true
            max_queued_messages 100000
            log_dest file {log}
            log_type error
            log_type warning

            """));
        var info = new ProcessStartInfo(executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(config);
        var process = Process.Start(info) ?? throw new IOException($"{executable} did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var broker = new MosquittoProcess(process, port, log);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout)
        {
            if (process.HasExited)
            {
                broker.Dispose();
                throw new IOException($"mosquitto exited with code {process.ExitCode} at start: {broker.LastLog()}");
            }
            if (Listens(port)) return broker;
            Thread.Sleep(20);
        }
        broker.Dispose();
        throw new IOException($"mosquitto did not listen on 127.0.0.1:{port} within {StartTimeout.TotalSeconds} s: {broker.LastLog()}");
    }

    private static bool Listens(int port)
    {
        try
        {
            using var client = new TcpClient(AddressFamily.InterNetwork);
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private string LastLog()
    {
        try
        {
            return string.Join(" | ", File.ReadAllLines(_log).TakeLast(3));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    /// <summary>SIGTERM by process id, SIGKILL if it has not exited within 5 s.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                if (OperatingSystem.IsWindows()) _process.Kill();
                else _ = Kill(_process.Id, (int)PosixSignalNumber.Term);
                if (!_process.WaitForExit(5000))
                {
                    _process.Kill();
                    _process.WaitForExit(5000);
                }
            }
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }
        _process.Dispose();
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

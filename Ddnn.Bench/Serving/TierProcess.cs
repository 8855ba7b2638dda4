using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Ddnn.Bench.Serving;

/// <summary>
/// One tier of <c>ddnn serve all</c> in its own OS process: <c>dotnet &lt;ddnn.dll&gt; serve &lt;tier&gt; ...</c> with
/// this very build. Its output goes to a log file (and its last lines are kept for error messages); it is stopped by
/// its own process id, SIGTERM first (a clean disconnect and its final counters), SIGKILL if it does not exit.
/// </summary>
public sealed class TierProcess : IDisposable
{
    private const int KeptLines = 20;
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Queue<string> _lastLines = new();
    private readonly Action<string>? _onLine;

    private TierProcess(string name, Process process, StreamWriter log, Action<string>? onLine)
    {
        Name = name;
        _process = process;
        _log = log;
        _onLine = onLine;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The tier's name, e.g. "dev0".</summary>
    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// The runtime settings a tier process is started with, each unless this process's environment sets it: no tiered
    /// compilation (so no tiered PGO either).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> RuntimeSettings = new Dictionary<string, string>
    {
        ["DOTNET_TieredCompilation"] = "0",
        ["DOTNET_TieredPGO"] = "0",
    };

    /// <summary>
    /// Starts <c>ddnn serve</c> with <paramref name="arguments"/> (after "serve"), logging to <paramref name="logPath"/>;
    /// <paramref name="onLine"/> sees every output line. A <paramref name="launcher"/> (e.g. <c>ip netns exec &lt;ns&gt;</c>)
    /// runs the command; it must exec it in place, so that the process id stays the tier's own for signals.
    /// </summary>
    public static TierProcess Start(string name, IReadOnlyList<string> arguments, string logPath, Action<string>? onLine = null, IReadOnlyList<string>? launcher = null)
    {
        var (host, prefix) = DdnnCommand();
        if (launcher is { Count: > 0 })
        {
            prefix = [.. launcher.Skip(1), host, .. prefix];
            host = launcher[0];
        }
        var info = new ProcessStartInfo(host)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
        };
        // A tier's hot path is small and steady; compiled optimized at its first call, it is never compiled again. With
        // tiered compilation its methods were re-JITted once they had been called 30 times after start-up, which at a
        // low rate came seconds into a run, in every tier process at once (bench serve, K = 16: 36 processes on two
        // cores stalled for 0.5–1.3 s around the same samples). A value the caller set wins.
        foreach (var (variable, value) in RuntimeSettings)
            if (Environment.GetEnvironmentVariable(variable) is null) info.Environment[variable] = value;
        foreach (var a in prefix) info.ArgumentList.Add(a);
        info.ArgumentList.Add("serve");
        foreach (var a in arguments) info.ArgumentList.Add(a);
        var log = new StreamWriter(logPath, append: false, Encoding.UTF8) { AutoFlush = true };
        log.WriteLine("$ " + string.Join(' ', info.ArgumentList.Prepend(host)));
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new IOException($"cannot start {name}: {host} did not start");
        }
        catch
        {
            log.Dispose();
            throw;
        }
        return new TierProcess(name, process, log, onLine);
    }

    /// <summary>
    /// The command that runs this build of ddnn: the apphost when this process is one, else <c>dotnet ddnn.dll</c>
    /// with the dotnet that runs this process (DOTNET_HOST_PATH under the SDK, e.g. in tests).
    /// </summary>
    public static (string Host, IReadOnlyList<string> Prefix) DdnnCommand()
    {
        var dll = typeof(TierProcess).Assembly.Location;
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return (self, [dll]);
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (string.IsNullOrEmpty(host) || !File.Exists(host)) host = "dotnet";
        return (host, [dll]);
    }

    /// <summary>The last lines the tier printed, for an error message.</summary>
    public string LastLines()
    {
        lock (_lastLines) return string.Join(Environment.NewLine, _lastLines);
    }

    /// <summary>Waits for the tier to exit, at most <paramref name="timeout"/>; true when it did.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        _process.WaitForExit();
        return true;
    }

    /// <summary>Sends <paramref name="signal"/> to the tier's process (by its id).</summary>
    public void Signal(PosixSignalNumber signal)
    {
        if (_process.HasExited) return;
        if (OperatingSystem.IsWindows())
        {
            if (signal == PosixSignalNumber.Kill || signal == PosixSignalNumber.Term) _process.Kill();
            return;
        }
        _ = NativeMethods.Kill(_process.Id, (int)signal);
    }

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>; true when it exited within the grace.</summary>
    public bool Stop(TimeSpan grace)
    {
        if (_process.HasExited) return true;
        Signal(PosixSignalNumber.Term);
        if (WaitForExit(grace)) return true;
        Signal(PosixSignalNumber.Kill);
        WaitForExit(TimeSpan.FromSeconds(5));
        return false;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
                // It exited meanwhile.
            }
        }
        _process.Dispose();
        lock (_lastLines) _log.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_lastLines)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            _lastLines.Enqueue(line);
            while (_lastLines.Count > KeptLines) _lastLines.Dequeue();
        }
        _onLine?.Invoke(line);
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static extern int Kill(int pid, int signal);
    }
}

/// <summary>The POSIX signals the serving drills send, by number (Linux numbering).</summary>
public enum PosixSignalNumber
{
    Kill = 9,
    Term = 15,
    Cont = 18,
    Stop = 19,
}

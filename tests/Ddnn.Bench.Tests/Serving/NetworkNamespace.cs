using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Ddnn.Bench.Tests.Serving;

/// <summary>
/// A network namespace of the test's own, joined to the host by a veth pair on a private /30 (10.213.a.b/30: the host
/// end .1, the namespace end .2). Names are unique per instance and the /30 is one that no address of the host is in,
/// so parallel runs cannot collide. Only these two ends get addresses, so traffic goes nowhere but this link. Creating
/// it fails the test with the reason (never skips it) when namespaces cannot be made here (root is needed).
/// Disposing deletes the link and the namespace, even after a failure half-way.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    private static readonly TimeSpan CommandLimit = TimeSpan.FromSeconds(20);
    private bool _linkMade, _namespaceMade;

    public NetworkNamespace()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        Name = "ddnn-" + tag;
        // Interface names are at most 15 characters.
        HostEnd = "dv" + tag + "h";
        InsideEnd = "dv" + tag + "n";
        (HostAddress, InsideAddress) = FreeSubnet();
        try
        {
            Create();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Name { get; }
    public string HostEnd { get; }
    public string InsideEnd { get; }
    public IPAddress HostAddress { get; }
    public IPAddress InsideAddress { get; }

    /// <summary>The launcher that runs a command inside the namespace (<c>ip netns exec</c> execs it in place: the process id stays the command's).</summary>
    public IReadOnlyList<string> Exec => ["ip", "netns", "exec", Name];

    /// <summary>Cuts the link: the host end goes down, so nothing crosses either way.</summary>
    public void Cut() => Ip("link", "set", HostEnd, "down");

    /// <summary>Brings the link back.</summary>
    public void Restore() => Ip("link", "set", HostEnd, "up");

    public void Dispose()
    {
        // Deleting one end of a veth pair deletes both; deleting the namespace would too, but do both explicitly.
        if (_linkMade) TryIp("link", "del", HostEnd);
        if (_namespaceMade) TryIp("netns", "del", Name);
        _linkMade = _namespaceMade = false;
    }

    private void Create()
    {
        var probe = Run("ip", ["netns", "add", Name]);
        Assert.True(probe.Code == 0,
            $"cannot create network namespace {Name} for the veth drill (it needs root and iproute2): ip netns add exited {probe.Code}: {probe.Output}");
        _namespaceMade = true;
        Ip("link", "add", HostEnd, "type", "veth", "peer", "name", InsideEnd);
        _linkMade = true;
        Ip("link", "set", InsideEnd, "netns", Name);
        Ip("addr", "add", HostAddress + "/30", "dev", HostEnd);
        Ip("link", "set", HostEnd, "up");
        Ip("netns", "exec", Name, "ip", "addr", "add", InsideAddress + "/30", "dev", InsideEnd);
        Ip("netns", "exec", Name, "ip", "link", "set", InsideEnd, "up");
        Ip("netns", "exec", Name, "ip", "link", "set", "lo", "up");
    }

    /// <summary>A random /30 of 10.213.0.0/16 that holds no address of the host yet.</summary>
    private static (IPAddress Host, IPAddress Inside) FreeSubnet()
    {
        var taken = Run("ip", ["-4", "-o", "addr", "show"]).Output;
        for (var tries = 0; tries < 100; tries++)
        {
            var third = Random.Shared.Next(0, 256);
            var fourth = Random.Shared.Next(0, 64) * 4;
            var inUse = Enumerable.Range(fourth, 4).Any(last => taken.Contains(string.Create(CultureInfo.InvariantCulture, $" 10.213.{third}.{last}/"), StringComparison.Ordinal));
            if (!inUse)
                return (IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"10.213.{third}.{fourth + 1}")), IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"10.213.{third}.{fourth + 2}")));
        }
        throw new InvalidOperationException("no free /30 in 10.213.0.0/16");
    }

    private static void Ip(params string[] arguments)
    {
        var result = Run("ip", arguments);
        Assert.True(result.Code == 0, $"ip {string.Join(' ', arguments)} exited {result.Code}: {result.Output}");
    }

    private static void TryIp(params string[] arguments) => Run("ip", arguments);

    private static (int Code, string Output) Run(string command, string[] arguments)
    {
        var info = new ProcessStartInfo(command) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        Process? started;
        try
        {
            started = Process.Start(info);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, $"cannot run {command}: {e.Message}");
        }
        using var process = started ?? throw new InvalidOperationException($"{command} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(CommandLimit))
        {
            process.Kill();
            process.WaitForExit(5000);
            return (-1, $"{command} {string.Join(' ', arguments)} did not finish within {CommandLimit.TotalSeconds} s");
        }
        process.WaitForExit();
        return (process.ExitCode, (output.Result + error.Result).Trim());
    }
}

using System.Globalization;

namespace Ddnn.Bench.Serving;

/// <summary>
/// CPU time from Linux's <c>/proc</c>: one process's (<c>/proc/&lt;pid&gt;/stat</c>, user + system) and the whole
/// machine's (<c>/proc/stat</c>, every core: busy and total), in clock ticks of <see cref="TicksPerSecond"/>. Two
/// readings over a step give a process's share of one core and the machine's share of all of them.
/// </summary>
public static class CpuClock
{
    /// <summary>USER_HZ: the unit of every /proc CPU field (100 on every Linux the kernel ABI allows).</summary>
    public const double TicksPerSecond = 100;

    /// <summary>CPU seconds (user + system) process <paramref name="pid"/> has used, or null when it is gone or /proc cannot be read.</summary>
    public static double? ProcessSeconds(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return ParseProcessStat(text) is { } ticks ? ticks / TicksPerSecond : null;
    }

    /// <summary>utime + stime of a <c>/proc/&lt;pid&gt;/stat</c> line (fields 14 and 15; the command name in parentheses may hold spaces), or null when malformed.</summary>
    public static long? ParseProcessStat(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var close = text.LastIndexOf(')');
        if (close < 0) return null;
        // After ") ": state is field 3, so utime (14) and stime (15) are the 12th and 13th fields from there.
        var fields = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 13) return null;
        var inv = CultureInfo.InvariantCulture;
        return long.TryParse(fields[11], NumberStyles.None, inv, out var user) && long.TryParse(fields[12], NumberStyles.None, inv, out var system) ? user + system : null;
    }

    /// <summary>The machine's busy and total CPU seconds over every core (<c>/proc/stat</c>'s first line; idle and iowait are not busy), or null when it cannot be read.</summary>
    public static (double Busy, double Total)? MachineSeconds()
    {
        string first;
        try
        {
            using var reader = new StreamReader("/proc/stat");
            first = reader.ReadLine() ?? "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return ParseMachineStat(first) is { } t ? (t.Busy / TicksPerSecond, t.Total / TicksPerSecond) : null;
    }

    /// <summary>Busy and total ticks of <c>/proc/stat</c>'s <c>cpu</c> line (user nice system idle iowait irq softirq steal; guest time is already in user), or null when malformed.</summary>
    public static (long Busy, long Total)? ParseMachineStat(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 9 || fields[0] != "cpu") return null;
        var values = new long[8];
        for (var i = 0; i < 8; i++)
            if (!long.TryParse(fields[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out values[i])) return null;
        var total = values.Sum();
        var idle = values[3] + values[4];
        return (total - idle, total);
    }
}

using System.Globalization;

namespace Ddnn.Bench.Benchmarks;

/// <summary>The system's 1-minute load average, which the report states beside every measurement (busy machine, slower kernels).</summary>
public static class LoadAverage
{
    private const string Source = "/proc/loadavg";

    /// <summary>The 1-minute load average, or null where the system does not expose it.</summary>
    public static double? OneMinute()
    {
        try
        {
            if (!File.Exists(Source)) return null;
            var first = File.ReadAllText(Source).Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var load) ? load : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The load as text for the report, "n/a" when unknown.</summary>
    public static string Describe(double? load) =>
        load is { } l ? l.ToString("0.00", CultureInfo.InvariantCulture) : "n/a";
}

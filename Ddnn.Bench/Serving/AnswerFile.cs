using System.Globalization;
using Ddnn.Core.Runtime;

namespace Ddnn.Bench.Serving;

/// <summary>
/// The local aggregator's answers as CSV, one line per sample: what <c>ddnn serve all</c> reads back and compares
/// with <c>ddnn infer</c>. Latency is wall-clock milliseconds from when the sample was due (its tick, or its slot on a fixed-rate schedule) to the answer.
/// </summary>
public static class AnswerFile
{
    public const string Header = "sample,tier,prediction,latency_ms,local_prediction,cloud_prediction,present_at_local,device_to_local_bytes,edge_bytes,local_cloud_bytes,tick_bytes,protocol_bytes";

    /// <summary>Writes <paramref name="o"/> as one line, formatted without allocating (the aggregator writes one per answer).</summary>
    public static void WriteLine(TextWriter writer, CascadeOutcome o)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(o);
        var inv = CultureInfo.InvariantCulture;
        Span<char> text = stackalloc char[160];
        if (!text.TryWrite(inv, $"{o.Sample},{o.Tier},{o.Prediction},{o.LatencyMs:0.###},{o.LocalPrediction},{o.CloudPrediction},", out var n))
            throw new InvalidOperationException("an answer's leading fields outgrew their buffer");
        writer.Write(text[..n]);
        foreach (var present in o.PresentAtLocal) writer.Write(present ? '1' : '0');
        if (!text.TryWrite(inv, $",{o.DeviceToLocalBytes},{o.EdgeBytes},{o.LocalToCloudBytes},{o.TickBytes},{o.ProtocolBytes}", out n))
            throw new InvalidOperationException("an answer's byte counts outgrew their buffer");
        writer.Write(text[..n]);
        writer.WriteLine();
    }

    /// <summary>Reads the answers written by <see cref="WriteLine"/>; a malformed line is an <see cref="InvalidDataException"/> naming it.</summary>
    public static List<CascadeOutcome> Read(string path)
    {
        var outcomes = new List<CascadeOutcome>();
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != Header) throw new InvalidDataException($"{path}: not an answers file (header)");
        for (var i = 1; i < lines.Length; i++)
        {
            var f = lines[i].Split(',');
            try
            {
                if (f.Length != 12) throw new FormatException($"{f.Length} fields");
                var inv = CultureInfo.InvariantCulture;
                outcomes.Add(new CascadeOutcome
                {
                    Sample = long.Parse(f[0], inv),
                    Tier = Enum.Parse<ExitTier>(f[1]),
                    Prediction = int.Parse(f[2], inv),
                    LatencyMs = double.Parse(f[3], inv),
                    LocalPrediction = int.Parse(f[4], inv),
                    LocalEntropy = float.NaN,
                    CloudPrediction = int.Parse(f[5], inv),
                    PresentAtLocal = f[6].Select(c => c == '1').ToArray(),
                    PresentAtCloud = [],
                    DeviceToLocalBytes = long.Parse(f[7], inv),
                    DeviceToCloudBytes = 0,
                    EdgeBytes = long.Parse(f[8], inv),
                    LocalToCloudBytes = long.Parse(f[9], inv),
                    TickBytes = long.Parse(f[10], inv),
                    ProtocolBytes = long.Parse(f[11], inv),
                });
            }
            catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
            {
                throw new InvalidDataException($"{path}:{i + 1}: bad answer line '{lines[i]}': {e.Message}", e);
            }
        }
        return outcomes;
    }
}

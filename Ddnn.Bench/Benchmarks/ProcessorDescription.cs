using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Bench.Benchmarks;

/// <summary>The processor a bench run measured: its model name (Linux /proc/cpuinfo) and the vector ISAs .NET uses on it.</summary>
public static class ProcessorDescription
{
    /// <summary>E.g. "AMD EPYC 9R45 (AVX2, FMA, AVX-512 F/BW/DQ/VL/VBMI)"; the model is "unknown processor" off Linux.</summary>
    public static string Describe() => $"{ModelName()} ({string.Join(", ", Isas())})";

    private static string ModelName()
    {
        const string cpuInfo = "/proc/cpuinfo";
        if (!File.Exists(cpuInfo)) return "unknown processor";
        var line = File.ReadLines(cpuInfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return line is null ? "unknown processor" : line[(line.IndexOf(':') + 1)..].Trim();
    }

    private static IEnumerable<string> Isas()
    {
        if (Avx2.IsSupported) yield return "AVX2";
        if (Fma.IsSupported) yield return "FMA";
        if (Avx512F.IsSupported)
        {
            var parts = new List<string> { "F" };
            if (Avx512BW.IsSupported) parts.Add("BW");
            if (Avx512DQ.IsSupported) parts.Add("DQ");
            if (Avx512F.VL.IsSupported) parts.Add("VL");
            if (Avx512Vbmi.IsSupported) parts.Add("VBMI");
            yield return $"AVX-512 {string.Join('/', parts)}{(Vector512.IsHardwareAccelerated ? "" : " (Vector512 not accelerated)")}";
        }
        if (AdvSimd.IsSupported) yield return "AdvSimd";
        if (!Vector128.IsHardwareAccelerated) yield return "no SIMD";
    }
}

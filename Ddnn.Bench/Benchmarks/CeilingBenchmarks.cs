using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;
using Ddnn.Kernels;
using Ddnn.Kernels.Binary;

namespace Ddnn.Bench.Benchmarks;

/// <summary>
/// The per-core ceilings every kernel ratio is taken against, measured in the same run as the kernels on the widest
/// vectors the processor has (<see cref="FmaPeak.WidestBits"/>, <see cref="XorPopCountPeak.WidestBits"/>): the fp32
/// FMA peak and the XOR-popcount streaming rate over L1-resident buffers (Harley-Seal and the library's own counter).
/// The 256-bit loops run too, so a 512-bit machine shows what the wider vectors add.
/// </summary>
[MemoryDiagnoser]
public class CeilingBenchmarks
{
    /// <summary>256-bit FMA loop trips per invocation (half as many at 512 bits): 19.2 MFLOP, about 0.1–0.2 ms at peak.</summary>
    public const int FmaIterations = 100_000;

    /// <summary>Words per XOR-popcount operand: two 8 KiB buffers, so both stay in the 32 KiB L1 data cache.</summary>
    public const int PopCountWords = 1024;

    /// <summary>Passes over the buffers per invocation, so call overhead is negligible.</summary>
    public const int PopCountPasses = 64;

    private const double PopCountBits = (double)PopCountWords * 64 * PopCountPasses;

    private ulong[] _a = [];
    private ulong[] _b = [];

    [GlobalSetup]
    public void Setup()
    {
        KernelParallelism.DefaultMaxThreads = 1;
        _a = BenchmarkData.Words(PopCountWords, 1);
        _b = BenchmarkData.Words(PopCountWords, 2);
        var expected = BinaryDot.XorPopCount(_a, _b);
        if (XorPopCountPeak.IsSupported && XorPopCountPeak.Count(_a, _b) != expected)
            throw new InvalidOperationException($"the {XorPopCountPeak.WidestBits}-bit Harley-Seal ceiling loop disagrees with BinaryDot.XorPopCount; its figures would be meaningless.");
        if (Avx2.IsSupported && XorPopCountPeak.Count256(_a, _b) != expected)
            throw new InvalidOperationException("the 256-bit Harley-Seal loop disagrees with BinaryDot.XorPopCount; its figures would be meaningless.");
    }

    [Benchmark, Work(FmaIterations * 12.0 * 8 * 2, WorkUnit.Flop)]
    public float FmaPeakLoop() => FmaPeak.Run(FmaIterations);

    [Benchmark, Work(FmaIterations * 12.0 * 8 * 2, WorkUnit.Flop)]
    public float FmaPeak256Loop() => FmaPeak.Run256(FmaIterations);

    [Benchmark, Work(PopCountBits, WorkUnit.BitMac)]
    public long HarleySealXorPopCount()
    {
        if (!XorPopCountPeak.IsSupported) return LibraryXorPopCount();
        long sum = 0;
        for (var i = 0; i < PopCountPasses; i++) sum += XorPopCountPeak.Count(_a, _b);
        return sum;
    }

    [Benchmark, Work(PopCountBits, WorkUnit.BitMac)]
    public long HarleySeal256XorPopCount()
    {
        if (!Avx2.IsSupported) return LibraryXorPopCount();
        long sum = 0;
        for (var i = 0; i < PopCountPasses; i++) sum += XorPopCountPeak.Count256(_a, _b);
        return sum;
    }

    [Benchmark, Work(PopCountBits, WorkUnit.BitMac)]
    public long LibraryXorPopCount()
    {
        long sum = 0;
        for (var i = 0; i < PopCountPasses; i++) sum += BinaryDot.XorPopCount(_a, _b);
        return sum;
    }
}

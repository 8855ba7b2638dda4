using BenchmarkDotNet.Attributes;
using Ddnn.Kernels;

namespace Ddnn.Bench.Benchmarks;

/// <summary>
/// Single thread, batch 1, 3x3 conv 64→64 on 32×32: the binary layer end to end (packing and threshold included)
/// against the float conv of the same shape (target ≥ 5×), plus the binary layer's three stages on their own.
/// </summary>
[MemoryDiagnoser]
public class BinaryConvBenchmarks : PathComparedBenchmark
{
    public const int Channels = 64;
    public const int Size = 32;
    private const double Macs = 1.0 * Channels * Size * Size * Channels * 9;

    private ConvWorkload _layer = null!;

    [GlobalSetup]
    public void Setup()
    {
        SelectPath();
        KernelParallelism.DefaultMaxThreads = 1;
        _layer = new ConvWorkload(1, Channels, Size, Channels);
        _layer.RunBinary(); // the stage benchmarks read what the earlier stages wrote
    }

    [Benchmark, Work(Macs, WorkUnit.Mac)]
    public void FloatConv() => _layer.RunFloat();

    [Benchmark, Work(Macs, WorkUnit.BitMac)]
    public void BinaryLayer() => _layer.RunBinary();

    [Benchmark, Work(Macs, WorkUnit.BitMac)]
    public void BinaryStagePack() => _layer.RunPack();

    [Benchmark, Work(Macs, WorkUnit.BitMac)]
    public void BinaryStageConv() => _layer.RunBinaryConv();

    [Benchmark, Work(Macs, WorkUnit.BitMac)]
    public void BinaryStageThreshold() => _layer.RunThreshold();
}

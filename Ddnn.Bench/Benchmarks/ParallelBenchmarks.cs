using BenchmarkDotNet.Attributes;
using Ddnn.Kernels;

namespace Ddnn.Bench.Benchmarks;

/// <summary>
/// Large kernels at 1 and 2 threads (<see cref="KernelParallelism.MaxThreads"/>): GEMM 1024³, a float conv and a
/// binary conv (target: 2 threads ≥ 1.7× one thread).
/// </summary>
[MemoryDiagnoser]
public class ParallelBenchmarks
{
    public const int GemmSize = 1024;
    public const int FloatConvBatch = 8;
    public const int FloatConvChannels = 64;
    public const int BinaryConvChannels = 256;
    public const int ConvSize = 32;

    private float[] _a = [];
    private float[] _b = [];
    private float[] _c = [];
    private ConvWorkload _floatConv = null!;
    private ConvWorkload _binaryConv = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        KernelParallelism.DefaultMaxThreads = Threads;
        _a = BenchmarkData.Uniform(GemmSize * GemmSize, 40);
        _b = BenchmarkData.Uniform(GemmSize * GemmSize, 41);
        _c = new float[GemmSize * GemmSize];
        _floatConv = new ConvWorkload(FloatConvBatch, FloatConvChannels, ConvSize, FloatConvChannels);
        _binaryConv = new ConvWorkload(1, BinaryConvChannels, ConvSize, BinaryConvChannels);
        _binaryConv.RunPack();
    }

    [Benchmark, Work(2.0 * GemmSize * GemmSize * GemmSize, WorkUnit.Flop)]
    public void Gemm1024() => Gemm.Multiply(false, false, GemmSize, GemmSize, GemmSize, _a, _b, _c);

    [Benchmark, Work(1.0 * FloatConvBatch * FloatConvChannels * ConvSize * ConvSize * FloatConvChannels * 9, WorkUnit.Mac)]
    public void FloatConvLarge() => _floatConv.RunFloat();

    [Benchmark, Work(1.0 * BinaryConvChannels * ConvSize * ConvSize * BinaryConvChannels * 9, WorkUnit.BitMac)]
    public void BinaryConvLarge() => _binaryConv.RunBinary();
}

using BenchmarkDotNet.Attributes;
using Ddnn.Kernels;

namespace Ddnn.Bench.Benchmarks;

/// <summary>Single-thread float GEMM C = A·B at 256×256×256, the size whose panels fit the caches (target ≥ 75% of FMA peak).</summary>
[MemoryDiagnoser]
public class FloatGemmBenchmarks : PathComparedBenchmark
{
    public const int Size = 256;

    private float[] _a = [];
    private float[] _b = [];
    private float[] _c = [];

    [GlobalSetup]
    public void Setup()
    {
        SelectPath();
        KernelParallelism.DefaultMaxThreads = 1;
        _a = BenchmarkData.Uniform(Size * Size, 20);
        _b = BenchmarkData.Uniform(Size * Size, 21);
        _c = new float[Size * Size];
    }

    [Benchmark, Work(2.0 * Size * Size * Size, WorkUnit.Flop)]
    public void Gemm256() => Gemm.Multiply(false, false, Size, Size, Size, _a, _b, _c);
}

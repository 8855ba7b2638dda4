using BenchmarkDotNet.Attributes;
using Ddnn.Kernels;
using Ddnn.Kernels.Binary;

namespace Ddnn.Bench.Benchmarks;

/// <summary>
/// Single-thread binary GEMM, 256 rows × 256 columns of packed ±1 rows with K bits each (target at K ≥ 4096:
/// ≥ 80% of the in-run XOR-popcount ceiling).
/// </summary>
[MemoryDiagnoser]
public class BinaryGemmBenchmarks : PathComparedBenchmark
{
    public const int Rows = 256;
    public const int Columns = 256;

    private ulong[] _a = [];
    private ulong[] _b = [];
    private int[] _c = [];

    [Params(4096, 16384)]
    public int Bits { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        SelectPath();
        KernelParallelism.DefaultMaxThreads = 1;
        var words = BitPacking.WordsFor(Bits);
        _a = BenchmarkData.Words(Rows * words, 30);
        _b = BenchmarkData.Words(Columns * words, 31);
        _c = new int[Rows * Columns];
    }

    [Benchmark, Work((double)Rows * Columns, WorkUnit.BitMac, ScaledBy = nameof(Bits))]
    public void BinaryGemm256() => BinaryGemm.Multiply(_a, Rows, _b, Columns, Bits, _c);
}

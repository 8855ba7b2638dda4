using Ddnn.Kernels;
using Ddnn.Kernels.Tests.Float;
using Ddnn.TestSupport;

namespace Ddnn.Kernels.Tests.Dispatch;

/// <summary>
/// The scratch policy (see Ddnn.Kernels' Scratch) seen from outside: float kernels keep their working memory per
/// thread, so concurrent callers get a lone call's bits, and once warm they allocate nothing.
/// </summary>
public class ScratchPolicyTests
{
    // Growing sizes, so concurrent callers grow their per-thread scratch while the others use theirs.
    private static readonly Conv2dShape[] Shapes =
    [
        new(1, 1, 16, 16, 4, 3, 1, 1),
        new(2, 5, 8, 8, 6, 3, 1, 1),
        new(17, 16, 8, 8, 5, 3, 1, 1),
        new(1, 30, 12, 12, 29, 3, 1, 1),
        new(4, 8, 32, 32, 16, 3, 1, 1),
    ];

    private static float[][] Layer(Conv2dShape s, int seed)
    {
        var x = TestData.Uniform((int)s.InputLength, seed);
        var w = TestData.Uniform((int)s.WeightLength, seed + 1);
        var dy = TestData.Uniform((int)s.OutputLength, seed + 2);
        var y = new float[s.OutputLength];
        var dx = new float[s.InputLength];
        var dw = new float[s.WeightLength];
        var db = new float[s.OutChannels];
        Conv2d.Forward(s, x, w, [], y);
        Conv2d.BackwardInput(s, dy, w, dx);
        Conv2d.BackwardWeight(s, x, dy, dw, db);
        var pool = new Pool2dShape(s.Batch, s.OutChannels, s.OutHeight, s.OutWidth, 3, 2, 1);
        var pooled = new float[pool.OutputLength];
        MaxPool2d.Forward(pool, y, pooled, new int[pool.OutputLength]);
        return [y, dx, dw, db, pooled];
    }

    [Fact]
    public async Task ConcurrentCallersGetTheBitsOfALoneCall()
    {
        float[][][] alone;
        using (KernelParallelism.Use(2))
            alone = Shapes.Select((s, i) => Layer(s, 10 * i)).ToArray();

        // Each caller walks the shapes in its own order under its own thread-count scope; results depend only on that count.
        var callers = Enumerable.Range(0, 4).Select(caller => Task.Factory.StartNew(() =>
        {
            using var threads = KernelParallelism.Use(2);
            var results = new float[Shapes.Length][][];
            for (var round = 0; round < 3; round++)
            for (var j = 0; j < Shapes.Length; j++)
            {
                var i = (caller % 2 == 0 ? j : Shapes.Length - 1 - j);
                results[i] = Layer(Shapes[i], 10 * i);
            }
            return results;
        }, TaskCreationOptions.LongRunning)).ToArray();

        foreach (var results in await Task.WhenAll(callers))
            for (var i = 0; i < Shapes.Length; i++)
            for (var r = 0; r < alone[i].Length; r++)
                Assert.True(alone[i][r].AsSpan().SequenceEqual(results[i][r]), $"shape {Shapes[i]}, result {r}");
    }

    [Fact]
    public void WarmFloatKernelsAllocateNothingOnOneThread()
    {
        var s = Shapes[^1];
        var x = TestData.Uniform((int)s.InputLength, 1);
        var w = TestData.Uniform((int)s.WeightLength, 2);
        var dy = TestData.Uniform((int)s.OutputLength, 3);
        var y = new float[s.OutputLength];
        var dx = new float[s.InputLength];
        var dw = new float[s.WeightLength];
        var db = new float[s.OutChannels];
        var c = new float[64 * 96];
        var a = TestData.Uniform(64 * 300, 4);
        var b = TestData.Uniform(300 * 96, 5);
        var pool = new Pool2dShape(s.Batch, s.OutChannels, s.OutHeight, s.OutWidth, 3, 2, 1);
        var pooled = new float[pool.OutputLength];
        var argmax = new int[pool.OutputLength];
        using var oneThread = KernelParallelism.Use(1);
        foreach (var path in KernelDispatch.Supported)
            using (KernelDispatch.Use(path))
            {
                Action[] kernels =
                [
                    () => Conv2d.Forward(s, x, w, [], y),
                    () => Conv2d.BackwardInput(s, dy, w, dx),
                    () => Conv2d.BackwardWeight(s, x, dy, dw, db),
                    () => Gemm.Multiply(false, false, 64, 96, 300, a, b, c),
                    () => MaxPool2d.Forward(pool, y, pooled, argmax),
                ];
                foreach (var kernel in kernels) kernel();
                for (var k = 0; k < kernels.Length; k++)
                    WarmAllocation.AssertNone(kernels[k], $"{path}: kernel {k}");
            }
    }
}

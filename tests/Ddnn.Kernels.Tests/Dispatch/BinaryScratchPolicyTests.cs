using Ddnn.Kernels;
using Ddnn.Kernels.Binary;
using Ddnn.Kernels.Tests.Binary;
using Ddnn.TestSupport;

namespace Ddnn.Kernels.Tests.Dispatch;

/// <summary>
/// The scratch policy for the binary kernels' one-shot overloads (conv, the fused blocks, the linear exit and the
/// interleaved GEMM's offset table): per-thread scratch, so concurrent callers get a lone call's bits, and nothing
/// allocated once warm.
/// </summary>
public class BinaryScratchPolicyTests
{
    // Growing sizes, so concurrent callers grow their scratch while the others use theirs. Padding 1 exercises the
    // padding correction's two tables; 70 input channels give two words per pixel. Stride 2 takes the binary conv
    // through im2col (on AVX2 the interleaved GEMM), and 14,592 channels give im2col rows of 2,052 words, more than
    // the interleaved GEMM keeps on the stack, so its offsets come from scratch.
    private static readonly BinaryConvGeometry[] Shapes =
    [
        new(1, 3, 8, 8, 4, 3, 3, 1, 1),
        new(2, 5, 12, 12, 6, 3, 3, 1, 1),
        new(2, 9, 12, 12, 5, 3, 3, 2, 1),
        new(1, 70, 16, 16, 9, 3, 3, 1, 1),
        new(1, 14592, 3, 3, 2, 3, 3, 2, 1),
        new(3, 8, 32, 32, 16, 3, 3, 1, 1),
    ];

    private static readonly PoolGeometry Pool = new(3, 2, 1);

    // Rows of 2,100 words for the linear exit (its accumulators come from scratch) and the binary GEMM.
    private const int LongRowBits = 64 * 2100 - 5;

    private sealed record Inputs(BinaryConvGeometry Conv, float[] Floats, ulong[] Packed, ulong[] Weights, float[] Bias,
        SignThreshold[] Thresholds, FloatSignThreshold[] FloatThresholds, ulong[] LongRows, ulong[] LongWeights);

    private static Inputs Make(BinaryConvGeometry g, int seed)
    {
        var random = new Random(seed);
        var floats = BinaryReference.RandomFloats(random, g.InputLength);
        var packed = new ulong[g.PackedInputLength];
        BitPacking.PackNchw(floats, g.Batch, g.InChannels, g.Height, g.Width, packed);
        var weights = new ulong[g.PackedWeightsLength];
        BitPacking.PackConvWeights(BinaryReference.RandomSigns(random, g.OutChannels * g.InChannels * g.Taps),
            g.OutChannels, g.InChannels, g.KernelH, g.KernelW, weights);
        var words = BitPacking.WordsFor(LongRowBits);
        var longRows = BinaryReference.RandomWords(random, 2 * words);
        var longWeights = BinaryReference.RandomWords(random, 3 * words);
        for (var r = 0; r < 2; r++) longRows[r * words + words - 1] &= (1UL << 59) - 1;
        for (var r = 0; r < 3; r++) longWeights[r * words + words - 1] &= (1UL << 59) - 1;
        return new Inputs(g, floats, packed, weights, BinaryReference.RandomFloats(random, g.OutChannels),
            BinaryReference.RandomThresholds(random, g.OutChannels, 3 * g.InChannels),
            BinaryReference.RandomFloatThresholds(random, g.OutChannels, 3 * g.InChannels), longRows, longWeights);
    }

    private static (Action[] Kernels, object[] Outputs) Kernels(Inputs x)
    {
        var g = x.Conv;
        var acc = new int[g.OutputLength];
        var floatConv = new float[g.OutputLength];
        var binaryBlock = new ulong[EbnnBlock.OutputLength(g, Pool)];
        var floatBlock = new ulong[EbnnBlock.OutputLength(g, Pool)];
        var words = BitPacking.WordsFor(LongRowBits);
        var logits = new float[2 * 3];
        var gemm = new int[2 * 3];
        float[] scale = [0.5f, -1.25f, 2f], offset = [1f, 0f, -3f];
        Action[] kernels =
        [
            () => BinaryConv2d.Forward(x.Packed, x.Weights, g, acc),
            () => EbnnBlock.FloatBinaryConv(x.Floats, x.Weights, x.Bias, g, floatConv),
            () => EbnnBlock.BinaryConvPoolSign(x.Packed, x.Weights, g, Pool, x.Thresholds, binaryBlock),
            () => EbnnBlock.FloatConvPoolSign(x.Floats, x.Weights, x.Bias, g, Pool, x.FloatThresholds, floatBlock),
            () => BinaryLinear.Forward(x.LongRows, 2, x.LongWeights, 3, words, LongRowBits, scale, offset, logits),
            () => BinaryGemm.Multiply(x.LongRows, 2, x.LongWeights, 3, words, LongRowBits, gemm),
        ];
        return (kernels, [acc, floatConv, binaryBlock, floatBlock, logits, gemm]);
    }

    private static object[] RunAll(Inputs x)
    {
        var (kernels, outputs) = Kernels(x);
        foreach (var kernel in kernels) kernel();
        return outputs;
    }

    [Fact]
    public async Task ConcurrentCallersGetTheBitsOfALoneCall()
    {
        var inputs = Shapes.Select((g, i) => Make(g, 40 + i)).ToArray();
        object[][] alone;
        using (KernelParallelism.Use(2))
            alone = inputs.Select(RunAll).ToArray();

        var callers = Enumerable.Range(0, 4).Select(caller => Task.Factory.StartNew(() =>
        {
            using var threads = KernelParallelism.Use(2);
            var results = new object[inputs.Length][];
            for (var round = 0; round < 3; round++)
            for (var j = 0; j < inputs.Length; j++)
            {
                var i = caller % 2 == 0 ? j : inputs.Length - 1 - j;
                results[i] = RunAll(inputs[i]);
            }
            return results;
        }, TaskCreationOptions.LongRunning)).ToArray();

        foreach (var results in await Task.WhenAll(callers))
            for (var i = 0; i < inputs.Length; i++)
                Assert.Equal(alone[i], results[i]);
    }

    [Fact]
    public void WarmBinaryKernelsAllocateNothingOnOneThread()
    {
        using var oneThread = KernelParallelism.Use(1);
        foreach (var inputs in Shapes.Select((g, i) => Make(g, 70 + i)))
        foreach (var path in KernelDispatch.Supported)
            using (KernelDispatch.Use(path))
            {
                var (kernels, _) = Kernels(inputs);
                foreach (var kernel in kernels) kernel();
                for (var k = 0; k < kernels.Length; k++)
                    WarmAllocation.AssertNone(kernels[k], $"{path}, {inputs.Conv.InChannels} channels, stride {inputs.Conv.Stride}: kernel {k}");
            }
    }
}

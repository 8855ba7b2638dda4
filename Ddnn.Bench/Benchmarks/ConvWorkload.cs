using Ddnn.Core.Deploy;
using Ddnn.Kernels;
using Ddnn.Kernels.Binary;

namespace Ddnn.Bench.Benchmarks;

/// <summary>
/// One 3x3, stride-1, pad-1 conv layer in its two forms with preallocated buffers: the float conv, and the eBNN binary
/// layer end to end (pack the float input's signs, XOR-popcount conv, folded BN + sign threshold into packed bits).
/// </summary>
public sealed class ConvWorkload
{
    private const int Kernel = 3;

    private readonly Conv2dShape _floatShape;
    private readonly BinaryConvGeometry _binaryShape;
    private readonly float[] _input;
    private readonly float[] _weights;
    private readonly float[] _floatOutput;
    private readonly ulong[] _packedInput;
    private readonly ulong[] _packedWeights;
    private readonly int[] _accumulators;
    private readonly SignThreshold[] _thresholds;
    private readonly ulong[] _packedOutput;

    public ConvWorkload(int batch, int inChannels, int size, int outChannels)
    {
        _floatShape = new Conv2dShape(batch, inChannels, size, size, outChannels, Kernel, 1, 1);
        _binaryShape = new BinaryConvGeometry(batch, inChannels, size, size, outChannels, Kernel, Kernel, 1, 1);
        _input = BenchmarkData.Uniform(_binaryShape.InputLength, 10);
        _weights = BenchmarkData.Uniform((int)_floatShape.WeightLength, 11);
        _floatOutput = new float[_binaryShape.OutputLength];
        _packedInput = new ulong[_binaryShape.PackedInputLength];
        _packedWeights = new ulong[_binaryShape.PackedWeightsLength];
        BitPacking.PackConvWeights(_weights, outChannels, inChannels, Kernel, Kernel, _packedWeights);
        _accumulators = new int[_binaryShape.OutputLength];
        _thresholds = new SignThreshold[outChannels];
        // Thresholds as the export folds them: eval BN (gamma, beta, running mean and var) + sign, no conv bias.
        var (gamma, beta) = (BenchmarkData.Uniform(outChannels, 12, 0.5f, 1.5f), BenchmarkData.Uniform(outChannels, 13));
        var (mean, variance) = (BenchmarkData.Uniform(outChannels, 14, -8f, 8f), BenchmarkData.Uniform(outChannels, 15, 50f, 150f));
        for (var c = 0; c < outChannels; c++)
        {
            var scale = gamma[c] / MathF.Sqrt(variance[c] + 2e-5f);
            _thresholds[c] = new EvalBatchNorm(scale, beta[c] - mean[c] * scale).FoldInteger(0f, _binaryShape.InChannels * Kernel * Kernel);
        }
        _packedOutput = new ulong[batch * size * size * BitPacking.WordsFor(outChannels)];
    }

    /// <summary>The float conv (no bias), im2col + GEMM.</summary>
    public void RunFloat() => Conv2d.Forward(in _floatShape, _input, _weights, default, _floatOutput);

    /// <summary>The binary layer from float input to packed output bits.</summary>
    public void RunBinary()
    {
        RunPack();
        RunBinaryConv();
        RunThreshold();
    }

    /// <summary>Stage 1 of <see cref="RunBinary"/>: the input's signs into NHWC-packed words.</summary>
    public void RunPack() =>
        BitPacking.PackNchw(_input, _binaryShape.Batch, _binaryShape.InChannels, _binaryShape.Height, _binaryShape.Width, _packedInput);

    /// <summary>Stage 2: the XOR-popcount conv on packed input into int accumulators.</summary>
    public void RunBinaryConv() => BinaryConv2d.Forward(_packedInput, _packedWeights, _binaryShape, _accumulators);

    /// <summary>Stage 3: folded BN + sign thresholds into packed output bits.</summary>
    public void RunThreshold() =>
        SignThreshold.Apply(_accumulators, _binaryShape.Batch, _binaryShape.OutChannels, _binaryShape.OutHeight,
            _binaryShape.OutWidth, _thresholds, _packedOutput);
}

using Ddnn.Core;
using Ddnn.Core.Layers;

namespace Ddnn.Core.Tests.Layers;

/// <summary>Module naming, modes, flags and block wiring.</summary>
public class LayerTests
{
    [Fact]
    public void BlockNamesFollowPyTorch()
    {
        var block = new ConvPoolBNSign(1, 4);
        Assert.Equal(["conv.weight", "conv.bias", "bn.weight", "bn.bias"], block.NamedParameters().Select(p => p.Name));
        Assert.Equal(["bn.running_mean", "bn.running_var"], block.NamedBuffers().Select(b => b.Name));
        var exit = new BinaryLinearBN(256, 10);
        Assert.Equal(["fc.weight", "fc.bias", "bn.weight", "bn.bias"], exit.NamedParameters().Select(p => p.Name));
        var seq = new Sequential(new Linear(3, 2), new Relu(), new Linear(2, 1));
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], seq.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void OnlyBinaryWeightsAreLatent()
    {
        var binary = new BinaryConvPoolBNSign(4, 16, 3, 1, 1);
        Assert.Equal(["conv.weight"], binary.NamedParameters().Where(p => p.Parameter.IsBinaryLatent).Select(p => p.Name));
        var floatBlock = new ConvPoolBNRelu(4, 16);
        Assert.DoesNotContain(floatBlock.Parameters(), p => p.IsBinaryLatent);
        Assert.True(new BinaryLinearBN(8, 2).FC.Weight.IsBinaryLatent);
        Assert.False(new LinearBN(8, 2).FC.Weight.IsBinaryLatent);
    }

    [Fact]
    public void TrainEvalPropagatesAndEvalLeavesRunningStatsAlone()
    {
        var block = new ConvPoolBNSign(1, 2);
        block.Eval();
        Assert.False(block.BN.IsTraining);
        var x = Tensor.FromValues(Enumerable.Range(0, 2 * 16).Select(i => (float)Math.Sin(i)).ToArray(), 2, 1, 4, 4);
        var before = block.BN.RunningMean.ToArray();
        block.Forward(x);
        Assert.Equal(before, block.BN.RunningMean.ToArray());
        block.Train();
        Assert.True(block.Conv.IsTraining);
        block.Forward(x);
        Assert.NotEqual(before, block.BN.RunningMean.ToArray());
    }

    [Fact]
    public void DeviceBlockShapesAndBits()
    {
        var block = new ConvPoolBNSign(1, 4);
        var rng = new Core.Randomness.SeededRandom(3);
        foreach (var p in block.Parameters()) for (var i = 0; i < p.Length; i++) p.Data[i] = (float)rng.NextGaussian();
        var x = Tensor.Zeros(3, 1, 16, 16);
        for (var i = 0; i < x.Length; i++) x.Data[i] = (float)rng.NextDouble();
        var y = block.Forward(x, out var pooled);
        Assert.Equal([3, 4, 8, 8], y.Shape);
        Assert.Equal([3, 4, 8, 8], pooled.Shape);
        Assert.All(y.ToArray(), v => Assert.True(v is 1f or -1f));
        var cloud = new BinaryConvPoolBNSign(4, 16, 3, 1, 1);
        Assert.Equal([3, 16, 8, 8], cloud.Forward(y).Shape);
        var exit = new BinaryLinearBN(256, 10);
        var logits = exit.Forward(y, out var fcOut);
        Assert.Equal([3, 10], logits.Shape);
        Assert.Equal([3, 10], fcOut.Shape);
    }

    [Fact]
    public void BatchNormRejectsWrongRank()
    {
        var ex = Assert.Throws<ArgumentException>(() => new BatchNorm1d(4).Forward(Tensor.Zeros(2, 4, 1, 1)));
        Assert.Contains("BatchNorm1d: input (2,4,1,1) must have rank 2", ex.Message);
    }

    [Fact]
    public void DuplicateNamesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new Twice());
    }

    private sealed class Twice : Module
    {
        public Twice()
        {
            RegisterParameter("w", new Parameter(1));
            RegisterBuffer("w", Tensor.Zeros(1));
        }
    }
}

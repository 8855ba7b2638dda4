using Ddnn.Core;

namespace Ddnn.Core.Tests.Operations;

/// <summary>Shape mismatches fail at the op boundary with a message naming the op and both shapes.</summary>
public class ShapeErrorTests
{
    [Fact]
    public void Conv2dChannelMismatchNamesOpAndShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.Conv2d(Tensor.Zeros(8, 3, 16, 16), Tensor.Zeros(4, 1, 3, 3), null, 1, 1));
        Assert.StartsWith("conv2d: input (8,3,16,16) has 3 channels but weight (4,1,3,3) expects 1", ex.Message);
    }

    [Fact]
    public void LinearFeatureMismatchNamesOpAndShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.Linear(Tensor.Zeros(2, 256), Tensor.Zeros(10, 1024), null));
        Assert.Contains("linear: input (2,256) has 256 features but weight (10,1024) expects 1024", ex.Message);
    }

    [Fact]
    public void AddShapeMismatchNamesBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.Add(Tensor.Zeros(2, 3), Tensor.Zeros(3, 2)));
        Assert.Contains("add: a (2,3) and b (3,2)", ex.Message);
    }

    [Fact]
    public void BatchNormChannelMismatch()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Ops.BatchNorm(Tensor.Zeros(4, 3, 2, 2), Tensor.Zeros(4), Tensor.Zeros(4), Tensor.Zeros(4), Tensor.Zeros(4), true));
        Assert.Contains("batch_norm: gamma (4) must be a vector of length 3", ex.Message);
        Assert.Contains("(4,3,2,2)", ex.Message);
    }

    [Fact]
    public void ConcatAndStackMismatches()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.Concat([Tensor.Zeros(2, 3, 4, 4), Tensor.Zeros(2, 3, 5, 4)]));
        Assert.Contains("concat: parts[1] (2,3,5,4) does not match parts[0] (2,3,4,4)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Ops.Stack([Tensor.Zeros(2, 10), Tensor.Zeros(2, 9)]));
        Assert.Contains("stack: parts[1] (2,9) differs from parts[0] (2,10)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Ops.MaskedConcat([Tensor.Zeros(2, 1, 2, 2)], new DeviceMask(3, 1)));
        Assert.Contains("mask is 3x1", ex.Message);
    }

    [Fact]
    public void CrossEntropyLabelCountAndRange()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.CrossEntropy(Tensor.Zeros(3, 4), [0, 1]));
        Assert.Contains("cross_entropy: 2 labels for logits (3,4)", ex.Message);
        Assert.ThrowsAny<ArgumentException>(() => Ops.CrossEntropy(Tensor.Zeros(2, 4), [0, 7]));
    }

    [Fact]
    public void ReshapeVolumeMismatch()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.Reshape(Tensor.Zeros(2, 3), 4, 2));
        Assert.Contains("reshape: input (2,3) has 6 values but shape (4,2) needs 8", ex.Message);
    }

    [Fact]
    public void PoolTooSmallInput()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.MaxPool2d(Tensor.Zeros(1, 1, 1, 1), 5, 1, 1));
        Assert.Contains("max_pool2d: input (1,1,1,1)", ex.Message);
    }
}

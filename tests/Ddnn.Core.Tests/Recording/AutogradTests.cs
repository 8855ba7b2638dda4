using Ddnn.Core;

namespace Ddnn.Core.Tests.Recording;

/// <summary>Graph recording, accumulation, no-grad mode and pooled storage.</summary>
public class AutogradTests
{
    [Fact]
    public void TensorUsedTwiceAccumulatesGradients()
    {
        var x = TestTensors.Leaf([1f, -2f, 3f], 3);
        var y = Ops.Sum(Ops.Add(Ops.Mul(x, x), x));
        Autograd.Backward(y);
        Assert.Equal([3f, -3f, 7f], x.Grad.ToArray());
    }

    [Fact]
    public void SecondBackwardAccumulatesIntoParametersUntilZeroGrad()
    {
        var p = new Parameter(2);
        p.Span.Fill(1.5f);
        Autograd.Backward(Ops.Sum(Ops.MulScalar(p, 2f)));
        Autograd.Backward(Ops.Sum(Ops.MulScalar(p, 2f)));
        Assert.Equal([4f, 4f], p.Grad.ToArray());
        p.ZeroGrad();
        Assert.False(p.HasGrad);
        Autograd.Backward(Ops.Sum(p));
        Assert.Equal([1f, 1f], p.Grad.ToArray());
    }

    [Fact]
    public void BackwardTwiceOverOneGraphDoublesLeafGradientsOnly()
    {
        var p = new Parameter(2);
        p.Span.Fill(3f);
        var hidden = Ops.Mul(p, p);
        var loss = Ops.Sum(Ops.MulScalar(hidden, 0.5f));
        Autograd.Backward(loss);
        Autograd.Backward(loss);
        Assert.Equal([6f, 6f], p.Grad.ToArray());
        Assert.Equal([0.5f, 0.5f], hidden.Grad.ToArray());
    }

    [Fact]
    public void NoGradRecordsNothing()
    {
        var p = new Parameter(3);
        Tensor y;
        using (Autograd.NoGrad())
        {
            Assert.False(Autograd.IsGradEnabled);
            y = Ops.Sum(Ops.Relu(p));
        }
        Assert.True(Autograd.IsGradEnabled);
        Assert.False(y.RequiresGrad);
        Assert.Null(y.Creator);
        Assert.Throws<InvalidOperationException>(() => Autograd.Backward(y));
    }

    [Fact]
    public void OpsOnConstantsRecordNothing()
    {
        var y = Ops.Add(Tensor.Zeros(2), Tensor.Zeros(2));
        Assert.Null(y.Creator);
    }

    [Fact]
    public void BackwardNeedsAScalar()
    {
        var p = new Parameter(2);
        var ex = Assert.Throws<ArgumentException>(() => Autograd.Backward(Ops.Relu(p)));
        Assert.Contains("scalar", ex.Message);
    }

    [Fact]
    public void DiamondGraphRunsEachNodeOnceAfterAllConsumers()
    {
        var x = TestTensors.Leaf([2f], 1);
        var a = Ops.MulScalar(x, 3f);
        var b = Ops.Mul(a, a);
        var c = Ops.Add(b, a);
        Autograd.Backward(Ops.Sum(c));
        // c = 9x² + 3x -> dc/dx = 18x + 3 = 39
        Assert.Equal(39f, x.Grad[0]);
    }

    [Fact]
    public void GraphReusesBuffersAfterRelease()
    {
        var graph = new Graph();
        float[] first;
        using (graph.Activate())
        {
            Assert.Same(graph, Graph.Current);
            first = Ops.Relu(Tensor.Zeros(4, 4)).Data;
        }
        Assert.Null(Graph.Current);
        graph.Release();
        using (graph.Activate())
            Assert.Same(first, Ops.Relu(Tensor.Zeros(4, 4)).Data);
        Assert.Equal(1, graph.Generation);
    }

    [Fact]
    public void PooledTrainingStepReachesSteadyState()
    {
        var p = new Parameter(64, 32);
        var x = Tensor.Zeros(16, 32);
        var graph = new Graph();
        long rentedFirst = 0;
        for (var step = 0; step < 3; step++)
        {
            using (graph.Activate())
            {
                var loss = Ops.Mean(Ops.Relu(Ops.Linear(x, p, null)));
                Autograd.Backward(loss);
                if (step == 0) rentedFirst = graph.RentedFloatCount;
                else Assert.Equal(rentedFirst, graph.RentedFloatCount);
            }
            graph.Release();
            p.ZeroGrad();
        }
    }
}

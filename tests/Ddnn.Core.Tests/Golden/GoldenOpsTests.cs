using Ddnn.Core;
using Ddnn.Kernels;
using Ddnn.TestSupport;

namespace Ddnn.Core.Tests.Golden;

/// <summary>
/// Every ops.json case run through the autograd ops (forward and backward) within the README tolerances,
/// on every kernel path this processor supports.
/// </summary>
public class GoldenOpsTests
{

    private const double Exact = 1e-6;
    private const double Loose = 1e-5;

    [Theory]
    [InlineData("conv2d_k3_s1_p1", 1, 1)]
    [InlineData("conv2d_k3_s2_p0", 2, 0)]
    public void Conv2dMatchesTorch(string name, int stride, int padding)
    {
        foreach (var path in KernelDispatch.Supported)
            using (KernelDispatch.Use(path)) Conv2dCase(name, stride, padding);
    }

    private static void Conv2dCase(string name, int stride, int padding)
    {
        var c = GoldenFile.OpCase(name);
        var x = TestTensors.Leaf(c.Input("x"));
        var w = TestTensors.Leaf(c.Input("weight"));
        var b = TestTensors.Leaf(c.Input("bias"));
        var y = Ops.Conv2d(x, w, b, stride, padding);
        Approx.EqualScaled(c.Output("y").Data, y.Span, Exact, what: "y");
        Autograd.Backward(y, c.GradOutput("y").ToFloat());
        Approx.EqualScaled(c.Grad("x").Data, x.Grad, Exact, what: "dx");
        Approx.EqualScaled(c.Grad("weight").Data, w.Grad, Exact, what: "dweight");
        Approx.EqualScaled(c.Grad("bias").Data, b.Grad, Exact, what: "dbias");
    }

    [Theory]
    [InlineData("max_pool2d_k3_s2_p1", 2)]
    [InlineData("max_pool2d_k3_s2_p1_odd", 2)]
    [InlineData("max_pool2d_k3_s1_p1", 1)]
    public void MaxPoolMatchesTorchIncludingTies(string name, int stride)
    {
        foreach (var path in KernelDispatch.Supported)
            using (KernelDispatch.Use(path)) MaxPoolCase(name, stride);
    }

    private static void MaxPoolCase(string name, int stride)
    {
        var c = GoldenFile.OpCase(name);
        var x = TestTensors.Leaf(c.Input("x"));
        var y = Ops.MaxPool2d(x, 3, stride, 1, out var indices);
        Approx.Exact(c.Output("y").ToFloat(), y.Span, "y");
        Assert.Equal(c.Output("indices").ToInt(), indices);
        Autograd.Backward(y, c.GradOutput("y").ToFloat());
        Approx.Exact(c.Grad("x").ToFloat(), x.Grad, "dx");
    }

    [Theory]
    [InlineData("batch_norm2d_train", true)]
    [InlineData("batch_norm2d_eval", false)]
    [InlineData("batch_norm1d_train", true)]
    [InlineData("batch_norm1d_eval", false)]
    public void BatchNormMatchesTorch(string name, bool training)
    {
        foreach (var path in KernelDispatch.Supported)
            using (KernelDispatch.Use(path)) BatchNormCase(name, training);
    }

    private static void BatchNormCase(string name, bool training)
    {
        var c = GoldenFile.OpCase(name);
        var x = TestTensors.Leaf(c.Input("x"));
        var gamma = TestTensors.Leaf(c.Input("weight"));
        var beta = TestTensors.Leaf(c.Input("bias"));
        var runningMean = TestTensors.Leaf(c.Input("running_mean"), requiresGrad: false);
        var runningVar = TestTensors.Leaf(c.Input("running_var"), requiresGrad: false);
        var y = Ops.BatchNorm(x, gamma, beta, runningMean, runningVar, training, 0.1f, 2e-5f);
        Approx.EqualScaled(c.Output("y").Data, y.Span, Loose, what: "y");
        if (training)
        {
            Approx.EqualScaled(c.Output("running_mean_after").Data, runningMean.Span, Loose, what: "running_mean");
            Approx.EqualScaled(c.Output("running_var_after").Data, runningVar.Span, Loose, what: "running_var");
        }
        else
        {
            Approx.Exact(c.Input("running_mean").ToFloat(), runningMean.Span, "running_mean unchanged");
            Approx.Exact(c.Input("running_var").ToFloat(), runningVar.Span, "running_var unchanged");
        }
        Autograd.Backward(y, c.GradOutput("y").ToFloat());
        Approx.EqualScaled(c.Grad("x").Data, x.Grad, Loose, what: "dx");
        Approx.EqualScaled(c.Grad("weight").Data, gamma.Grad, Loose, what: "dgamma");
        Approx.EqualScaled(c.Grad("bias").Data, beta.Grad, Loose, what: "dbeta");
    }

    [Fact]
    public void SignSteMatchesTorch()
    {
        var c = GoldenFile.OpCase("sign_ste");
        var x = TestTensors.Leaf(c.Input("x"));
        var y = Ops.Sign(x);
        Approx.Exact(c.Output("y").ToFloat(), y.Span, "y");
        Autograd.Backward(y, c.GradOutput("y").ToFloat());
        Approx.EqualScaled(c.Grad("x").Data, x.Grad, 0, what: "dx");
    }

    [Fact]
    public void BinaryLinearMatchesTorch()
    {
        var c = GoldenFile.OpCase("binary_linear");
        var x = TestTensors.Leaf(c.Input("x"));
        var w = TestTensors.Leaf(c.Input("weight"));
        var b = TestTensors.Leaf(c.Input("bias"));
        var wb = Ops.BinarizeWeights(w);
        Approx.Exact(c.Output("weight_binary").ToFloat(), wb.Span, "weight_binary");
        var y = Ops.Linear(x, wb, b);
        Approx.EqualScaled(c.Output("y").Data, y.Span, Exact, what: "y");
        Autograd.Backward(y, c.GradOutput("y").ToFloat());
        Approx.EqualScaled(c.Grad("x").Data, x.Grad, Exact, what: "dx");
        Approx.EqualScaled(c.Grad("weight").Data, w.Grad, Exact, what: "dweight (latent, identity STE)");
        Approx.EqualScaled(c.Grad("bias").Data, b.Grad, Exact, what: "dbias");
    }

    [Theory]
    [InlineData("cross_entropy_ignore_index")]
    [InlineData("cross_entropy_all_valid")]
    public void CrossEntropyMatchesTorch(string name)
    {
        var c = GoldenFile.OpCase(name);
        var logits = TestTensors.Leaf(c.Input("logits"));
        var ignore = c.Attrs.GetProperty("ignore_index").GetInt32();
        var loss = Ops.CrossEntropy(logits, c.Input("labels").ToInt(), ignore);
        Approx.EqualScaled(c.Output("loss").Data, loss.Span, Loose, what: "loss");
        Autograd.Backward(loss, c.GradOutput("loss").ToFloat());
        Approx.EqualScaled(c.Grad("logits").Data, logits.Grad, Loose, what: "dlogits");
        var labels = c.Input("labels").ToInt();
        for (var r = 0; r < labels.Length; r++)
            if (labels[r] == ignore)
                for (var j = 0; j < logits.Dim(1); j++) Assert.Equal(0f, logits.Grad[r * logits.Dim(1) + j]);
    }

    [Fact]
    public void SoftmaxAndNormalizedEntropyMatchTorch()
    {
        var c = GoldenFile.OpCase("normalized_entropy");
        var logits = TestTensors.Leaf(c.Input("logits"), requiresGrad: false);
        Approx.EqualScaled(c.Output("softmax").Data, Ops.Softmax(logits).Span, Loose, what: "softmax");
        var eta = Ops.NormalizedEntropy(logits);
        Approx.EqualScaled(c.Output("eta").Data, eta.Span, Loose, what: "eta");
        Approx.EqualScaled(c.Output("eta_eps1e-9").Data, eta.Span, Loose, absolute: 1e-8, what: "eta vs the eps 1e-9 variant");
    }
}

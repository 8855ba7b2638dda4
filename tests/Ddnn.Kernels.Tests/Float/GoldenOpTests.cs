using Ddnn.Kernels;
using Ddnn.TestSupport;

namespace Ddnn.Kernels.Tests.Float;

/// <summary>The float kernels against the libtorch float64 golden cases, on every kernel path (skipped where unsupported).</summary>
public class GoldenOpTests
{
    public static TheoryData<KernelPath> Paths() => KernelPaths.Every();

    [SkippableTheory]
    [MemberData(nameof(ConvCases))]
    public void Conv2dMatchesGolden(string name, KernelPath path)
    {
        using var _ = KernelPaths.Enter(path);
        var c = GoldenFile.OpCase(name);
        var x = c.Input("x");
        var w = c.Input("weight");
        int k = c.Attrs.GetProperty("kernel").GetInt32(), st = c.Attrs.GetProperty("stride").GetInt32(),
            pad = c.Attrs.GetProperty("padding").GetInt32();
        var s = new Conv2dShape(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], w.Shape[0], k, st, pad);

        var y = new float[s.OutputLength];
        Conv2d.Forward(s, x.ToFloat(), w.ToFloat(), c.Input("bias").ToFloat(), y);
        Approx.EqualScaled(c.Output("y").Data, y, 1e-6, what: "y");

        var dy = c.GradOutput("y").ToFloat();
        var dx = new float[s.InputLength];
        Conv2d.BackwardInput(s, dy, w.ToFloat(), dx);
        Approx.EqualScaled(c.Grad("x").Data, dx, 1e-6, what: "dx");

        var dw = new float[s.WeightLength];
        var db = new float[s.OutChannels];
        Conv2d.BackwardWeight(s, x.ToFloat(), dy, dw, db);
        Approx.EqualScaled(c.Grad("weight").Data, dw, 1e-6, what: "dweight");
        Approx.EqualScaled(c.Grad("bias").Data, db, 1e-6, what: "dbias");
    }

    public static TheoryData<string, KernelPath> ConvCases() => Cross("conv2d_k3_s1_p1", "conv2d_k3_s2_p0");

    public static TheoryData<string, KernelPath> PoolCases() =>
        Cross("max_pool2d_k3_s2_p1", "max_pool2d_k3_s2_p1_odd", "max_pool2d_k3_s1_p1");

    public static TheoryData<string, KernelPath> BatchNormCases() =>
        Cross("batch_norm2d_train", "batch_norm2d_eval", "batch_norm1d_train", "batch_norm1d_eval");

    [SkippableTheory]
    [MemberData(nameof(PoolCases))]
    public void MaxPoolMatchesGoldenIncludingTiesAndPadding(string name, KernelPath path)
    {
        using var _ = KernelPaths.Enter(path);
        var c = GoldenFile.OpCase(name);
        var x = c.Input("x");
        var s = new Pool2dShape(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3],
            c.Attrs.GetProperty("kernel").GetInt32(), c.Attrs.GetProperty("stride").GetInt32(),
            c.Attrs.GetProperty("padding").GetInt32());
        var y = new float[s.OutputLength];
        var idx = new int[s.OutputLength];
        MaxPool2d.Forward(s, x.ToFloat(), y, idx);
        Approx.EqualScaled(c.Output("y").Data, y, 0, what: "y");
        Assert.Equal(c.Output("indices").ToInt(), idx);

        var dx = new float[s.InputLength];
        MaxPool2d.Backward(s, c.GradOutput("y").ToFloat(), idx, dx);
        Approx.EqualScaled(c.Grad("x").Data, dx, 1e-6, what: "dx");
    }

    [SkippableTheory]
    [MemberData(nameof(BatchNormCases))]
    public void BatchNormMatchesGolden(string name, KernelPath path)
    {
        using var _ = KernelPaths.Enter(path);
        var c = GoldenFile.OpCase(name);
        var x = c.Input("x");
        int n = x.Shape[0], ch = x.Shape[1], spatial = x.Shape.Length == 4 ? x.Shape[2] * x.Shape[3] : 1;
        var eps = (float)c.Attrs.GetProperty("eps").GetDouble();
        var momentum = (float)c.Attrs.GetProperty("momentum").GetDouble();
        var training = c.Attrs.GetProperty("training").GetBoolean();
        var gamma = c.Input("weight").ToFloat();
        var beta = c.Input("bias").ToFloat();
        var runMean = c.Input("running_mean").ToFloat();
        var runVar = c.Input("running_var").ToFloat();
        var y = new float[x.Length];
        var dx = new float[x.Length];
        var dgamma = new float[ch];
        var dbeta = new float[ch];
        var g = c.GradOutput("y").ToFloat();
        if (training)
        {
            var saveMean = new float[ch];
            var saveInvStd = new float[ch];
            BatchNorm.ForwardTraining(n, ch, spatial, x.ToFloat(), gamma, beta, eps, momentum, runMean, runVar, y, saveMean, saveInvStd);
            Approx.EqualScaled(c.Output("running_mean_after").Data, runMean, 1e-5, what: "running_mean");
            Approx.EqualScaled(c.Output("running_var_after").Data, runVar, 1e-5, what: "running_var");
            Approx.EqualScaled(c.Derived("batch_mean").Data, saveMean, 1e-5, what: "saveMean");
            BatchNorm.Backward(n, ch, spatial, x.ToFloat(), g, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
        }
        else
        {
            BatchNorm.ForwardInference(n, ch, spatial, x.ToFloat(), gamma, beta, runMean, runVar, eps, y);
            Approx.Exact(c.Input("running_mean").ToFloat(), runMean, "running_mean unchanged");
            BatchNorm.BackwardInference(n, ch, spatial, x.ToFloat(), g, gamma, runMean, runVar, eps, dx, dgamma, dbeta);
        }
        Approx.EqualScaled(c.Output("y").Data, y, 1e-5, what: "y");
        Approx.EqualScaled(c.Grad("x").Data, dx, 1e-5, what: "dx");
        Approx.EqualScaled(c.Grad("weight").Data, dgamma, 1e-5, what: "dgamma");
        Approx.EqualScaled(c.Grad("bias").Data, dbeta, 1e-5, what: "dbeta");
    }

    public static TheoryData<string, KernelPath> CrossEntropyCases() => Cross("cross_entropy_ignore_index", "cross_entropy_all_valid");

    [SkippableTheory]
    [MemberData(nameof(CrossEntropyCases))]
    public void CrossEntropyMatchesGolden(string name, KernelPath path)
    {
        using var _ = KernelPaths.Enter(path);
        var c = GoldenFile.OpCase(name);
        var logits = c.Input("logits");
        int rows = logits.Shape[0], cols = logits.Shape[1];
        var ignore = c.Attrs.GetProperty("ignore_index").GetInt32();
        var upstream = (float)c.GradOutput("loss").Data[0];
        var d = new float[logits.Length];
        var loss = CrossEntropy.Forward(rows, cols, logits.ToFloat(), c.Input("labels").ToInt(), ignore, default, d);
        Approx.EqualScaled(c.Output("loss").Data, [loss], 1e-5, what: "loss");
        ElementWise.Scale(d, upstream, d);
        Approx.EqualScaled(c.Grad("logits").Data, d, 1e-5, what: "dlogits");

        var lossOnly = CrossEntropy.Forward(rows, cols, logits.ToFloat(), c.Input("labels").ToInt(), ignore, default, default);
        Assert.Equal(loss, lossOnly);
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void SoftmaxAndNormalizedEntropyMatchGolden(KernelPath path)
    {
        using var _ = KernelPaths.Enter(path);
        var c = GoldenFile.OpCase("normalized_entropy");
        var logits = c.Input("logits");
        int rows = logits.Shape[0], cols = logits.Shape[1];
        var p = new float[logits.Length];
        Softmax.Forward(rows, cols, logits.ToFloat(), p);
        Approx.EqualScaled(c.Output("softmax").Data, p, 1e-5, what: "softmax");
        var eta = new float[rows];
        Softmax.NormalizedEntropy(rows, cols, logits.ToFloat(), eta);
        Approx.EqualScaled(c.Output("eta").Data, eta, 1e-5, what: "eta");

        var logP = new float[logits.Length];
        Softmax.LogForward(rows, cols, logits.ToFloat(), logP);
        var expected = c.Output("softmax").Data.Select(v => Math.Log(v)).ToArray();
        for (var i = 0; i < expected.Length; i++)
            if (double.IsFinite(expected[i]))
                Assert.True(Math.Abs(logP[i] - expected[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i])), $"logsoftmax[{i}]");
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void SignSteMatchesGolden(KernelPath path)
    {
        using var _ = KernelPaths.Enter(path);
        var c = GoldenFile.OpCase("sign_ste");
        var x = c.Input("x").ToFloat();
        var y = new float[x.Length];
        ElementWise.Sign(x, y);
        Approx.EqualScaled(c.Output("y").Data, y, 0, what: "y");
        var dx = new float[x.Length];
        ElementWise.SignSteBackward(x, c.GradOutput("y").ToFloat(), dx);
        Approx.EqualScaled(c.Grad("x").Data, dx, 0, what: "dx");
    }

    private static TheoryData<string, KernelPath> Cross(params string[] names)
    {
        var data = new TheoryData<string, KernelPath>();
        foreach (var n in names)
        foreach (var p in Enum.GetValues<KernelPath>())
            data.Add(n, p);
        return data;
    }
}

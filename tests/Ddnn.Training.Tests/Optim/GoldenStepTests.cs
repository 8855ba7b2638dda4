using System.Text.Json;
using Ddnn.Core;
using Ddnn.TestSupport;
using Ddnn.Training.Optim;

namespace Ddnn.Training.Tests.Optim;

/// <summary>
/// One full MP-CC DDNN training step against ddnn_step.json: forward (activations, bits, logits, losses),
/// backward (every gradient, with the null-gradient rule), BN buffers, Adam + clamp, and the eval forward.
/// </summary>
public class GoldenStepTests
{
    private const double NullGradient = 1e-12;
    private static JsonElement Root => GoldenFile.Step;

    private static Dictionary<string, GoldenTensor> Section(params string[] path)
    {
        var e = Root;
        foreach (var p in path) e = e.GetProperty(p);
        return GoldenFile.Tensors(e);
    }

    private static (GoldenStepModel Model, GoldenStepModel.Outputs Out) TrainForward()
    {
        var model = new GoldenStepModel();
        model.Load(Section("params_before"));
        model.Load(Section("buffers_before"));
        model.Train();
        var inputs = Section("inputs");
        var o = model.Forward(inputs["x"].ToFloat(), inputs["x"].Shape[0], inputs["labels"].ToInt());
        return (model, o);
    }

    [Fact]
    public void TrainingForwardMatchesActivationsBitsLogitsAndLosses()
    {
        var (_, o) = TrainForward();
        foreach (var (name, g) in Section("train", "activations"))
        {
            var actual = o.Activations[name];
            Assert.Equal(g.Shape, actual.Shape);
            if (name.EndsWith(".pool", StringComparison.Ordinal) || name.EndsWith(".feat", StringComparison.Ordinal))
                Approx.Exact(g.ToFloat(), actual.Span, name);
            else
                Approx.EqualScaled(g.Data, actual.Span, 1e-5, what: name);
        }
        foreach (var (name, g) in Section("train", "outputs"))
        {
            if (name == "local.argmax_device") Assert.Equal(g.ToInt(), o.LocalArgmax);
            else Approx.EqualScaled(g.Data, o.Logits[name].Span, 1e-5, what: name);
        }
        foreach (var (name, g) in Section("train", "losses"))
        {
            var actual = name == "total" ? o.Total : o.Losses[name];
            Approx.EqualScaled(g.Data, actual.Span, 1e-5, what: "loss " + name);
        }
    }

    [Fact]
    public void BackwardBuffersAdamAndClampMatch()
    {
        var (model, o) = TrainForward();
        Autograd.Backward(o.Total);
        var tensors = model.ByFileName();
        var grads = Section("grads");
        Assert.Equal(60, grads.Count);
        foreach (var (name, g) in grads)
        {
            var t = (Parameter)tensors[name];
            Assert.True(t.HasGrad, $"{name} got no gradient");
            var actual = t.Grad;
            var scale = g.Scale;
            for (var i = 0; i < g.Length; i++)
            {
                var expected = g.Data[i];
                var err = Math.Abs(actual[i] - expected);
                var tol = Math.Abs(expected) < NullGradient ? 1e-5 : 1e-5 * scale;
                Assert.True(err <= tol, $"grad {name}[{i}]: expected {expected:R}, got {actual[i]:R} (tol {tol:E2})");
            }
        }
        foreach (var (name, g) in Section("buffers_after"))
            Approx.EqualScaled(g.Data, tensors[name].Span, 1e-5, what: name);

        var config = Root.GetProperty("config");
        var latent = config.GetProperty("binary_latent_weights").EnumerateArray().Select(e => e.GetString()!).ToHashSet();
        foreach (var nameParam in model.NamedParameters())
            Assert.Equal(latent.Contains(GoldenStepModel.FileName(nameParam.Name)), nameParam.Parameter.IsBinaryLatent);
        var adam = new Adam(model.Parameters(), 1e-3f, 0.9f, 0.999f, 1e-8f, clipLatentWeights: true);
        adam.Step();
        foreach (var (name, g) in Section("params_after"))
        {
            var actual = tensors[name].Span;
            var gradRef = grads[name].Data;
            for (var i = 0; i < g.Length; i++)
            {
                var tol = Math.Abs(gradRef[i]) < NullGradient ? 1.1e-3 : 2e-5;
                var err = Math.Abs(actual[i] - g.Data[i]);
                Assert.True(err <= tol, $"param {name}[{i}]: expected {g.Data[i]:R}, got {actual[i]:R} (tol {tol:E2})");
            }
            if (latent.Contains(name))
                foreach (var v in actual) Assert.InRange(v, -1f, 1f);
        }

        // Chained: eval from the engine's own step, looser tolerance, bits exact.
        model.Eval();
        using (Autograd.NoGrad()) CheckEval(model, 0, 1e-3);
    }

    [Fact]
    public void EvalForwardFromFileStateMatches()
    {
        var model = new GoldenStepModel();
        model.Load(Section("params_after"));
        model.Load(Section("buffers_after"));
        model.Eval();
        using (Autograd.NoGrad()) CheckEval(model, 1e-5, 0);
        // Evaluation leaves the running statistics untouched.
        var tensors = model.ByFileName();
        foreach (var (name, g) in Section("buffers_after"))
            Approx.Exact(g.ToFloat(), tensors[name].Span, name);
    }

    private static void CheckEval(GoldenStepModel model, double relative, double absolute)
    {
        var inputs = Section("inputs");
        var o = model.Forward(inputs["x"].ToFloat(), inputs["x"].Shape[0], null);
        foreach (var (name, g) in Section("eval", "activations"))
            Approx.Exact(g.ToFloat(), o.Activations[name].Span, "eval " + name);
        var eta = Ops.NormalizedEntropy(o.Logits["local.logits"]);
        foreach (var (name, g) in Section("eval", "outputs"))
        {
            switch (name)
            {
                case "local.argmax_device": Assert.Equal(g.ToInt(), o.LocalArgmax); break;
                case "local.eta": Approx.EqualScaled(g.Data, eta.Span, relative, absolute, "eval eta"); break;
                case "local.eta_eps1e-9": Approx.EqualScaled(g.Data, eta.Span, relative, absolute + 1e-8, "eval eta (eps 1e-9)"); break;
                default: Approx.EqualScaled(g.Data, o.Logits[name].Span, relative, absolute, "eval " + name); break;
            }
        }
    }
}

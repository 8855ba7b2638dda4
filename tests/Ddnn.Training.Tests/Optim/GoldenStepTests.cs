using Ddnn.Core;
using Ddnn.Core.Model;
using Ddnn.TestSupport;
using Ddnn.Training.Optim;

namespace Ddnn.Training.Tests.Optim;

/// <summary>
/// One full MP-CC DDNN training step of <see cref="DdnnModel"/> against ddnn_step.json, with the model built by the
/// builder and by a JSON configuration file: forward (activations, bits, logits, losses), backward (every gradient,
/// with the null-gradient rule), BN buffers, Adam + clamp, the eval forward, and a model-file round trip.
/// </summary>
public class GoldenStepTests
{
    private const double NullGradient = 1e-12;

    public static TheoryData<string> Sources() => GoldenStep.ConfigSources();

    private static (DdnnModel Model, GoldenStep.Run Run) TrainForward(string source)
    {
        var model = GoldenStep.Model(source, "params_before", "buffers_before");
        model.Train();
        return (model, GoldenStep.Forward(model, GoldenStep.Labels()));
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void TrainingForwardMatchesActivationsBitsLogitsAndLosses(string source)
    {
        var (_, o) = TrainForward(source);
        foreach (var (name, g) in GoldenStep.Section("train", "activations"))
        {
            Assert.True(o.Activations.TryGetValue(name, out var actual), $"no activation '{name}'");
            Assert.Equal(g.Shape, actual!.Shape);
            if (name.EndsWith(".pool", StringComparison.Ordinal) || name.EndsWith(".feat", StringComparison.Ordinal))
                Approx.Exact(g.ToFloat(), actual.Span, name);
            else
                Approx.EqualScaled(g.Data, actual.Span, 1e-5, what: name);
        }
        for (var d = 0; d < 6; d++) Assert.Same(o.Activations[$"dev{d}.feat"], o.Outputs.DeviceFeatures[d]);
        foreach (var (name, g) in GoldenStep.Section("train", "outputs"))
        {
            if (name == "local.argmax_device") Assert.Equal(g.ToInt(), o.LocalArgmax);
            else Approx.EqualScaled(g.Data, o.Logits[name].Span, 1e-5, what: name);
        }
        foreach (var (name, g) in GoldenStep.Section("train", "losses"))
        {
            var actual = name == "total" ? o.Total! : o.Losses[name];
            Approx.EqualScaled(g.Data, actual.Span, 1e-5, what: "loss " + name);
        }
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void BackwardBuffersAdamAndClampMatch(string source)
    {
        var (model, o) = TrainForward(source);
        Autograd.Backward(o.Total!);
        var tensors = GoldenStep.ByName(model);
        var grads = GoldenStep.Section("grads");
        Assert.Equal(60, grads.Count);
        Assert.Equal(60, model.Parameters().Count);
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
        foreach (var (name, g) in GoldenStep.Section("buffers_after"))
            Approx.EqualScaled(g.Data, tensors[name].Span, 1e-5, what: name);

        var latent = GoldenStep.Root.GetProperty("config").GetProperty("binary_latent_weights").EnumerateArray().Select(e => e.GetString()!).ToHashSet();
        foreach (var p in model.NamedParameters())
            Assert.Equal(latent.Contains(p.Name), p.Parameter.IsBinaryLatent);
        var adam = new Adam(model.Parameters(), 1e-3f, 0.9f, 0.999f, 1e-8f, clipLatentWeights: true);
        adam.Step();
        foreach (var (name, g) in GoldenStep.Section("params_after"))
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

    [Theory]
    [MemberData(nameof(Sources))]
    public void EvalForwardFromFileStateMatches(string source)
    {
        var model = GoldenStep.Model(source, "params_after", "buffers_after");
        model.Eval();
        using (Autograd.NoGrad()) CheckEval(model, 1e-5, 0);
        // Evaluation leaves the running statistics untouched.
        var tensors = GoldenStep.ByName(model);
        foreach (var (name, g) in GoldenStep.Section("buffers_after"))
            Approx.Exact(g.ToFloat(), tensors[name].Span, name);
    }

    [Fact]
    public void ModelFileRoundTripGivesABitIdenticalEvalForward()
    {
        var model = GoldenStep.Model(GoldenStep.FromJsonFile, "params_after", "buffers_after");
        model.Eval();
        var path = Path.Combine(Path.GetTempPath(), $"ddnn-golden-{Guid.NewGuid():N}.ddnn");
        try
        {
            DdnnModelFile.Save(model, path);
            var loaded = DdnnModelFile.Load(path);
            Assert.Equal(DdnnConfigJson.Serialize(model.Config), DdnnConfigJson.Serialize(loaded.Config));
            loaded.Eval();
            using var _ = Autograd.NoGrad();
            var before = GoldenStep.Forward(model, null);
            var after = GoldenStep.Forward(loaded, null);
            foreach (var (name, t) in before.Logits) Approx.Exact(t.Span, after.Logits[name].Span, name);
            foreach (var (name, t) in before.Activations) Approx.Exact(t.Span, after.Activations[name].Span, name);
            CheckEval(loaded, 1e-5, 0);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void CheckEval(DdnnModel model, double relative, double absolute)
    {
        var o = GoldenStep.Forward(model, null);
        foreach (var (name, g) in GoldenStep.Section("eval", "activations"))
            Approx.Exact(g.ToFloat(), o.Activations[name].Span, "eval " + name);
        var eta = Ops.NormalizedEntropy(o.Logits["local.logits"]);
        foreach (var (name, g) in GoldenStep.Section("eval", "outputs"))
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

using Ddnn.Core;
using Ddnn.Core.Layers;
using Ddnn.TestSupport;

namespace Ddnn.Training.Tests.Optim;

/// <summary>
/// The MP-CC DDNN of ddnn_step.json assembled from the engine's layers (the real DDNN model type lives
/// elsewhere): 6 devices with ConvPoolBNSign(1→4) and BinaryLinearBN(256→10) exits, local max over the device
/// logits, cloud concat → 2×BinaryConvPoolBNSign(16, pool k3 s1 p1) → BinaryLinearBN(1024→10).
/// Device exits are registered as "dev{d}_exit" because module names cannot contain dots; <see cref="FileName"/>
/// maps them onto the file's "dev{d}.exit.*" names.
/// </summary>
internal sealed class GoldenStepModel : Module
{
    public const int Devices = 6;

    public GoldenStepModel()
    {
        Dev = new ConvPoolBNSign[Devices];
        DevExit = new BinaryLinearBN[Devices];
        for (var d = 0; d < Devices; d++)
        {
            Dev[d] = RegisterModule($"dev{d}", new ConvPoolBNSign(1, 4));
            DevExit[d] = RegisterModule($"dev{d}_exit", new BinaryLinearBN(256, 10));
        }
        Cloud0 = RegisterModule("cloud0", new BinaryConvPoolBNSign(24, 16, 3, 1, 1));
        Cloud1 = RegisterModule("cloud1", new BinaryConvPoolBNSign(16, 16, 3, 1, 1));
        CloudExit = RegisterModule("cloud_exit", new BinaryLinearBN(1024, 10));
    }

    public ConvPoolBNSign[] Dev { get; }
    public BinaryLinearBN[] DevExit { get; }
    public BinaryConvPoolBNSign Cloud0 { get; }
    public BinaryConvPoolBNSign Cloud1 { get; }
    public BinaryLinearBN CloudExit { get; }

    /// <summary>The file's name for an engine name.</summary>
    public static string FileName(string engineName)
    {
        for (var d = 0; d < Devices; d++)
            if (engineName.StartsWith($"dev{d}_exit.", StringComparison.Ordinal))
                return $"dev{d}.exit." + engineName[$"dev{d}_exit.".Length..];
        return engineName;
    }

    /// <summary>The engine tensor for every name in the file's naming.</summary>
    public Dictionary<string, Tensor> ByFileName() => StateTensors().ToDictionary(t => FileName(t.Name), t => t.Tensor);

    /// <summary>Copies golden tensors into the model by name; every file tensor must exist with the same shape.</summary>
    public void Load(IReadOnlyDictionary<string, GoldenTensor> tensors)
    {
        var map = ByFileName();
        foreach (var (name, g) in tensors)
        {
            Assert.True(map.TryGetValue(name, out var t), $"model has no tensor for '{name}'");
            Assert.Equal(g.Shape, t!.Shape);
            g.ToFloat().CopyTo(t.Span);
        }
    }

    /// <summary>Everything the step records.</summary>
    public sealed class Outputs
    {
        public Dictionary<string, Tensor> Activations { get; } = new();
        public Dictionary<string, Tensor> Logits { get; } = new();
        public Dictionary<string, Tensor> Losses { get; } = new();
        public int[] LocalArgmax { get; set; } = [];
        public Tensor Total { get; set; } = null!;
    }

    /// <summary>Runs the whole network on x (N, 6, 1, 16, 16); losses only when labels are given.</summary>
    public Outputs Forward(float[] x, int batch, int[]? labels)
    {
        var o = new Outputs();
        var view = 16 * 16;
        var feats = new Tensor[Devices];
        var devLogits = new Tensor[Devices];
        for (var d = 0; d < Devices; d++)
        {
            var xd = Tensor.Zeros(batch, 1, 16, 16);
            for (var n = 0; n < batch; n++) x.AsSpan((n * Devices + d) * view, view).CopyTo(xd.Span.Slice(n * view, view));
            feats[d] = Dev[d].Forward(xd, out var pool);
            o.Activations[$"dev{d}.pool"] = pool;
            o.Activations[$"dev{d}.feat"] = feats[d];
            devLogits[d] = DevExit[d].Forward(feats[d], out var fc);
            o.Activations[$"dev{d}.exit.fc_out"] = fc;
            o.Logits[$"dev{d}.logits"] = devLogits[d];
        }
        o.LocalArgmax = new int[batch * 10];
        o.Logits["local.logits"] = Ops.MaxOverDevices(Ops.Stack(devLogits), null, o.LocalArgmax);
        var c0 = Cloud0.Forward(Ops.Concat(feats), out var p0);
        o.Activations["cloud0.pool"] = p0;
        o.Activations["cloud0.feat"] = c0;
        var c1 = Cloud1.Forward(c0, out var p1);
        o.Activations["cloud1.pool"] = p1;
        o.Activations["cloud1.feat"] = c1;
        o.Logits["cloud.logits"] = CloudExit.Forward(c1, out var fcc);
        o.Activations["cloud_exit.fc_out"] = fcc;
        if (labels is null) return o;
        Tensor? total = null;
        foreach (var (exit, key) in ExitKeys())
        {
            var loss = Ops.CrossEntropy(o.Logits[key], labels);
            o.Losses[exit] = loss;
            total = total is null ? loss : Ops.Add(total, loss);
        }
        o.Total = total!;
        return o;
    }

    private static IEnumerable<(string Exit, string LogitsKey)> ExitKeys()
    {
        for (var d = 0; d < Devices; d++) yield return ($"dev{d}", $"dev{d}.logits");
        yield return ("local", "local.logits");
        yield return ("cloud", "cloud.logits");
    }
}

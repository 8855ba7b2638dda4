using System.Text.Json;
using Ddnn.Core;
using Ddnn.Core.Model;
using Ddnn.TestSupport;

namespace Ddnn.Training.Tests.Optim;

/// <summary>
/// Shared access to ddnn_step.json for the MP-CC DdnnModel: its configuration (from the builder or the JSON
/// fixture), loading file sections into a model by name, and one forward pass with everything the file records.
/// </summary>
internal static class GoldenStep
{
    public const string FromBuilder = "builder";
    public const string FromJsonFile = "json file";

    public static JsonElement Root => GoldenFile.Step;

    public static TheoryData<string> ConfigSources() => new() { FromBuilder, FromJsonFile };

    /// <summary>The golden model's configuration, built by <see cref="DdnnBuilder"/> or read from fixtures/configs/mp-cc-f4.json.</summary>
    public static DdnnConfig Config(string source) => source switch
    {
        FromBuilder => DdnnBuilder.Devices(6).Input(1, 16, 16).Classes(10).DeviceBlocks(4)
            .LocalExit(Aggregation.MaxPool).Cloud(Aggregation.Concat, 16, 16).BatchNorm(2e-5f, 0.1f).Build(),
        FromJsonFile => DdnnConfigJson.Load(Fixtures.Path("configs", "mp-cc-f4.json")),
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, "unknown configuration source"),
    };

    public static Dictionary<string, GoldenTensor> Section(params string[] path)
    {
        var e = Root;
        foreach (var p in path) e = e.GetProperty(p);
        return GoldenFile.Tensors(e);
    }

    /// <summary>Every parameter and buffer of <paramref name="model"/> by its dotted name.</summary>
    public static Dictionary<string, Tensor> ByName(DdnnModel model) => model.StateTensors().ToDictionary(t => t.Name, t => t.Tensor);

    /// <summary>A model of <paramref name="source"/>'s configuration holding the file's state sections (e.g. params_before, buffers_before).</summary>
    public static DdnnModel Model(string source, params string[] sections)
    {
        var model = new DdnnModel(Config(source));
        var map = ByName(model);
        foreach (var section in sections)
            foreach (var (name, g) in Section(section))
            {
                Assert.True(map.TryGetValue(name, out var t), $"model has no tensor for '{name}'");
                Assert.Equal(g.Shape, t!.Shape);
                g.ToFloat().CopyTo(t.Span);
            }
        return model;
    }

    /// <summary>The file's input views (8, 6, 1, 16, 16).</summary>
    public static Tensor Views()
    {
        var x = Section("inputs")["x"];
        return Tensor.FromValues(x.ToFloat(), x.Shape);
    }

    public static int[] Labels() => Section("inputs")["labels"].ToInt();

    /// <summary>What one forward pass produced, keyed by the file's names.</summary>
    public sealed class Run
    {
        public required DdnnOutputs Outputs { get; init; }
        public Dictionary<string, Tensor> Activations { get; } = new();
        public Dictionary<string, Tensor> Logits { get; } = new();
        public Dictionary<string, Tensor> Losses { get; } = new();
        public int[] LocalArgmax { get; set; } = [];
        public Tensor? Total { get; set; }
    }

    /// <summary>Runs the model; with <paramref name="labels"/> also the loss (sum of every exit's mean cross-entropy).</summary>
    public static Run Forward(DdnnModel model, int[]? labels)
    {
        var activations = new Dictionary<string, Tensor>();
        var outputs = model.Forward(Views(), null, activations);
        var run = new Run { Outputs = outputs };
        foreach (var (k, v) in activations) run.Activations[k] = v;
        for (var i = 0; i < model.ExitNames.Count; i++) run.Logits[model.ExitNames[i] + ".logits"] = outputs.Exits[i];
        run.LocalArgmax = ArgmaxDevice(outputs.DeviceLogits);
        if (labels is null) return run;
        for (var i = 0; i < model.ExitNames.Count; i++)
        {
            var loss = Ops.CrossEntropy(outputs.Exits[i], labels);
            run.Losses[model.ExitNames[i]] = loss;
            run.Total = run.Total is null ? loss : Ops.Add(run.Total, loss);
        }
        return run;
    }

    /// <summary>Per (sample, class), the first device holding the largest logit (the file's local.argmax_device).</summary>
    private static int[] ArgmaxDevice(IReadOnlyList<Tensor> deviceLogits)
    {
        var result = new int[deviceLogits[0].Length];
        for (var j = 0; j < result.Length; j++)
            for (var d = 1; d < deviceLogits.Count; d++)
                if (deviceLogits[d].Data[j] > deviceLogits[result[j]].Data[j]) result[j] = d;
        return result;
    }
}

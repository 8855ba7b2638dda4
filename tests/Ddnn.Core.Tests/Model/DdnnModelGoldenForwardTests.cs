using Ddnn.Core.Model;
using Ddnn.TestSupport;

namespace Ddnn.Core.Tests.Model;

/// <summary>The MP-CC DdnnModel's names and training forward against ddnn_step.json (no optimizer needed).</summary>
public class DdnnModelGoldenForwardTests
{
    private static DdnnConfig GoldenConfig() =>
        DdnnBuilder.Devices(6).Input(1, 16, 16).Classes(10).DeviceBlocks(4).LocalExit(Aggregation.MaxPool).Cloud(Aggregation.Concat, 16, 16).Build();

    [Fact]
    public void ParameterAndBufferNamesAreTheGoldenFilesNames()
    {
        var model = new DdnnModel(GoldenConfig());
        var config = GoldenFile.Step.GetProperty("config");
        var paramNames = config.GetProperty("param_names").EnumerateArray().Select(e => e.GetString()!).Order().ToArray();
        var bufferNames = config.GetProperty("buffer_names").EnumerateArray().Select(e => e.GetString()!).Order().ToArray();
        Assert.Equal(paramNames, model.NamedParameters().Select(p => p.Name).Order().ToArray());
        Assert.Equal(bufferNames, model.NamedBuffers().Select(p => p.Name).Order().ToArray());
        Assert.Equal(["dev0", "dev1", "dev2", "dev3", "dev4", "dev5", "local", "cloud"], model.ExitNames);
    }

    [Fact]
    public void TrainingForwardReproducesEveryExitsLogits()
    {
        var model = new DdnnModel(GoldenConfig());
        var state = model.StateTensors().ToDictionary(t => t.Name, t => t.Tensor);
        foreach (var section in new[] { "params_before", "buffers_before" })
            foreach (var (name, g) in GoldenFile.Tensors(GoldenFile.Step.GetProperty(section)))
                g.ToFloat().CopyTo(state[name].Span);
        var x = GoldenFile.Tensors(GoldenFile.Step.GetProperty("inputs"))["x"];
        var outputs = model.Forward(Tensor.FromValues(x.ToFloat(), x.Shape));
        var expected = GoldenFile.Tensors(GoldenFile.Step.GetProperty("train").GetProperty("outputs"));
        for (var i = 0; i < model.ExitNames.Count; i++)
            Approx.EqualScaled(expected[model.ExitNames[i] + ".logits"].Data, outputs.Exits[i].Span, 1e-5, what: model.ExitNames[i]);
    }
}

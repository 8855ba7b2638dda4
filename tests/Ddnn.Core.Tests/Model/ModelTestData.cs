using Ddnn.Core.Layers;
using Ddnn.Core.Model;
using Ddnn.Core.Randomness;

namespace Ddnn.Core.Tests.Model;

/// <summary>Seeded parameters, inputs and losses for DdnnModel tests (Core cannot use Training's Initializer).</summary>
internal static class ModelTestData
{
    /// <summary>Fills every parameter with seeded values: latent weights in [-1, 1], gammas in [0.5, 1.5], small biases.</summary>
    public static T Randomize<T>(T module, ulong seed) where T : Module
    {
        var rng = new SeededRandom(seed);
        foreach (var (name, p) in module.NamedParameters())
        {
            var (lo, hi) = name.EndsWith("bn.weight", StringComparison.Ordinal) ? (0.5, 1.5)
                : name.EndsWith("weight", StringComparison.Ordinal) ? (-1.0, 1.0)
                : (-0.1, 0.1);
            for (var i = 0; i < p.Length; i++) p.Data[i] = (float)(lo + (hi - lo) * rng.NextDouble());
        }
        return module;
    }

    /// <summary>Views (batch, D, C, H, W) of <paramref name="config"/> with values in [0, 1].</summary>
    public static Tensor Views(DdnnConfig config, int batch, ulong seed)
    {
        var rng = new SeededRandom(seed);
        var t = Tensor.Zeros(batch, config.Devices, config.InputChannels, config.InputHeight, config.InputWidth);
        for (var i = 0; i < t.Length; i++) t.Data[i] = (float)rng.NextDouble();
        return t;
    }

    public static int[] Labels(DdnnConfig config, int batch, ulong seed)
    {
        var rng = new SeededRandom(seed);
        var labels = new int[batch];
        for (var i = 0; i < batch; i++) labels[i] = rng.NextInt(config.Classes);
        return labels;
    }

    /// <summary>Sum over the named exits (all when null) of the mean cross-entropy.</summary>
    public static Tensor Loss(DdnnModel model, DdnnOutputs outputs, int[] labels, Func<string, bool>? include = null)
    {
        Tensor? total = null;
        for (var i = 0; i < model.ExitNames.Count; i++)
        {
            if (include is not null && !include(model.ExitNames[i])) continue;
            var loss = Ops.CrossEntropy(outputs.Exits[i], labels);
            total = total is null ? loss : Ops.Add(total, loss);
        }
        return total ?? throw new ArgumentException("no exit selected", nameof(include));
    }

    /// <summary>True when every value of <paramref name="values"/> is finite.</summary>
    public static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (var v in values) if (!float.IsFinite(v)) return false;
        return true;
    }
}

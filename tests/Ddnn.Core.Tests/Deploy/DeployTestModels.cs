using Ddnn.Core.Layers;
using Ddnn.Core.Model;
using Ddnn.Core.Randomness;
using Ddnn.Core.Tests.Model;

namespace Ddnn.Core.Tests.Deploy;

/// <summary>Binary models for deploy tests: seeded weights, some negative BN gammas, running statistics from real batches.</summary>
internal static class DeployTestModels
{
    /// <summary>The configurations the export is checked on (every aggregator, edges, several device blocks, >64 fused channels).</summary>
    public static IEnumerable<object[]> Configs()
    {
        yield return ["MP-CC", DdnnBuilder.Devices(3).Input(1, 12, 12).Classes(5).DeviceBlocks(4).LocalExit(Aggregation.MaxPool).Cloud(Aggregation.Concat, 8, 8)];
        yield return ["CC-AP 2 blocks rgb", DdnnBuilder.Devices(3).Input(3, 10, 9).Classes(4).DeviceBlocks(3, 5).LocalExit(Aggregation.Concat).Cloud(Aggregation.AveragePool, 6)];
        yield return ["AP-MP", DdnnBuilder.Devices(2).Input(1, 8, 8).Classes(3).DeviceBlocks(4).LocalExit(Aggregation.AveragePool).Cloud(Aggregation.MaxPool, 5)];
        yield return ["no local, CC 80ch, no cloud block", DdnnBuilder.Devices(5).Input(1, 8, 8).Classes(3).DeviceBlocks(16).NoLocalExit().Cloud(Aggregation.Concat)];
        yield return ["edges", DdnnBuilder.Devices(4).Input(1, 8, 8).Classes(4).DeviceBlocks(4).LocalExit(Aggregation.MaxPool)
            .Edge([0, 1], Aggregation.Concat, 6).Edge([2, 3], Aggregation.AveragePool, 6).Cloud(Aggregation.Concat, 8)];
    }

    /// <summary>
    /// A model of <paramref name="builder"/>'s shape with seeded weights, a quarter of the BN gammas negative and running
    /// statistics taken from one training-mode batch (momentum 1), left in eval mode.
    /// </summary>
    public static DdnnModel Create(DdnnBuilder builder, ulong seed)
    {
        var config = builder.BatchNorm(2e-5f, 1f).Build();
        var model = ModelTestData.Randomize(new DdnnModel(config), seed);
        var rng = new SeededRandom(seed + 1);
        foreach (var (name, p) in model.NamedParameters())
            if (name.EndsWith("bn.weight", StringComparison.Ordinal))
                for (var i = 0; i < p.Length; i++)
                    if (rng.NextDouble() < 0.25) p.Data[i] = -p.Data[i];
        using (Autograd.NoGrad())
        {
            model.Train();
            model.Forward(ModelTestData.Views(config, 16, seed + 2));
        }
        model.Eval();
        return model;
    }

    /// <summary>Per sample a random set of present devices (at least one; an edge may lose all of its devices).</summary>
    public static DeviceMask RandomMask(DdnnConfig config, int batch, ulong seed)
    {
        var rng = new SeededRandom(seed);
        var mask = new DeviceMask(batch, config.Devices);
        for (var b = 0; b < batch; b++)
        {
            for (var d = 0; d < config.Devices; d++) mask.Set(b, d, rng.NextDouble() < 0.6);
            if (mask.CountPresent(b) == 0) mask.Set(b, rng.NextInt(config.Devices), true);
        }
        return mask;
    }
}

using Ddnn.Core.Layers;
using Ddnn.Core.Model;
using Ddnn.Core.State;
using Ddnn.Training.Data;
using Ddnn.Training.Optim;
using Ddnn.Training.Trainer;

namespace Ddnn.Training.Tests.Trainer;

/// <summary>Small synthetic data sets and models so that training tests finish in seconds.</summary>
internal static class TinyRuns
{
    private static readonly Lazy<DataSplits> SmallSplits = new(() => SyntheticSceneGenerator.Generate(new SyntheticSceneOptions
    {
        TrainCount = 40, ValidationCount = 16, TestCount = 16, ImageSize = 8, Devices = 3, Seed = 5,
    }));

    private static readonly Lazy<DataSplits> LearnableSplits = new(() => SyntheticSceneGenerator.Generate(new SyntheticSceneOptions
    {
        TrainCount = 600, ValidationCount = 150, TestCount = 300, ImageSize = 16, Devices = 3, Seed = 3,
    }));

    /// <summary>40 / 16 / 16 samples, 3 devices of 3×8×8: enough to exercise every code path, not to learn.</summary>
    public static DataSplits Small => SmallSplits.Value;

    /// <summary>600 / 150 / 300 samples, 3 devices of 3×16×16: enough for the fused exits to learn something.</summary>
    public static DataSplits Learnable => LearnableSplits.Value;

    /// <summary>An MP-CC model matching <paramref name="data"/> (one device block, one cloud block).</summary>
    public static DdnnConfig Config(MultiViewDataset data, int deviceFilters = 2, int cloudFilters = 4) =>
        DdnnBuilder.Devices(data.ViewCount).Input(data.Channels, data.Height, data.Width).Classes(data.ClassCount)
            .DeviceBlocks(deviceFilters).LocalExit(Aggregation.MaxPool).Cloud(Aggregation.Concat, cloudFilters).Build();

    public static DdnnModel Model(DdnnConfig config, ulong seed = 7)
    {
        var model = new DdnnModel(config);
        new Initializer(seed).Initialize(model);
        return model;
    }

    public static byte[] State(Module model) => ModuleState.Serialize(model);
}

using Ddnn.Core.Model;
using Ddnn.Training.Data;

namespace Ddnn.Training.Experiments;

/// <summary>The default MP-CC model of each data set, as the paper and its authors' code set them up.</summary>
public static class PaperConfigs
{
    /// <summary>MV-FMNIST: 6 devices of 1×16×16, one binary device block of f = 4 filters, MP local exit, CC cloud of 2×16 filters, 10 classes.</summary>
    public static DdnnConfig FashionMnist { get; } =
        DdnnBuilder.Devices(6).Input(1, 16, 16).Classes(10).DeviceBlocks(4).LocalExit(Aggregation.MaxPool)
            .Cloud(Aggregation.Concat, 16, 16).Build();

    /// <summary>MVMC and the synthetic scenes: 6 cameras of 3×32×32, two binary device blocks of f = 4 filters (8×8 maps), MP local exit, CC cloud of 2×16 filters, 3 classes.</summary>
    public static DdnnConfig MultiCamera { get; } =
        DdnnBuilder.Devices(6).Input(3, 32, 32).Classes(3).DeviceBlocks(4, 4).LocalExit(Aggregation.MaxPool)
            .Cloud(Aggregation.Concat, 16, 16).Build();

    /// <summary>The default for <paramref name="kind"/>.</summary>
    public static DdnnConfig For(DatasetKind kind) => kind == DatasetKind.FashionMnist ? FashionMnist : MultiCamera;
}

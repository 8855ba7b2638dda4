using Ddnn.Core.Model;
using Ddnn.Training.Data;
using Ddnn.Training.Experiments;
using Ddnn.Training.Trainer;

namespace Ddnn.Training.Tests.Trainer;

public class ExitLayoutTests
{
    public static TheoryData<string> Configs => ["local", "none", "edges", "cc-local"];

    private static DdnnConfig Build(string kind)
    {
        var b = DdnnBuilder.Devices(3).Input(1, 8, 8).Classes(3).DeviceBlocks(2).Cloud(Aggregation.Concat, 4);
        return kind switch
        {
            "none" => b.NoLocalExit().Build(),
            "edges" => b.LocalExit(Aggregation.AveragePool).Edge([0], Aggregation.Concat, 2).Edge([1, 2], Aggregation.MaxPool).Build(),
            "cc-local" => b.LocalExit(Aggregation.Concat).Build(),
            _ => b.LocalExit(Aggregation.MaxPool).Build(),
        };
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void The_layout_names_the_exits_in_the_models_order(string kind)
    {
        var config = Build(kind);
        var layout = new ExitLayout(config);
        Assert.Equal(new DdnnModel(config).ExitNames, layout.Names);
        Assert.Equal(layout.Count - 1, layout.CloudIndex);
        Assert.Equal(config.HasLocalExit ? 3 : -1, layout.LocalIndex);
    }

    [Fact]
    public void The_paper_defaults_fit_their_data_sets()
    {
        var fmnist = PaperConfigs.For(DatasetKind.FashionMnist);
        Assert.Equal((6, 1, 16, 16, 10), (fmnist.Devices, fmnist.InputChannels, fmnist.InputHeight, fmnist.InputWidth, fmnist.Classes));
        Assert.Equal([4], fmnist.DeviceFilters);
        Assert.Equal([16, 16], fmnist.CloudFilters);
        Assert.Equal((Aggregation.MaxPool, Aggregation.Concat), (fmnist.LocalAggregator, fmnist.CloudAggregator));

        var synthetic = SyntheticSceneGenerator.Generate(new SyntheticSceneOptions { TrainCount = 2, ValidationCount = 0, TestCount = 0 }).Train;
        var camera = PaperConfigs.For(DatasetKind.Synthetic);
        Assert.Same(camera, PaperConfigs.For(DatasetKind.Mvmc));
        Assert.Equal((synthetic.ViewCount, synthetic.Channels, synthetic.Height, synthetic.Width, synthetic.ClassCount),
            (camera.Devices, camera.InputChannels, camera.InputHeight, camera.InputWidth, camera.Classes));
        Assert.Equal(2, camera.DeviceFilters.Count);
    }
}

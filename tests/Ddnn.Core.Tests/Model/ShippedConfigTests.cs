using Ddnn.Core.Model;
using Ddnn.TestSupport;

namespace Ddnn.Core.Tests.Model;

/// <summary>Every configuration shipped in configs/ must stay loadable and buildable as the config format evolves.</summary>
public class ShippedConfigTests
{
    public static TheoryData<string> ShippedConfigs()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(RepositoryFiles.Path("configs"), "*.json").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(path));
        return data;
    }

    [Fact]
    public void ConfigsFolderHoldsTheShippedConfigs() =>
        Assert.True(Directory.GetFiles(RepositoryFiles.Path("configs"), "*.json").Length >= 4);

    [Theory]
    [MemberData(nameof(ShippedConfigs))]
    public void ShippedConfigLoadsAndBuildsItsModel(string name)
    {
        var config = DdnnConfigJson.Load(RepositoryFiles.Path("configs", name));
        var model = new DdnnModel(config);
        Assert.Equal(config, model.Config);
        Assert.NotEmpty(model.Parameters());
    }

    [Fact]
    public void EdgeConfigHasTwoEdgesOfThreeDevices()
    {
        var config = DdnnConfigJson.Load(RepositoryFiles.Path("configs", "fmnist-binary-f4-edges.json"));
        Assert.Equal(2, config.Edges.Count);
        Assert.All(config.Edges, edge => Assert.Equal(3, edge.Devices.Count));
        Assert.All(config.Edges, edge => Assert.Equal(Aggregation.Concat, edge.Aggregator));
    }
}

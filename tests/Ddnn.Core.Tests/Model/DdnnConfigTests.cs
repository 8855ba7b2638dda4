using Ddnn.Core.Model;

namespace Ddnn.Core.Tests.Model;

public class DdnnConfigTests
{
    public static TheoryData<string, DdnnConfig> Figure2Configurations() => new()
    {
        { "devices + cloud", DdnnBuilder.Devices(6).NoLocalExit().Cloud(Aggregation.Concat, 16, 16).Build() },
        { "devices + local + cloud", DdnnBuilder.Devices(6).LocalExit(Aggregation.MaxPool).Cloud(Aggregation.Concat, 16, 16).Build() },
        { "devices + edge + cloud", DdnnBuilder.Devices(6).NoLocalExit().Edge([0, 1, 2, 3, 4, 5], Aggregation.Concat, 16).Cloud(Aggregation.Concat, 16).Build() },
        { "devices + local + edge + cloud", DdnnBuilder.Devices(6).LocalExit(Aggregation.AveragePool).Edge([0, 1, 2, 3, 4, 5], Aggregation.MaxPool, 16).Cloud(Aggregation.Concat, 16).Build() },
        { "single device", DdnnBuilder.Devices(1).LocalExit(Aggregation.MaxPool).Cloud(Aggregation.Concat, 16, 16).Build() },
        { "several edges", DdnnBuilder.Devices(6).LocalExit(Aggregation.MaxPool).Edge([0, 1, 2], Aggregation.Concat, 16).Edge([3, 4, 5], Aggregation.Concat, 16).Cloud(Aggregation.Concat, 16).Build() },
    };

    [Theory]
    [MemberData(nameof(Figure2Configurations))]
    public void EveryFigure2ConfigurationRoundTripsThroughJson(string name, DdnnConfig config)
    {
        var json = DdnnConfigJson.Serialize(config);
        var back = DdnnConfigJson.Parse(json, name);
        Assert.Equal(json, DdnnConfigJson.Serialize(back));
        Assert.Equal(config.HasEdges, back.HasEdges);
        Assert.Equal(config.LocalAggregator, back.LocalAggregator);
    }

    [Fact]
    public void PaperDefaultIsMpCcWithEightByEightDeviceMaps()
    {
        var c = DdnnBuilder.Devices(6).Build();
        Assert.Equal(Aggregation.MaxPool, c.LocalAggregator);
        Assert.Equal(Aggregation.Concat, c.CloudAggregator);
        Assert.Equal((8, 8), c.DeviceOutputSize);
        Assert.Equal(64, c.DeviceOutputBitsPerFilter);
        Assert.Equal(4, c.DeviceOutputChannels);
    }

    [Fact]
    public void JsonWithAggregatorNamesParses()
    {
        var c = DdnnConfigJson.Parse("""
            { "devices": 3, "classes": 3, "inputChannels": 3, "inputHeight": 32, "inputWidth": 32,
              "deviceFilters": [8, 8], "localAggregator": "AP", "cloudAggregator": "mp", "cloudFilters": [16] }
            """);
        Assert.Equal(Aggregation.AveragePool, c.LocalAggregator);
        Assert.Equal(Aggregation.MaxPool, c.CloudAggregator);
        Assert.Equal((8, 8), c.DeviceOutputSize);
    }

    [Fact]
    public void FieldsMissingFromTheJsonKeepTheirDefaults()
    {
        // Comments and trailing commas are accepted; everything not named keeps the record's default, nested ones too.
        var c = DdnnConfigJson.Parse("""
            { // six devices, one edge
              "edges": [ { "devices": [0, 1, 2, 3, 4, 5], }, ],
              "exitWeights": { "cloud": 2 },
            }
            """);
        var expected = new DdnnConfig
        {
            Edges = [new EdgeConfig { Devices = [0, 1, 2, 3, 4, 5] }],
            ExitWeights = new ExitWeights { Cloud = 2 },
        };
        Assert.Equal(DdnnConfigJson.Serialize(expected), DdnnConfigJson.Serialize(c));
        Assert.Equal(DdnnConfigJson.Serialize(new DdnnConfig()), DdnnConfigJson.Serialize(DdnnConfigJson.Parse("{}")));
    }

    [Fact]
    public void NullLocalAggregatorMeansNoLocalExit() =>
        Assert.False(DdnnConfigJson.Parse("""{ "localAggregator": null }""").HasLocalExit);

    [Theory]
    [InlineData("""{ "devices": 0 }""", "devices must be at least 1")]
    [InlineData("""{ "classes": 1 }""", "classes must be at least 2")]
    [InlineData("""{ "deviceFilters": [] }""", "deviceFilters must list at least one block")]
    [InlineData("""{ "deviceFilters": [4, -2] }""", "deviceFilters[1] must be at least 1")]
    [InlineData("""{ "localAggregator": "XX" }""", "'XX' is not an aggregation")]
    [InlineData("""{ "devcies": 6 }""", "devcies")]
    [InlineData("""{ "devices": "six" }""", "configuration: $.devices must be a 32-bit integer, got \"six\"")]
    [InlineData("""{ "edges": [ { "devices": [0, 1, 2, 3, 4, 5], "filter": [8] } ] }""", "$.edges[0] has no field 'filter'")]
    [InlineData("""{ "exitWeights": { "cloud": true } }""", "$.exitWeights.cloud must be a number, got true")]
    [InlineData("""{ "cloudAggregator": 2 }""", "$.cloudAggregator: an aggregator must be a string")]
    [InlineData("""{ "deviceFilters": 4 }""", "$.deviceFilters must be a list, got 4")]
    [InlineData("""{ "binary": 1 }""", "$.binary must be true or false, got 1")]
    [InlineData("null", "configuration: the JSON is null")]
    [InlineData("""{ "inputHeight": 2, "inputWidth": 2, "devicePool": { "kernel": 3, "stride": 1, "pad": 0 } }""", "pools the 2x2 input down to nothing")]
    [InlineData("""{ "devicePool": { "kernel": 3, "stride": 0, "pad": 1 } }""", "devicePool needs kernel >= 1, stride >= 1")]
    [InlineData("""{ "edges": [ { "devices": [0, 1, 2] } ] }""", "device 3 belongs to no edge")]
    [InlineData("""{ "edges": [ { "devices": [0, 1, 2, 3, 4, 5] }, { "devices": [5] } ] }""", "device 5 belongs to both edges[0] and edges[1]")]
    [InlineData("""{ "edges": [ { "devices": [0, 1, 2, 3, 4, 9] } ] }""", "edges[0] names device 9")]
    [InlineData("""{ "exitWeights": { "cloud": -1 } }""", "exitWeights.cloud must be a finite non-negative number")]
    [InlineData("not json", "configuration")]
    public void InvalidConfigurationsNameTheProblem(string json, string expected)
    {
        var e = Assert.Throws<DdnnConfigException>(() => DdnnConfigJson.Parse(json));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ValidationListsEveryProblemAtOnce()
    {
        var e = Assert.Throws<DdnnConfigException>(() => DdnnBuilder.Devices(0).Classes(1).Build());
        Assert.True(e.Problems.Count >= 2, e.Message);
    }

    [Fact]
    public void MissingConfigurationFileIsAClearError()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ddnn-missing-{Guid.NewGuid():N}.json");
        var e = Assert.Throws<FileNotFoundException>(() => DdnnConfigJson.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void SaveIsAtomicAndLoadable()
    {
        var dir = Directory.CreateTempSubdirectory("ddnn-config-");
        try
        {
            var path = Path.Combine(dir.FullName, "model.json");
            var config = DdnnBuilder.Devices(4).Scheme("CC-AP").DeviceBlocks(8).Build();
            DdnnConfigJson.Save(config, path);
            Assert.Single(Directory.GetFiles(dir.FullName));
            var back = DdnnConfigJson.Load(path);
            Assert.Equal(Aggregation.Concat, back.LocalAggregator);
            Assert.Equal(Aggregation.AveragePool, back.CloudAggregator);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void AllNinePaperSchemesParseAndBuild()
    {
        Assert.Equal(9, AggregationNames.PaperSchemes.Count);
        foreach (var (local, cloud) in AggregationNames.PaperSchemes)
        {
            var name = AggregationNames.SchemeName(local, cloud);
            var config = DdnnBuilder.Devices(6).Scheme(name).Build();
            Assert.Equal(local, config.LocalAggregator);
            Assert.Equal(cloud, config.CloudAggregator);
        }
        Assert.Throws<FormatException>(() => AggregationNames.ParseScheme("MP"));
        Assert.Throws<FormatException>(() => AggregationNames.ParseScheme("MP-XX"));
    }
}

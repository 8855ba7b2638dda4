using Ddnn.Core.Model;

namespace Ddnn.Core.Tests.Model;

/// <summary>Bad inputs to DdnnModel get clear exceptions naming what was expected and what was given.</summary>
public class DdnnModelErrorTests
{
    private static readonly DdnnConfig Config = DdnnBuilder.Devices(3).Input(1, 8, 8).Classes(4).Cloud(Aggregation.Concat, 4).Build();

    [Theory]
    [InlineData(new[] { 2, 3, 1, 8 })]
    [InlineData(new[] { 2, 4, 1, 8, 8 })]
    [InlineData(new[] { 2, 3, 2, 8, 8 })]
    [InlineData(new[] { 2, 3, 1, 8, 9 })]
    [InlineData(new[] { 0, 3, 1, 8, 8 })]
    public void WrongInputShapeNamesExpectedAndActual(int[] shape)
    {
        var model = new DdnnModel(Config);
        var e = Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros(shape)));
        Assert.Equal("views", e.ParamName);
        Assert.Contains("(B, D, C, H, W) = (B, 3, 1, 8, 8)", e.Message);
        Assert.Contains(Tensor.Zeros(shape).ShapeText, e.Message);
    }

    [Fact]
    public void MaskOfTheWrongSizeIsRejected()
    {
        var model = new DdnnModel(Config);
        var views = Tensor.Zeros(2, 3, 1, 8, 8);
        var e = Assert.Throws<ArgumentException>(() => model.Forward(views, new DeviceMask(2, 2)));
        Assert.Equal("present", e.ParamName);
        Assert.Contains("2x2", e.Message);
        Assert.Contains("2x3", e.Message);
        Assert.Throws<ArgumentException>(() => model.Forward(views, new DeviceMask(3, 3)));
    }

    [Fact]
    public void SampleWithoutAnyDeviceIsRejected()
    {
        var model = new DdnnModel(Config);
        var mask = new DeviceMask(2, 3);
        for (var d = 0; d < 3; d++) mask.Set(1, d, false);
        var e = Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros(2, 3, 1, 8, 8), mask));
        Assert.Contains("sample 1 has no device present", e.Message);
    }

    [Fact]
    public void NullInputAndConfigAreRejected()
    {
        Assert.Throws<ArgumentNullException>(() => new DdnnModel(null!));
        Assert.Throws<ArgumentNullException>(() => new DdnnModel(Config).Forward(null!));
    }

    [Fact]
    public void InvalidConfigurationIsRejectedByTheConstructor()
    {
        var bad = Config with { Classes = 1 };
        Assert.Throws<DdnnConfigException>(() => new DdnnModel(bad));
    }

    [Fact]
    public void PoolThatLeavesNothingIsAConfigurationError()
    {
        // 4x4 views pool to 2x2 on the device; an unpadded k3 cloud pool cannot fit in 2x2.
        var config = DdnnBuilder.Devices(1).Input(1, 4, 4).CloudPool(3, 1, 0).Cloud(Aggregation.Concat, 4).Build();
        var e = Assert.Throws<DdnnConfigException>(() => new DdnnModel(config));
        Assert.Contains("cloud block 0", e.Message);
    }

    [Fact]
    public void EdgesWithDifferentMapSizesAreAConfigurationError()
    {
        var config = DdnnBuilder.Devices(2).Input(1, 16, 16).Edge([0], Aggregation.Concat, 4).Edge([1], Aggregation.Concat)
            .Cloud(Aggregation.Concat, 4).Build();
        var shrinking = config with { Edges = [config.Edges[0] with { Pool = new PoolSpec(3, 2, 1) }, config.Edges[1]] };
        var e = Assert.Throws<DdnnConfigException>(() => new DdnnModel(shrinking.Validate()));
        Assert.Contains("equal sizes", e.Message);
    }
}

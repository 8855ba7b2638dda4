using Ddnn.Core.Randomness;

namespace Ddnn.Core.Tests.Model;

/// <summary>Ops.SelectDevice: values, gradient and argument errors.</summary>
public class SelectDeviceTests
{
    [Fact]
    public void SelectsTheDeviceSlotOfEverySample()
    {
        var x = Tensor.FromValues(Enumerable.Range(0, 2 * 3 * 4).Select(i => (float)i).ToArray(), 2, 3, 2, 2);
        var y = Ops.SelectDevice(x, 1);
        Assert.Equal([2, 2, 2], y.Shape);
        Assert.Equal([4f, 5, 6, 7, 16, 17, 18, 19], y.ToArray());
    }

    [Fact]
    public void GradientMatchesFiniteDifferencesAndAccumulatesOverDevices()
    {
        var rng = new SeededRandom(51);
        var x = GradCheck.Random(rng, 1f, 3, 4, 2, 3);
        GradCheck.Check(t => Ops.Add(Ops.SelectDevice(t[0], 2), Ops.MulScalar(Ops.SelectDevice(t[0], 0), 3f)), [x], 52, eps: 1e-2f, rtol: 1e-3, atol: 1e-3);
    }

    [Fact]
    public void DeviceOutOfRangeAndLowRankAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.SelectDevice(Tensor.Zeros(2, 3, 4), 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.SelectDevice(Tensor.Zeros(2, 3, 4), -1));
        Assert.Throws<ArgumentException>(() => Ops.SelectDevice(Tensor.Zeros(6), 0));
    }
}

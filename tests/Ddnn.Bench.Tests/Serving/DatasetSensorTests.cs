using Ddnn.Bench.Serving;
using Ddnn.Training.Data;

namespace Ddnn.Bench.Tests.Serving;

public sealed class DatasetSensorTests
{
    // 3 samples of 2 views of 1x2x2; the value at sample s, view v, pixel p is 100s + 10v + p.
    private static MultiViewDataset Split()
    {
        var data = new float[3 * 2 * 4];
        for (var s = 0; s < 3; s++)
            for (var v = 0; v < 2; v++)
                for (var p = 0; p < 4; p++) data[(s * 2 + v) * 4 + p] = 100 * s + 10 * v + p;
        return new MultiViewDataset("test/split", 2, 1, 2, 2, data, [0, 1, 0], [0, 0, 1, 1, 0, 0], ["a", "b"]);
    }

    [Fact]
    public void Reads_its_own_view_of_sample_id_mod_the_split_size()
    {
        var sensor = new DatasetSensor(Split(), device: 1);
        var view = new float[4];
        Assert.True(sensor.TryRead(1, 7, view)); // id 7 is split sample 1
        Assert.Equal([110f, 111f, 112f, 113f], view);
        Assert.True(sensor.TryRead(1, uint.MaxValue, view)); // 2^32 - 1 = 3 * 1431655765: sample 0
        Assert.Equal([10f, 11f, 12f, 13f], view);
    }

    [Fact]
    public void Refuses_another_device_or_a_view_of_the_wrong_size()
    {
        var sensor = new DatasetSensor(Split(), device: 0);
        Assert.False(sensor.TryRead(1, 0, new float[4]));
        Assert.False(sensor.TryRead(0, 0, new float[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DatasetSensor(Split(), device: 2));
    }
}

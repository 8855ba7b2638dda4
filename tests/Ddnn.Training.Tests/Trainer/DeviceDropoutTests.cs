using Ddnn.Core;
using Ddnn.Training.Trainer;

namespace Ddnn.Training.Tests.Trainer;

public class DeviceDropoutTests
{
    private static bool[] Snapshot(DeviceMask mask)
    {
        var bits = new bool[mask.Batch * mask.Devices];
        for (var b = 0; b < mask.Batch; b++)
            for (var d = 0; d < mask.Devices; d++) bits[b * mask.Devices + d] = mask.IsPresent(b, d);
        return bits;
    }

    private static bool[] Draw(double p, ulong seed, int epoch, int batch, int samples = 200, int devices = 6)
    {
        var mask = new DeviceMask(samples, devices);
        new DeviceDropout(p, seed).Apply(mask, epoch, batch);
        return Snapshot(mask);
    }

    [Fact]
    public void The_same_seed_epoch_and_batch_give_the_same_mask_and_others_differ()
    {
        Assert.Equal(Draw(0.3, 9, 2, 5), Draw(0.3, 9, 2, 5));
        Assert.NotEqual(Draw(0.3, 9, 2, 5), Draw(0.3, 9, 2, 6));
        Assert.NotEqual(Draw(0.3, 9, 2, 5), Draw(0.3, 9, 3, 5));
        Assert.NotEqual(Draw(0.3, 9, 2, 5), Draw(0.3, 10, 2, 5));
    }

    [Theory]
    [InlineData(0.5, 1)]
    [InlineData(0.9, 6)]
    [InlineData(1.0, 6)]
    public void No_sample_ever_loses_every_device(double p, int devices)
    {
        for (var batch = 0; batch < 20; batch++)
        {
            var mask = new DeviceMask(100, devices);
            new DeviceDropout(p, 4).Apply(mask, 0, batch);
            for (var b = 0; b < mask.Batch; b++) Assert.True(mask.CountPresent(b) >= 1, $"sample {b} of batch {batch} has no device");
            if (p == 1.0)
                for (var b = 0; b < mask.Batch; b++) Assert.Equal(1, mask.CountPresent(b));
        }
    }

    [Fact]
    public void The_drop_rate_follows_the_probability_and_zero_keeps_everything()
    {
        Assert.All(Draw(0, 1, 0, 0), Assert.True);
        var bits = Draw(0.3, 1, 0, 0, samples: 5000);
        var dropped = bits.Count(b => !b) / (double)bits.Length;
        var expected = 0.3 - Math.Pow(0.3, 6) / 6;
        Assert.InRange(dropped, expected - 0.02, expected + 0.02);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Invalid_probabilities_are_rejected(double p)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceDropout(p, 1));
        Assert.Contains("probability", e.Message);
    }
}

using Ddnn.Training.Trainer;

namespace Ddnn.Training.Tests.Trainer;

/// <summary>Seeded per-epoch shuffling and batching.</summary>
public class MiniBatchScheduleTests
{
    [Fact]
    public void EveryEpochIsAPermutationCutIntoBatches()
    {
        var s = new MiniBatchSchedule(10, 4, seed: 3);
        var seen = new List<int>();
        var sizes = new List<int>();
        s.RunEpoch(0, (idx, b) => { seen.AddRange(idx.ToArray()); sizes.Add(idx.Length); });
        Assert.Equal(Enumerable.Range(0, 10), seen.Order());
        Assert.Equal([4, 4, 2], sizes);
        Assert.Equal(s.EpochOrder(0), seen);
        Assert.Equal(2, new MiniBatchSchedule(10, 4, 3, dropLast: true).BatchesPerEpoch);
    }

    [Fact]
    public void OrderDependsOnSeedAndEpochOnly()
    {
        var a = new MiniBatchSchedule(50, 8, seed: 1);
        var b = new MiniBatchSchedule(50, 8, seed: 1);
        Assert.Equal(a.EpochOrder(3), b.EpochOrder(3));
        Assert.NotEqual(a.EpochOrder(3), a.EpochOrder(4));
        Assert.NotEqual(a.EpochOrder(3), new MiniBatchSchedule(50, 8, seed: 2).EpochOrder(3));
    }
}

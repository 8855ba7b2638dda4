using Ddnn.Core.Randomness;

namespace Ddnn.Training.Trainer;

/// <summary>Receives one mini-batch: the sample indices (in shuffled order) and the batch's position in the epoch.</summary>
internal delegate void BatchStep(ReadOnlySpan<int> sampleIndices, int batchIndex);

/// <summary>
/// Seeded mini-batch order: each epoch shuffles 0..n-1 with Fisher-Yates from a stream derived from the seed
/// and the epoch number (so epoch e's order does not depend on earlier epochs), then cuts it into batches.
/// </summary>
internal sealed class MiniBatchSchedule
{
    private readonly int[] _order;

    /// <summary>A schedule over <paramref name="sampleCount"/> samples in batches of <paramref name="batchSize"/>.</summary>
    /// <param name="sampleCount">Number of samples n; the schedule permutes 0..n-1.</param>
    /// <param name="batchSize">Samples per batch, at least 1.</param>
    /// <param name="seed">Seed the per-epoch shuffle streams are derived from.</param>
    /// <param name="dropLast">Skip the final batch when it is smaller than <paramref name="batchSize"/>.</param>
    public MiniBatchSchedule(int sampleCount, int batchSize, ulong seed, bool dropLast = false)
    {
        if (sampleCount < 0) throw new ArgumentOutOfRangeException(nameof(sampleCount), sampleCount, "must be non-negative.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "must be at least 1.");
        SampleCount = sampleCount;
        BatchSize = batchSize;
        Seed = seed;
        DropLast = dropLast;
        _order = new int[sampleCount];
    }

    /// <summary>Number of samples.</summary>
    public int SampleCount { get; }

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Seed of the shuffles.</summary>
    public ulong Seed { get; }

    /// <summary>Whether a smaller final batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>Batches per epoch.</summary>
    public int BatchesPerEpoch => DropLast ? SampleCount / BatchSize : (SampleCount + BatchSize - 1) / BatchSize;

    /// <summary>The shuffled sample order of <paramref name="epoch"/> (a new array).</summary>
    public int[] EpochOrder(int epoch)
    {
        var order = new int[SampleCount];
        FillOrder(epoch, order);
        return order;
    }

    /// <summary>Calls <paramref name="step"/> for every batch of <paramref name="epoch"/> in order.</summary>
    public void RunEpoch(int epoch, BatchStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        FillOrder(epoch, _order);
        var batches = BatchesPerEpoch;
        for (var b = 0; b < batches; b++)
        {
            var start = b * BatchSize;
            var count = Math.Min(BatchSize, SampleCount - start);
            step(_order.AsSpan(start, count), b);
        }
    }

    private void FillOrder(int epoch, int[] order)
    {
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "must be non-negative.");
        for (var i = 0; i < order.Length; i++) order[i] = i;
        SeededRandom.Derive(Seed, (ulong)epoch + 1).Shuffle(order.AsSpan());
    }
}

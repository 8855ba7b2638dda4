using Ddnn.Core.Randomness;
using Ddnn.Training.Data;

namespace Ddnn.Training.Experiments;

/// <summary>Restricts a multi-view data set to some of its views (the number-of-devices study).</summary>
internal static class ViewSelection
{
    /// <summary>
    /// A copy of <paramref name="data"/> holding only <paramref name="views"/> of every sample, in that order (global
    /// labels unchanged; per-view labels follow their views). All views in their own order return <paramref name="data"/> itself.
    /// </summary>
    public static MultiViewDataset Select(MultiViewDataset data, IReadOnlyList<int> views)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(views);
        if (views.Count == 0) throw new ArgumentException("at least one view must be kept", nameof(views));
        var seen = new bool[data.ViewCount];
        foreach (var v in views)
        {
            if (v < 0 || v >= data.ViewCount) throw new ArgumentOutOfRangeException(nameof(views), v, $"views must be in 0..{data.ViewCount - 1} (the views of {data.Name})");
            if (seen[v]) throw new ArgumentException($"view {v} is listed twice", nameof(views));
            seen[v] = true;
        }
        if (views.Count == data.ViewCount && views.Select((v, i) => v == i).All(x => x)) return data;
        var size = data.ViewSize;
        var keep = views.Count * size;
        var values = new float[(long)data.Count * keep];
        var labels = new int[data.Count];
        var viewLabels = new int[data.Count * views.Count];
        for (var i = 0; i < data.Count; i++)
        {
            var sample = data.GetSample(i);
            for (var k = 0; k < views.Count; k++)
            {
                sample.Slice(views[k] * size, size).CopyTo(values.AsSpan((int)((long)i * keep + k * size), size));
                viewLabels[i * views.Count + k] = data.GetViewLabel(i, views[k]);
            }
            labels[i] = data.GetLabel(i);
        }
        return new MultiViewDataset(data.Name, views.Count, data.Channels, data.Height, data.Width, values, labels, viewLabels, data.ClassNames);
    }

    /// <summary><see cref="Select(MultiViewDataset, IReadOnlyList{int})"/> on all three splits.</summary>
    public static DataSplits Select(DataSplits splits, IReadOnlyList<int> views)
    {
        ArgumentNullException.ThrowIfNull(splits);
        return new DataSplits(Select(splits.Train, views), Select(splits.Validation, views), Select(splits.Test, views));
    }

    /// <summary>
    /// The orders in which the devices study adds cameras for its <paramref name="count"/> training seeds: one seeded
    /// random permutation of 0..<paramref name="views"/>−1, rotated by k·views/count positions for the k-th seed. The
    /// rotations spread the seeds evenly over the cameras (with 3 seeds and 6 cameras, three different cameras are the
    /// single device, and so on), so the mean over seeds averages over which cameras a device count uses.
    /// </summary>
    public static int[][] CameraOrders(int views, int count, ulong seed)
    {
        if (views < 1) throw new ArgumentOutOfRangeException(nameof(views), views, "must be at least 1");
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "must be at least 1");
        var order = Enumerable.Range(0, views).ToArray();
        SeededRandom.Derive(seed, CameraOrderStream).Shuffle(order.AsSpan());
        var orders = new int[count][];
        for (var k = 0; k < count; k++)
        {
            var shift = (int)((long)k * views / count % views);
            orders[k] = [.. order[shift..], .. order[..shift]];
        }
        return orders;
    }

    // Sub-stream of the training seed reserved for the camera order (distinct from initialization, batches and dropout).
    private const ulong CameraOrderStream = 0x43414D4552414F52; // "CAMERAOR"
}

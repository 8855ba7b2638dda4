using Ddnn.Training.Data;

namespace Ddnn.Training.Experiments;

/// <summary>Restricts a multi-view data set to its first views (the number-of-devices study).</summary>
public static class ViewSelection
{
    /// <summary>A copy of <paramref name="data"/> holding only views 0..<paramref name="views"/>−1 of every sample (global labels unchanged).</summary>
    public static MultiViewDataset FirstViews(MultiViewDataset data, int views)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (views < 1 || views > data.ViewCount)
            throw new ArgumentOutOfRangeException(nameof(views), views, $"must be in 1..{data.ViewCount} (the views of {data.Name})");
        if (views == data.ViewCount) return data;
        var keep = views * data.ViewSize;
        var values = new float[(long)data.Count * keep];
        var labels = new int[data.Count];
        var viewLabels = new int[data.Count * views];
        for (var i = 0; i < data.Count; i++)
        {
            data.GetSample(i)[..keep].CopyTo(values.AsSpan(i * keep, keep));
            labels[i] = data.GetLabel(i);
            for (var v = 0; v < views; v++) viewLabels[i * views + v] = data.GetViewLabel(i, v);
        }
        return new MultiViewDataset(data.Name, views, data.Channels, data.Height, data.Width, values, labels, viewLabels, data.ClassNames);
    }

    /// <summary><see cref="FirstViews(MultiViewDataset, int)"/> on all three splits.</summary>
    public static DataSplits FirstViews(DataSplits splits, int views)
    {
        ArgumentNullException.ThrowIfNull(splits);
        return new DataSplits(FirstViews(splits.Train, views), FirstViews(splits.Validation, views), FirstViews(splits.Test, views));
    }
}

using Ddnn.Training.Data;

namespace Ddnn.Training.Tests.Data;

public class MultiViewDatasetTests
{
    private static readonly string[] Classes = ["a", "b", "c"];

    // 4 samples, 2 views of 1x2x2: value = 100*n + 10*d + pixel.
    private static MultiViewDataset Small()
    {
        var data = new float[4 * 2 * 4];
        for (int n = 0; n < 4; n++)
            for (int d = 0; d < 2; d++)
                for (int p = 0; p < 4; p++)
                    data[n * 8 + d * 4 + p] = 100 * n + 10 * d + p;
        return new MultiViewDataset("small", 2, 1, 2, 2, data, [0, 1, 2, 1], [0, 0, 1, MultiViewDataset.NotVisible, 2, 2, MultiViewDataset.NotVisible, 1], Classes);
    }

    [Fact]
    public void Exposes_shape_and_labels()
    {
        var ds = Small();
        Assert.Equal(4, ds.Count);
        Assert.Equal(2, ds.ViewCount);
        Assert.Equal(4, ds.ViewSize);
        Assert.Equal(8, ds.SampleSize);
        Assert.Equal(3, ds.ClassCount);
        Assert.Equal(4, ds.RawBytesPerDevicePerSample);
        Assert.Equal([110f, 111, 112, 113], ds.GetView(1, 1).ToArray());
        Assert.Equal(MultiViewDataset.NotVisible, ds.GetViewLabel(1, 1));
        Assert.Equal(2, ds.GetLabel(2));
        Assert.Equal([1, 2, 1], ds.ClassCounts());
        Assert.Equal(0.75, ds.VisibleFraction(0));
        Assert.Equal(0.75, ds.VisibleFraction(1));
    }

    [Fact]
    public void CopyBatch_copies_samples_in_index_order()
    {
        var ds = Small();
        var views = new float[2 * 8];
        var labels = new int[2];
        var viewLabels = new int[4];
        ds.CopyBatch([3, 0], views, labels);
        ds.CopyViewLabels([3, 0], viewLabels);
        Assert.Equal(ds.GetSample(3).ToArray(), views[..8]);
        Assert.Equal(ds.GetSample(0).ToArray(), views[8..]);
        Assert.Equal([1, 0], labels);
        Assert.Equal([MultiViewDataset.NotVisible, 1, 0, 0], viewLabels);
    }

    [Fact]
    public void CopyDeviceBatch_copies_one_view_per_sample()
    {
        var ds = Small();
        var views = new float[3 * 4];
        var labels = new int[3];
        ds.CopyDeviceBatch([1, 2, 3], 1, views, labels);
        Assert.Equal([110f, 111, 112, 113, 210, 211, 212, 213, 310, 311, 312, 313], views);
        Assert.Equal([MultiViewDataset.NotVisible, 2, 1], labels);
    }

    [Fact]
    public void Batch_copies_reject_wrong_buffers_and_indices()
    {
        var ds = Small();
        var e1 = Assert.Throws<ArgumentException>(() => ds.CopyBatch([0, 1], new float[15], new int[2]));
        Assert.Contains("views has length 15, expected 2 x 8 = 16", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => ds.CopyBatch([0, 1], new float[16], new int[3]));
        Assert.Contains("labels", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => ds.CopyBatch([0, 4], new float[16], new int[2]));
        Assert.Contains("indices[1] = 4", e3.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ds.CopyDeviceBatch([0], 2, new float[4], new int[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ds.GetView(-1, 0));
    }

    [Fact]
    public void Subset_slice_and_split_copy_data_and_labels()
    {
        var ds = Small();
        var subset = ds.Subset([2, 0], "sub");
        Assert.Equal("sub", subset.Name);
        Assert.Equal(ds.GetSample(2).ToArray(), subset.GetSample(0).ToArray());
        Assert.Equal([2, 0], subset.Labels.ToArray());
        Assert.Equal([2, 2, 0, 0], subset.ViewLabels.ToArray());

        var (first, second) = ds.SplitAt(1);
        Assert.Equal(1, first.Count);
        Assert.Equal(3, second.Count);
        Assert.Equal(ds.GetSample(1).ToArray(), second.GetSample(0).ToArray());
        Assert.Equal(ds.ViewLabels[2..].ToArray(), second.ViewLabels.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => ds.Slice(3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => ds.SplitAt(5));
        Assert.Equal(0, ds.Slice(4, 0).Count);
    }

    [Fact]
    public void Constructor_rejects_inconsistent_lengths()
    {
        var e = Assert.Throws<ArgumentException>(() => new MultiViewDataset("x", 2, 1, 2, 2, new float[15], [0, 0], new int[4], Classes));
        Assert.Contains("data length 15", e.Message);
        e = Assert.Throws<ArgumentException>(() => new MultiViewDataset("x", 2, 1, 2, 2, new float[16], [0, 0], new int[3], Classes));
        Assert.Contains("viewLabels length 3", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiViewDataset("x", 0, 1, 2, 2, new float[0], [], [], Classes));
    }

    [Fact]
    public void Constructor_rejects_labels_out_of_range_and_bad_values()
    {
        var e = Assert.Throws<ArgumentException>(() => new MultiViewDataset("x", 1, 1, 1, 1, new float[2], [0, 3], [0, 0], Classes));
        Assert.Contains("label of sample 1 is 3", e.Message);
        e = Assert.Throws<ArgumentException>(() => new MultiViewDataset("x", 2, 1, 1, 1, new float[4], [0, 0], [0, 0, -2, 0], Classes));
        Assert.Contains("sample 1 view 0 is -2", e.Message);
        var data = new float[40];
        data[37] = float.NaN;
        e = Assert.Throws<ArgumentException>(() => new MultiViewDataset("x", 2, 1, 2, 5, data, [0, 0], new int[4], Classes));
        Assert.Contains("sample 1 view 1 is NaN", e.Message);
        e = Assert.Throws<ArgumentException>(() => new MultiViewDataset("x", 1, 1, 1, 1, new float[1], [0], [0], ["a", "a"]));
        Assert.Contains("'a' appears twice", e.Message);
        Assert.Throws<ArgumentException>(() => new MultiViewDataset("x", 1, 1, 1, 1, new float[1], [0], [0], []));
    }

    [Fact]
    public void DataSplits_requires_compatible_splits()
    {
        var ds = Small();
        var other = new MultiViewDataset("other", 1, 1, 2, 2, new float[4], [0], [0], Classes);
        var e = Assert.Throws<ArgumentException>(() => new DataSplits(ds, ds, other));
        Assert.Contains("test split", e.Message);
        var splits = new DataSplits(ds.Slice(0, 2, "src/train"), ds.Slice(2, 1, "src/validation"), ds.Slice(3, 1, "src/test"));
        Assert.Equal("src", splits.SourceName);
    }
}

using Ddnn.Core.Randomness;
using Ddnn.Training.Data;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Ddnn.Training.Tests.Data;

public class MultiViewDatasetPropertyTests
{
    private static readonly MultiViewDataset Data = Build();

    private static MultiViewDataset Build()
    {
        const int n = 9, d = 3, size = 2 * 3 * 1;
        var random = new SeededRandom(4);
        var data = new float[n * d * size];
        for (int i = 0; i < data.Length; i++)
            data[i] = random.NextFloat();
        var labels = Enumerable.Range(0, n).Select(i => i % 4).ToArray();
        var viewLabels = Enumerable.Range(0, n * d).Select(i => i % 5 == 0 ? MultiViewDataset.NotVisible : labels[i / d]).ToArray();
        return new MultiViewDataset("prop", d, 2, 3, 1, data, labels, viewLabels, ["a", "b", "c", "d"]);
    }

    [Property(MaxTest = 100)]
    public Property Batch_copies_agree_with_per_sample_accessors() =>
        Prop.ForAll(Gen.Choose(0, Data.Count - 1).ArrayOf().ToArbitrary(), indices =>
        {
            var views = new float[indices.Length * Data.SampleSize];
            var labels = new int[indices.Length];
            var viewLabels = new int[indices.Length * Data.ViewCount];
            Data.CopyBatch(indices, views, labels);
            Data.CopyViewLabels(indices, viewLabels);
            var device = new float[indices.Length * Data.ViewSize];
            var deviceLabels = new int[indices.Length];
            Data.CopyDeviceBatch(indices, 2, device, deviceLabels);
            var subset = Data.Subset(indices);
            for (int b = 0; b < indices.Length; b++)
            {
                int i = indices[b];
                if (!views.AsSpan(b * Data.SampleSize, Data.SampleSize).SequenceEqual(Data.GetSample(i))
                    || labels[b] != Data.GetLabel(i)
                    || !device.AsSpan(b * Data.ViewSize, Data.ViewSize).SequenceEqual(Data.GetView(i, 2))
                    || deviceLabels[b] != Data.GetViewLabel(i, 2)
                    || viewLabels[b * Data.ViewCount + 1] != Data.GetViewLabel(i, 1)
                    || !subset.GetSample(b).SequenceEqual(Data.GetSample(i)))
                    return false;
            }
            return true;
        });
}

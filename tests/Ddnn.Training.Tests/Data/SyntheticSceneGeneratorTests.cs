using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Ddnn.Kernels;
using Ddnn.Training.Data;

namespace Ddnn.Training.Tests.Data;

public class SyntheticSceneGeneratorTests
{
    private static readonly SyntheticSceneOptions Small = new() { TrainCount = 150, ValidationCount = 30, TestCount = 60, Seed = 11 };

    private static string Hash(MultiViewDataset ds) => Convert.ToHexString(SHA256.HashData(
        [.. MemoryMarshal.AsBytes(ds.Data), .. MemoryMarshal.AsBytes(ds.Labels), .. MemoryMarshal.AsBytes(ds.ViewLabels)]));

    [Fact]
    public void Same_seed_gives_identical_bytes_and_another_seed_differs()
    {
        var a = SyntheticSceneGenerator.Generate(Small);
        var b = SyntheticSceneGenerator.Generate(Small);
        var c = SyntheticSceneGenerator.Generate(Small with { Seed = 12 });
        Assert.Equal(Hash(a.Train), Hash(b.Train));
        Assert.Equal(Hash(a.Test), Hash(b.Test));
        Assert.NotEqual(Hash(a.Train), Hash(c.Train));
    }

    [Fact]
    public void Output_does_not_depend_on_thread_count_or_other_split_sizes()
    {
        DataSplits single, multi;
        using (KernelParallelism.Use(1))
            single = SyntheticSceneGenerator.Generate(Small);
        using (KernelParallelism.Use(3))
            multi = SyntheticSceneGenerator.Generate(Small with { TrainCount = 10 });
        Assert.Equal(Hash(single.Test), Hash(multi.Test));
        Assert.Equal(Hash(single.Train.Slice(0, 10)), Hash(multi.Train));
    }

    [Fact]
    public void Pinned_output_hash_catches_cross_machine_or_accidental_changes()
    {
        // Generator changes must be deliberate: update this hash (and the README figures) when retuning.
        var splits = SyntheticSceneGenerator.Generate(new SyntheticSceneOptions { TrainCount = 8, ValidationCount = 0, TestCount = 0, Seed = 1 });
        Assert.Equal(PinnedHash, Hash(splits.Train));
    }

    internal const string PinnedHash = "6738B4334C5B47ADB6CA99A45E4E8326FD957E2843A19AFDD568EED75322B67B";

    [Fact]
    public void Shapes_names_and_sizes_follow_the_options()
    {
        var splits = SyntheticSceneGenerator.Generate(Small with { ImageSize = 24, Devices = 4 });
        Assert.Equal(150, splits.Train.Count);
        Assert.Equal(30, splits.Validation.Count);
        Assert.Equal(60, splits.Test.Count);
        Assert.Equal("synthetic/validation", splits.Validation.Name);
        Assert.Equal(4, splits.Train.ViewCount);
        Assert.Equal((3, 24, 24), (splits.Train.Channels, splits.Train.Height, splits.Train.Width));
        Assert.Equal(["car", "bus", "person"], splits.Train.ClassNames);
        Assert.Equal(3 * 24 * 24, SyntheticSceneGenerator.RawBytesPerDevicePerSample(Small with { ImageSize = 24 }));
    }

    [Fact]
    public void Blank_view_iff_not_visible_values_in_unit_range_and_every_sample_seen()
    {
        var ds = SyntheticSceneGenerator.Generate(Small).Train;
        int notVisible = 0;
        for (int n = 0; n < ds.Count; n++)
        {
            int visible = 0;
            for (int d = 0; d < ds.ViewCount; d++)
            {
                var view = ds.GetView(n, d);
                bool blank = !view.ContainsAnyExcept(0f);
                int viewLabel = ds.GetViewLabel(n, d);
                Assert.Equal(blank, viewLabel == MultiViewDataset.NotVisible);
                if (!blank)
                {
                    Assert.Equal(ds.GetLabel(n), viewLabel);
                    visible++;
                }
                else
                {
                    notVisible++;
                }
                foreach (float v in view)
                    Assert.InRange(v, 0f, 1f);
            }
            Assert.True(visible > 0, $"sample {n} has no visible view");
        }
        // Some views must be blank (occlusion / out of frame), but most must be visible.
        double blankFraction = (double)notVisible / (ds.Count * ds.ViewCount);
        Assert.InRange(blankFraction, 0.03, 0.4);
    }

    [Fact]
    public void Classes_are_roughly_balanced()
    {
        var ds = SyntheticSceneGenerator.Generate(Small with { TrainCount = 900, ValidationCount = 0, TestCount = 0 }).Train;
        Assert.All(ds.ClassCounts(), count => Assert.InRange(count, 240, 360));
    }

    [Fact]
    public void Invalid_options_are_rejected_with_the_option_name()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticSceneGenerator.Generate(Small with { TrainCount = -1 }));
        Assert.Contains("TrainCount", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticSceneGenerator.Generate(Small with { Devices = 0 }));
        Assert.Contains("Devices", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticSceneGenerator.Generate(Small with { ImageSize = 4 }));
        Assert.Contains("ImageSize", e.Message);
    }

    [Fact]
    public void Cancelled_generation_throws_operation_cancelled()
    {
        using var source = new CancellationTokenSource();
        source.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => SyntheticSceneGenerator.Generate(Small, source.Token));
    }
}

using Ddnn.TestSupport;
using Ddnn.Training.Data;

namespace Ddnn.Training.Tests.Data;

public class DatasetSourceTests
{
    [Theory]
    [InlineData("synthetic", DatasetKind.Synthetic, null)]
    [InlineData("Synthetic", DatasetKind.Synthetic, null)]
    [InlineData("fmnist", DatasetKind.FashionMnist, FashionMnistOptions.DefaultDirectory)]
    [InlineData("fmnist:/data/fm", DatasetKind.FashionMnist, "/data/fm")]
    [InlineData("mvmc:/home/me/MVMC.npz", DatasetKind.Mvmc, "/home/me/MVMC.npz")]
    [InlineData("mvmc:C:\\data\\MVMC.npz", DatasetKind.Mvmc, "C:\\data\\MVMC.npz")]
    public void Parses_every_form(string text, DatasetKind kind, string? path)
    {
        var source = DatasetSource.Parse(text);
        Assert.Equal(kind, source.Kind);
        Assert.Equal(path, source.Path);
        Assert.Equal(source, DatasetSource.Parse(source.ToString()));
    }

    [Theory]
    [InlineData("imagenet", "unknown dataset 'imagenet'")]
    [InlineData("", "unknown dataset ''")]
    [InlineData("mvmc", "needs the path of your MVMC.npz")]
    [InlineData("mvmc:", "needs the path of your MVMC.npz")]
    [InlineData("fmnist:", "empty directory")]
    [InlineData("synthetic:/x", "takes no path")]
    public void Rejects_bad_text_with_a_clear_message(string text, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => DatasetSource.Parse(text));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Missing_paths_fail_before_loading()
    {
        var e = Assert.Throws<FileNotFoundException>(() => DatasetSource.Parse("mvmc:/nonexistent/MVMC.npz").Load());
        Assert.Contains("/nonexistent/MVMC.npz", e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => DatasetSource.Parse("fmnist:/nonexistent/fm").Load());
    }

    [Fact]
    public void Raw_offload_bytes_per_source()
    {
        Assert.Equal(3 * 32 * 32, DatasetSource.Synthetic.RawBytesPerDevicePerSample());
        Assert.Equal(256, DatasetSource.FashionMnist().RawBytesPerDevicePerSample());
        Assert.Equal(3072, DatasetSource.Mvmc("x.npz").RawBytesPerDevicePerSample());
        var options = new DatasetLoadOptions { Synthetic = new SyntheticSceneOptions { ImageSize = 16 } };
        Assert.Equal(768, DatasetSource.Synthetic.RawBytesPerDevicePerSample(options));
    }

    [Fact]
    public void Loads_synthetic_and_files_through_the_source()
    {
        var options = new DatasetLoadOptions { Synthetic = new SyntheticSceneOptions { TrainCount = 6, ValidationCount = 2, TestCount = 3 } };
        var splits = DatasetSource.Synthetic.Load(options);
        Assert.Equal((6, 2, 3), (splits.Train.Count, splits.Validation.Count, splits.Test.Count));

        using var dir = new TempDirectory();
        IdxTestFiles.WriteFashionMnist(dir.Path, 5, 2, (n, y, x) => (byte)(n + y + x), i => (byte)(i % 10));
        var fm = DatasetSource.Parse("fmnist:" + dir.Path).Load(options with { FashionMnist = new FashionMnistOptions { ValidationCount = 2 } });
        Assert.Equal((3, 2, 2), (fm.Train.Count, fm.Validation.Count, fm.Test.Count));
    }
}

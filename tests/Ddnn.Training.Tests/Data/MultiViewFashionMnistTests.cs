using Ddnn.TestSupport;
using Ddnn.Training.Data;

namespace Ddnn.Training.Tests.Data;

public class MultiViewFashionMnistTests
{
    // Distinct, non-zero value for every source pixel so a misplaced crop cannot go unnoticed.
    private static byte Pixel(int n, int y, int x) => (byte)(1 + (n * 7 + y * 28 + x) % 250);

    [Fact]
    public void ExtractViews_crops_the_padded_image_at_the_specified_positions()
    {
        var image = IdxTestFiles.Pixels(1, Pixel);
        var views = new float[6 * 256];
        MultiViewFashionMnist.ExtractViews(image, views);
        for (int d = 0; d < 6; d++)
        {
            int r = d / 3, c = d % 3;
            for (int y = 0; y < 16; y++)
            {
                for (int x = 0; x < 16; x++)
                {
                    // Padded 32x32 coordinate (16r + y, 8c + x) is source (… - 2) or zero padding.
                    int sy = 16 * r + y - 2, sx = 8 * c + x - 2;
                    float expected = sy is >= 0 and < 28 && sx is >= 0 and < 28 ? Pixel(0, sy, sx) / 255f : 0f;
                    Assert.Equal(expected, views[d * 256 + y * 16 + x]);
                }
            }
        }
        // Spot checks of the geometry: device 0's corner is padding, device 4 starts at source (14, 6).
        Assert.Equal(0f, views[0]);
        Assert.Equal(Pixel(0, 0, 0) / 255f, views[2 * 16 + 2]);
        Assert.Equal(Pixel(0, 14, 6) / 255f, views[4 * 256]);
        Assert.Equal(0f, views[5 * 256 + 15 * 16 + 15]);
    }

    [Fact]
    public void ExtractViews_rejects_wrong_buffer_sizes()
    {
        Assert.Throws<ArgumentException>(() => MultiViewFashionMnist.ExtractViews(new byte[783], new float[1536]));
        Assert.Throws<ArgumentException>(() => MultiViewFashionMnist.ExtractViews(new byte[784], new float[1535]));
    }

    [Fact]
    public void Load_round_trips_values_labels_and_splits()
    {
        using var dir = new TempDirectory();
        IdxTestFiles.WriteFashionMnist(dir.Path, train: 12, test: 5, Pixel, i => (byte)(i % 10));
        var splits = MultiViewFashionMnist.Load(new FashionMnistOptions { Directory = dir.Path, ValidationCount = 4 });
        Assert.Equal(8, splits.Train.Count);
        Assert.Equal(4, splits.Validation.Count);
        Assert.Equal(5, splits.Test.Count);
        Assert.Equal((6, 1, 16, 16), (splits.Train.ViewCount, splits.Train.Channels, splits.Train.Height, splits.Train.Width));
        Assert.Equal(10, splits.Train.ClassCount);

        var expected = new float[1536];
        MultiViewFashionMnist.ExtractViews(IdxTestFiles.Pixels(9, Pixel).AsSpan(8 * 784, 784), expected);
        Assert.Equal(expected, splits.Validation.GetSample(0).ToArray());
        Assert.Equal(8, splits.Validation.GetLabel(0));
        MultiViewFashionMnist.ExtractViews(IdxTestFiles.Pixels(1003, Pixel).AsSpan(1002 * 784, 784), expected);
        Assert.Equal(expected, splits.Test.GetSample(2).ToArray());
        Assert.Equal(2, splits.Test.GetLabel(2));
        for (int d = 0; d < 6; d++)
            Assert.Equal(splits.Train.GetLabel(5), splits.Train.GetViewLabel(5, d));
        Assert.Equal(1.0, splits.Train.VisibleFraction(3));
    }

    [Fact]
    public void Load_caps_every_split()
    {
        using var dir = new TempDirectory();
        IdxTestFiles.WriteFashionMnist(dir.Path, train: 12, test: 5, Pixel, i => (byte)(i % 10));
        var splits = MultiViewFashionMnist.Load(new FashionMnistOptions { Directory = dir.Path, ValidationCount = 4, MaxSamplesPerSplit = 3 });
        Assert.Equal((3, 3, 3), (splits.Train.Count, splits.Validation.Count, splits.Test.Count));
        Assert.Equal(8, splits.Validation.GetLabel(0));
    }

    [Fact]
    public void Missing_file_names_the_path()
    {
        using var dir = new TempDirectory();
        IdxTestFiles.WriteFashionMnist(dir.Path, train: 3, test: 2, Pixel, i => 0);
        string labels = dir.File("t10k-labels-idx1-ubyte.gz");
        File.Delete(labels);
        var e = Assert.Throws<InvalidDataException>(() => MultiViewFashionMnist.Load(new FashionMnistOptions { Directory = dir.Path, ValidationCount = 1 }));
        Assert.Contains(labels, e.Message);
        Assert.Contains("not found", e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => MultiViewFashionMnist.Load(new FashionMnistOptions { Directory = dir.File("nope") }));
    }

    [Fact]
    public void Wrong_magic_names_the_path_and_the_magic()
    {
        using var dir = new TempDirectory();
        string path = dir.File("images.gz");
        IdxTestFiles.WriteImages(path, 1, 28, 28, new byte[784], magic: 0x801);
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("wrong magic number 0x00000801, expected 0x00000803", e.Message);
        string labels = dir.File("labels.gz");
        IdxTestFiles.WriteLabels(labels, [1], magic: 0x803);
        e = Assert.Throws<InvalidDataException>(() => IdxFile.ReadLabels(labels));
        Assert.Contains("expected 0x00000801", e.Message);
    }

    [Fact]
    public void Wrong_dimensions_are_rejected()
    {
        using var dir = new TempDirectory();
        IdxTestFiles.WriteFashionMnist(dir.Path, train: 3, test: 2, Pixel, i => 0);
        string images = dir.File("t10k-images-idx3-ubyte.gz");
        IdxTestFiles.WriteImages(images, 2, 27, 29, new byte[2 * 27 * 29]);
        var e = Assert.Throws<InvalidDataException>(() => MultiViewFashionMnist.Load(new FashionMnistOptions { Directory = dir.Path, ValidationCount = 1 }));
        Assert.Contains(images, e.Message);
        Assert.Contains("27x29, expected 28x28", e.Message);
    }

    [Fact]
    public void Truncated_data_and_trailing_bytes_are_rejected()
    {
        using var dir = new TempDirectory();
        string path = dir.File("images.gz");
        IdxTestFiles.WriteImages(path, 2, 28, 28, new byte[2 * 784], truncateTo: 1000);
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated data", e.Message);
        Assert.Contains("only 1000 bytes", e.Message);

        IdxTestFiles.WriteImages(path, 1, 28, 28, new byte[2 * 784]);
        e = Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(path));
        Assert.Contains("unexpected bytes after", e.Message);

        string labels = dir.File("labels.gz");
        IdxTestFiles.WriteLabels(labels, [1, 2], declaredCount: 5);
        e = Assert.Throws<InvalidDataException>(() => IdxFile.ReadLabels(labels));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Label_count_mismatch_and_label_range_are_rejected()
    {
        using var dir = new TempDirectory();
        IdxTestFiles.WriteFashionMnist(dir.Path, train: 4, test: 2, Pixel, i => 0);
        string labels = dir.File("train-labels-idx1-ubyte.gz");
        IdxTestFiles.WriteLabels(labels, [0, 1, 2]);
        var e = Assert.Throws<InvalidDataException>(() => MultiViewFashionMnist.Load(new FashionMnistOptions { Directory = dir.Path, ValidationCount = 1 }));
        Assert.Contains(labels, e.Message);
        Assert.Contains("3 labels but", e.Message);
        Assert.Contains("has 4 images", e.Message);

        IdxTestFiles.WriteLabels(labels, [0, 1, 10, 2]);
        e = Assert.Throws<InvalidDataException>(() => MultiViewFashionMnist.Load(new FashionMnistOptions { Directory = dir.Path, ValidationCount = 1 }));
        Assert.Contains("label 2 is 10", e.Message);
    }

    [Fact]
    public void Non_gzip_file_and_too_small_training_file_are_rejected()
    {
        using var dir = new TempDirectory();
        string path = dir.File("plain");
        File.WriteAllBytes(path, [0, 0, 8, 3, 0, 0, 0, 0]);
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(path));
        Assert.Contains("not a gzip file", e.Message);

        IdxTestFiles.WriteFashionMnist(dir.Path, train: 3, test: 2, Pixel, i => 0);
        e = Assert.Throws<InvalidDataException>(() => MultiViewFashionMnist.Load(new FashionMnistOptions { Directory = dir.Path, ValidationCount = 3 }));
        Assert.Contains("need more than the 3 reserved for validation", e.Message);
    }

    [Fact]
    public void Loads_real_fashion_mnist_when_installed()
    {
        if (!MultiViewFashionMnist.IsAvailable())
            return; // The Debian package is optional; every other test builds its own files.
        var splits = MultiViewFashionMnist.Load(new FashionMnistOptions { MaxSamplesPerSplit = 200 });
        Assert.Equal((200, 200, 200), (splits.Train.Count, splits.Validation.Count, splits.Test.Count));
        Assert.Equal(256, splits.Train.RawBytesPerDevicePerSample);
        Assert.True(splits.Train.ClassCounts().Count(c => c > 0) >= 8);
        foreach (float v in splits.Test.Data)
            Assert.InRange(v, 0f, 1f);
        Assert.Contains(splits.Train.Data.ToArray(), v => v > 0.5f);
    }
}

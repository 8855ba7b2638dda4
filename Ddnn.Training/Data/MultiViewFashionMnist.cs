using Ddnn.Kernels;

namespace Ddnn.Training.Data;

/// <summary>
/// MV-FMNIST: Fashion-MNIST cut into 6 overlapping 16×16 views (datasets.md §2). Pixels / 255, zero-padded
/// by 2 to 32×32; device d (row r = d / 3, column c = d % 3) sees the crop with top-left (16r, 8c).
/// </summary>
public static class MultiViewFashionMnist
{
    /// <summary>Side of a Fashion-MNIST image in pixels.</summary>
    public const int SourceSize = 28;
    /// <summary>Zero pixels added on every side, making the 32×32 canvas the views are cut from.</summary>
    public const int Padding = 2;
    /// <summary>Views per sample, one per end device: a 2 × 3 grid.</summary>
    public const int Devices = 6;
    /// <summary>Side of each square view in pixels.</summary>
    public const int ViewSize = 16;
    /// <summary>Columns of the view grid; device d sits at row d / 3, column d % 3.</summary>
    public const int GridColumns = 3;
    /// <summary>Pixels between the top edges of vertically adjacent views (no vertical overlap).</summary>
    public const int RowStride = 16;
    /// <summary>Pixels between the left edges of horizontally adjacent views (half a view of overlap).</summary>
    public const int ColumnStride = 8;

    /// <summary>Training images file name (60,000 images).</summary>
    public const string TrainImagesFile = "train-images-idx3-ubyte.gz";
    /// <summary>Training labels file name.</summary>
    public const string TrainLabelsFile = "train-labels-idx1-ubyte.gz";
    /// <summary>Test images file name (10,000 images).</summary>
    public const string TestImagesFile = "t10k-images-idx3-ubyte.gz";
    /// <summary>Test labels file name.</summary>
    public const string TestLabelsFile = "t10k-labels-idx1-ubyte.gz";

    /// <summary>Class names in label order.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Raw-offload bytes per device per sample: one 8-bit 16×16 tile.</summary>
    public const int RawBytesPerDevicePerSample = ViewSize * ViewSize;

    /// <summary>True when the four IDX files exist in <paramref name="directory"/>.</summary>
    public static bool IsAvailable(string directory = FashionMnistOptions.DefaultDirectory) =>
        File.Exists(Path.Combine(directory, TrainImagesFile)) && File.Exists(Path.Combine(directory, TrainLabelsFile))
        && File.Exists(Path.Combine(directory, TestImagesFile)) && File.Exists(Path.Combine(directory, TestLabelsFile));

    /// <summary>Loads train (first images of the training file), validation (its last <see cref="FashionMnistOptions.ValidationCount"/>) and test (t10k).</summary>
    public static DataSplits Load(FashionMnistOptions? options = null, CancellationToken cancellation = default)
    {
        options ??= new FashionMnistOptions();
        options.Validate();
        if (!System.IO.Directory.Exists(options.Directory))
            throw new DirectoryNotFoundException($"Fashion-MNIST directory not found: {options.Directory} (install the Debian package dataset-fashion-mnist or pass fmnist:<dir>)");

        var (trainImages, trainLabels, trainCount) = ReadPair(options.Directory, TrainImagesFile, TrainLabelsFile);
        cancellation.ThrowIfCancellationRequested();
        var (testImages, testLabels, testCount) = ReadPair(options.Directory, TestImagesFile, TestLabelsFile);
        cancellation.ThrowIfCancellationRequested();
        if (trainCount <= options.ValidationCount)
            throw new InvalidDataException(
                $"{Path.Combine(options.Directory, TrainImagesFile)}: {trainCount} images, need more than the {options.ValidationCount} reserved for validation");

        int trainPart = trainCount - options.ValidationCount;
        int cap = options.MaxSamplesPerSplit ?? int.MaxValue;
        return new DataSplits(
            Build("fmnist/train", trainImages, trainLabels, 0, Math.Min(trainPart, cap), cancellation),
            Build("fmnist/validation", trainImages, trainLabels, trainPart, Math.Min(options.ValidationCount, cap), cancellation),
            Build("fmnist/test", testImages, testLabels, 0, Math.Min(testCount, cap), cancellation));
    }

    /// <summary>Cuts one 28×28 byte image into the 6 views, written as [d][16][16] floats into <paramref name="views"/>.</summary>
    public static void ExtractViews(ReadOnlySpan<byte> image, Span<float> views)
    {
        const int pixels = SourceSize * SourceSize;
        const int viewPixels = ViewSize * ViewSize;
        if (image.Length != pixels)
            throw new ArgumentException($"image has {image.Length} bytes, expected {SourceSize}x{SourceSize} = {pixels}", nameof(image));
        if (views.Length != Devices * viewPixels)
            throw new ArgumentException($"views has length {views.Length}, expected {Devices}x{ViewSize}x{ViewSize} = {Devices * viewPixels}", nameof(views));
        for (int d = 0; d < Devices; d++)
        {
            int top = RowStride * (d / GridColumns) - Padding;
            int left = ColumnStride * (d % GridColumns) - Padding;
            Span<float> view = views.Slice(d * viewPixels, viewPixels);
            for (int y = 0; y < ViewSize; y++)
            {
                int sourceY = top + y;
                Span<float> row = view.Slice(y * ViewSize, ViewSize);
                if ((uint)sourceY >= SourceSize)
                {
                    row.Clear();
                    continue;
                }
                ReadOnlySpan<byte> sourceRow = image.Slice(sourceY * SourceSize, SourceSize);
                for (int x = 0; x < ViewSize; x++)
                {
                    int sourceX = left + x;
                    row[x] = (uint)sourceX < SourceSize ? ByteToUnit[sourceRow[sourceX]] : 0f;
                }
            }
        }
    }

    // pixel / 255 computed once in float, so every path gives identical values.
    private static readonly float[] ByteToUnit = CreateByteToUnit();

    private static float[] CreateByteToUnit()
    {
        var table = new float[256];
        for (int i = 0; i < table.Length; i++)
            table[i] = i / 255f;
        return table;
    }

    private static (byte[] Images, byte[] Labels, int Count) ReadPair(string directory, string imagesFile, string labelsFile)
    {
        string imagesPath = Path.Combine(directory, imagesFile);
        string labelsPath = Path.Combine(directory, labelsFile);
        var (count, rows, columns, pixels) = IdxFile.ReadImages(imagesPath);
        if (rows != SourceSize || columns != SourceSize)
            throw new InvalidDataException($"{imagesPath}: images are {rows}x{columns}, expected {SourceSize}x{SourceSize}");
        byte[] labels = IdxFile.ReadLabels(labelsPath);
        if (labels.Length != count)
            throw new InvalidDataException($"{labelsPath}: {labels.Length} labels but {imagesPath} has {count} images");
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= ClassNames.Count)
                throw new InvalidDataException($"{labelsPath}: label {i} is {labels[i]}, expected 0..{ClassNames.Count - 1}");
        }
        return (pixels, labels, count);
    }

    private static MultiViewDataset Build(string name, byte[] images, byte[] sourceLabels, int start, int count, CancellationToken cancellation)
    {
        const int pixels = SourceSize * SourceSize;
        const int sampleSize = Devices * ViewSize * ViewSize;
        var data = new float[(long)count * sampleSize];
        var labels = new int[count];
        var viewLabels = new int[count * Devices];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = KernelParallelism.MaxThreads, CancellationToken = cancellation };
        int chunk = Math.Max(1, (count + 63) / 64);
        Parallel.For(0, (count + chunk - 1) / chunk, parallel, part =>
        {
            int end = Math.Min(count, (part + 1) * chunk);
            for (int i = part * chunk; i < end; i++)
            {
                ExtractViews(images.AsSpan((start + i) * pixels, pixels), data.AsSpan(i * sampleSize, sampleSize));
                int label = sourceLabels[start + i];
                labels[i] = label;
                viewLabels.AsSpan(i * Devices, Devices).Fill(label);
            }
        });
        return new MultiViewDataset(name, Devices, 1, ViewSize, ViewSize, data, labels, viewLabels, ClassNames);
    }
}

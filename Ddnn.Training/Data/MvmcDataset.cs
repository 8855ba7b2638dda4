using System.IO.Compression;

namespace Ddnn.Training.Data;

/// <summary>
/// Loader for the paper's MVMC set as the authors distributed it: a .npz with X float32 (N, 6, 3, 32, 32)
/// and y int32 (N, 6), 0 car, 1 bus, 2 person, 3 not visible (datasets.md §3).
/// </summary>
public static class MvmcDataset
{
    /// <summary>Cameras per sample, one per end device.</summary>
    public const int Devices = 6;
    /// <summary>Colour channels of each view (RGB).</summary>
    public const int Channels = 3;
    /// <summary>Side of each square view in pixels.</summary>
    public const int ImageSize = 32;

    /// <summary>The value of y marking a view in which the object is not visible.</summary>
    public const int FileNotVisibleLabel = 3;

    /// <summary>Raw-offload bytes per device per sample: one 8-bit 3×32×32 view.</summary>
    public const int RawBytesPerDevicePerSample = Channels * ImageSize * ImageSize;

    /// <summary>Class names in label order (the file's labels 0, 1, 2).</summary>
    public static IReadOnlyList<string> ClassNames { get; } = ["car", "bus", "person"];

    /// <summary>Loads and splits the .npz at <paramref name="path"/>: train part = first <see cref="MvmcOptions.TrainPartCount"/>, test = the rest.</summary>
    public static DataSplits Load(string path, MvmcOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new MvmcOptions();
        options.Validate();
        var all = LoadAll(path);
        if (all.Count <= options.TrainPartCount)
            throw new InvalidDataException($"{path}: {all.Count} samples, need more than the {options.TrainPartCount} of the training part to leave a test split");

        var trainIndices = new List<int>();
        var validationIndices = new List<int>();
        for (int i = 0; i < options.TrainPartCount; i++)
        {
            if (options.ValidationEvery > 0 && i % options.ValidationEvery == options.ValidationEvery - 1)
                validationIndices.Add(i);
            else
                trainIndices.Add(i);
        }
        return new DataSplits(
            all.Subset(trainIndices.ToArray(), "mvmc/train"),
            all.Subset(validationIndices.ToArray(), "mvmc/validation"),
            all.Slice(options.TrainPartCount, all.Count - options.TrainPartCount, "mvmc/test"));
    }

    /// <summary>Loads every sample of the .npz in file order, unsplit.</summary>
    public static MultiViewDataset LoadAll(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new InvalidDataException($"{path}: file not found");
        ZipArchive archive;
        try
        {
            archive = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a valid .npz (zip) file ({e.Message})", e);
        }
        using (archive)
        {
            var x = ReadArray(archive, path, "X");
            var y = ReadArray(archive, path, "y");
            x.RequireShape($"{path}: array X", -1, Devices, Channels, ImageSize, ImageSize);
            y.RequireShape($"{path}: array y", -1, Devices);
            float[] data = x.Floats($"{path}: array X");
            int[] fileLabels = y.Ints($"{path}: array y");
            int count = x.Shape[0];
            if (y.Shape[0] != count)
                throw new InvalidDataException($"{path}: array X has {count} samples but array y has {y.Shape[0]}");

            var labels = new int[count];
            var viewLabels = new int[count * Devices];
            for (int i = 0; i < count; i++)
            {
                int global = -1;
                for (int d = 0; d < Devices; d++)
                {
                    int label = fileLabels[i * Devices + d];
                    if ((uint)label > FileNotVisibleLabel)
                        throw new InvalidDataException($"{path}: array y, sample {i} view {d} has label {label}, expected 0..{FileNotVisibleLabel}");
                    viewLabels[i * Devices + d] = label == FileNotVisibleLabel ? MultiViewDataset.NotVisible : label;
                    if (label != FileNotVisibleLabel)
                        global = Math.Max(global, label);
                }
                if (global < 0)
                    throw new InvalidDataException($"{path}: sample {i} is not visible in any view, so it has no global label");
                labels[i] = global;
            }
            try
            {
                return new MultiViewDataset("mvmc", Devices, Channels, ImageSize, ImageSize, data, labels, viewLabels, ClassNames);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{path}: {e.Message}", e);
            }
        }
    }

    private static NpyArray ReadArray(ZipArchive archive, string path, string arrayName)
    {
        var entry = archive.GetEntry(arrayName + ".npy")
            ?? throw new InvalidDataException($"{path}: missing array '{arrayName}' ({arrayName}.npy not in the archive)");
        string name = $"{path}: array {arrayName}";
        try
        {
            using var stream = entry.Open();
            return NpyArray.Read(stream, name);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(name, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{name}: {e.Message}", e);
        }
    }
}

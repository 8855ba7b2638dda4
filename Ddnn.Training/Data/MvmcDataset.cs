using System.Globalization;
using System.IO.Compression;

namespace Ddnn.Training.Data;

/// <summary>
/// Loader for the paper's MVMC set as the authors distributed it: a .npz with X (N, 6, 3, 32, 32) images and
/// y (N, 6) view labels, 0 car, 1 bus, 2 person, 3 not visible (datasets.md §3). Any integer or float dtype NumPy
/// writes is read (<see cref="NpyArray"/>); integer images are 8-bit pixels and are divided by 255.
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
            int count = x.Shape[0];
            if (y.Shape[0] != count)
                throw new InvalidDataException($"{path}: array X has {count} samples but array y has {y.Shape[0]}");
            float[] data = ReadImages(x, $"{path}: array X");
            int[] fileLabels = ReadLabels(y, $"{path}: array y");

            var labels = new int[count];
            var viewLabels = new int[count * Devices];
            for (int i = 0; i < count; i++)
            {
                int global = -1;
                for (int d = 0; d < Devices; d++)
                {
                    int label = fileLabels[i * Devices + d];
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

    /// <summary>
    /// X as float32 in [n][d][c][h][w] order. Integer images are 8-bit pixel values 0..255 and are divided by 255;
    /// float images are used as stored, and must be finite and within float32's range.
    /// </summary>
    private static float[] ReadImages(NpyArray x, string name)
    {
        var data = new float[x.Count];
        var chunk = new double[Math.Min(data.Length, 1 << 14)];
        for (int start = 0; start < data.Length; start += chunk.Length)
        {
            var values = chunk.AsSpan(0, Math.Min(chunk.Length, data.Length - start));
            x.CopyTo(start, values);
            for (int i = 0; i < values.Length; i++)
            {
                double v = values[i];
                float f = x.IsInteger ? (float)v / 255f : (float)v;
                // Integers beyond 2^53 round in the double, but stay outside 0..255; the message re-reads the exact value.
                if (x.IsInteger ? !(v >= 0 && v <= 255) : !float.IsFinite(f))
                    throw ImageError(x, name, start + i);
                data[start + i] = f;
            }
        }
        return data;
    }

    private static InvalidDataException ImageError(NpyArray x, string name, int k)
    {
        const int viewSize = Channels * ImageSize * ImageSize;
        int sample = k / (Devices * viewSize);
        int view = k / viewSize % Devices;
        int pixel = k % viewSize;
        int channel = pixel / (ImageSize * ImageSize);
        int row = pixel / ImageSize % ImageSize;
        int column = pixel % ImageSize;
        double v = x.GetDouble(k);
        string problem = x.IsInteger ? "expected a pixel value 0..255 in an integer image"
            : double.IsFinite(v) ? "which does not fit float32" : "expected a finite number";
        return new InvalidDataException(
            $"{name}: sample {sample} view {view} (channel {channel}, row {row}, column {column}) has value {ExactValue(x, k)}, {problem}");
    }

    /// <summary>y as file labels 0..3; float labels are accepted when they are whole numbers (2.0 is label 2).</summary>
    private static int[] ReadLabels(NpyArray y, string name)
    {
        var values = new double[y.Count];
        y.CopyTo(0, values);
        var labels = new int[values.Length];
        for (int k = 0; k < labels.Length; k++)
        {
            double v = values[k];
            if (!(v >= 0 && v <= FileNotVisibleLabel && v == Math.Floor(v)))
            {
                throw new InvalidDataException(
                    $"{name}: sample {k / Devices} view {k % Devices} has label {ExactValue(y, k)}, expected an integer 0..{FileNotVisibleLabel}");
            }
            labels[k] = (int)v;
        }
        return labels;
    }

    /// <summary>The element as the file holds it: integers exactly (a uint64 beyond 2^53 too), floats as the shortest round-trip text.</summary>
    private static string ExactValue(NpyArray array, int k) =>
        array.IsInteger
            ? array.GetInteger(k).ToString(CultureInfo.InvariantCulture)
            : array.GetDouble(k).ToString(CultureInfo.InvariantCulture);
}

using System.Numerics;

namespace Ddnn.Training.Data;

/// <summary>N multi-view samples: D views of C×H×W float32 each, a global label and a label per view.</summary>
/// <remarks>
/// Storage is one contiguous array laid out [n][d][c][h][w] so that a sample, a view or a whole
/// mini-batch is a plain span copy. The arrays passed to the constructor are owned by the dataset
/// afterwards (not copied); callers must not mutate them.
/// </remarks>
public sealed class MultiViewDataset
{
    /// <summary>Per-view label of a view in which the object is not visible (ignored by that device's exit loss).</summary>
    public const int NotVisible = -1;

    private readonly float[] _data;
    private readonly int[] _labels;
    private readonly int[] _viewLabels;

    /// <summary>Wraps arrays the dataset then owns, after checking their lengths, label ranges and that every value is finite.</summary>
    /// <param name="name">Human-readable name, "source/split" (e.g. "synthetic/train").</param>
    /// <param name="views">Views D per sample, one per end device.</param>
    /// <param name="channels">Channels C of each view.</param>
    /// <param name="height">Rows H of each view, in pixels.</param>
    /// <param name="width">Columns W of each view, in pixels.</param>
    /// <param name="data">N·D·C·H·W finite floats laid out [n][d][c][h][w].</param>
    /// <param name="labels">Global label per sample, each in [0, classes); its length is N.</param>
    /// <param name="viewLabels">N·D per-view labels laid out [n][d], each a class or <see cref="NotVisible"/>.</param>
    /// <param name="classNames">Class names in label order; they fix the class count.</param>
    public MultiViewDataset(
        string name,
        int views,
        int channels,
        int height,
        int width,
        float[] data,
        int[] labels,
        int[] viewLabels,
        IReadOnlyList<string> classNames)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(viewLabels);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(views);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ValidateClassNames(classNames);

        long viewSize = (long)channels * height * width;
        long sampleSize = viewSize * views;
        if (sampleSize > int.MaxValue)
            throw new ArgumentException($"a sample of {views} views of {channels}x{height}x{width} is too large", nameof(views));
        int count = labels.Length;
        if (data.LongLength != count * sampleSize)
            throw new ArgumentException(
                $"data length {data.LongLength} does not match {count} samples x {views} views x {channels}x{height}x{width} = {count * sampleSize}",
                nameof(data));
        if (viewLabels.LongLength != (long)count * views)
            throw new ArgumentException(
                $"viewLabels length {viewLabels.LongLength} does not match {count} samples x {views} views = {(long)count * views}",
                nameof(viewLabels));

        int classCount = classNames.Count;
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
                throw new ArgumentException($"label of sample {i} is {labels[i]}, expected 0..{classCount - 1}", nameof(labels));
        }
        for (int i = 0; i < viewLabels.Length; i++)
        {
            int label = viewLabels[i];
            if (label != NotVisible && (uint)label >= (uint)classCount)
                throw new ArgumentException(
                    $"view label of sample {i / views} view {i % views} is {label}, expected 0..{classCount - 1} or NotVisible ({NotVisible})",
                    nameof(viewLabels));
        }
        int firstNonFinite = IndexOfNonFinite(data);
        if (firstNonFinite >= 0)
            throw new ArgumentException(
                $"data value of sample {firstNonFinite / sampleSize} view {firstNonFinite % sampleSize / viewSize} is {data[firstNonFinite]}, expected a finite number",
                nameof(data));

        Name = name;
        ViewCount = views;
        Channels = channels;
        Height = height;
        Width = width;
        ViewSize = (int)viewSize;
        SampleSize = (int)sampleSize;
        Count = count;
        ClassNames = classNames.ToArray();
        _data = data;
        _labels = labels;
        _viewLabels = viewLabels;
    }

    /// <summary>Human-readable name, e.g. "synthetic/train".</summary>
    public string Name { get; }

    /// <summary>Number of samples N.</summary>
    public int Count { get; }

    /// <summary>Number of views D (one per end device).</summary>
    public int ViewCount { get; }

    /// <summary>Channels C of each view (1 for grey, 3 for RGB).</summary>
    public int Channels { get; }
    /// <summary>Rows H of each view, in pixels.</summary>
    public int Height { get; }
    /// <summary>Columns W of each view, in pixels.</summary>
    public int Width { get; }

    /// <summary>Floats per view: C·H·W.</summary>
    public int ViewSize { get; }

    /// <summary>Floats per sample: D·C·H·W.</summary>
    public int SampleSize { get; }

    /// <summary>Class names in label order.</summary>
    public IReadOnlyList<string> ClassNames { get; }
    /// <summary>Number of classes; every label is below it.</summary>
    public int ClassCount => ClassNames.Count;

    /// <summary>All view data, laid out [n][d][c][h][w].</summary>
    public ReadOnlySpan<float> Data => _data;

    /// <summary>Global labels, one per sample.</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <summary>Per-view labels laid out [n][d]; <see cref="NotVisible"/> where the object is not visible.</summary>
    public ReadOnlySpan<int> ViewLabels => _viewLabels;

    /// <summary>Raw-offload size of one view: one byte per pixel per channel (8-bit sensor values).</summary>
    public int RawBytesPerDevicePerSample => ViewSize;

    /// <summary>All D views of sample <paramref name="sample"/>, laid out [d][c][h][w].</summary>
    public ReadOnlySpan<float> GetSample(int sample)
    {
        CheckSample(sample);
        return new ReadOnlySpan<float>(_data, sample * SampleSize, SampleSize);
    }

    /// <summary>View <paramref name="view"/> of sample <paramref name="sample"/>, laid out [c][h][w].</summary>
    public ReadOnlySpan<float> GetView(int sample, int view)
    {
        CheckSample(sample);
        CheckView(view);
        return new ReadOnlySpan<float>(_data, sample * SampleSize + view * ViewSize, ViewSize);
    }

    /// <summary>The global label of sample <paramref name="sample"/>.</summary>
    public int GetLabel(int sample)
    {
        CheckSample(sample);
        return _labels[sample];
    }

    /// <summary>The label of one view: the class, or <see cref="NotVisible"/> when the object is not in it.</summary>
    public int GetViewLabel(int sample, int view)
    {
        CheckSample(sample);
        CheckView(view);
        return _viewLabels[sample * ViewCount + view];
    }

    /// <summary>Copies the samples at <paramref name="indices"/> into <paramref name="views"/> as (B, D, C, H, W) and their global labels into <paramref name="labels"/>.</summary>
    public void CopyBatch(ReadOnlySpan<int> indices, Span<float> views, Span<int> labels)
    {
        CheckBatchBuffer(indices, views.Length, SampleSize, nameof(views));
        CheckBatchBuffer(indices, labels.Length, 1, nameof(labels));
        for (int b = 0; b < indices.Length; b++)
        {
            int sample = indices[b];
            CheckIndex(sample, b);
            _data.AsSpan(sample * SampleSize, SampleSize).CopyTo(views.Slice(b * SampleSize, SampleSize));
            labels[b] = _labels[sample];
        }
    }

    /// <summary>Copies the per-view labels of the samples at <paramref name="indices"/> into <paramref name="viewLabels"/> as (B, D).</summary>
    public void CopyViewLabels(ReadOnlySpan<int> indices, Span<int> viewLabels)
    {
        CheckBatchBuffer(indices, viewLabels.Length, ViewCount, nameof(viewLabels));
        for (int b = 0; b < indices.Length; b++)
        {
            int sample = indices[b];
            CheckIndex(sample, b);
            _viewLabels.AsSpan(sample * ViewCount, ViewCount).CopyTo(viewLabels.Slice(b * ViewCount, ViewCount));
        }
    }

    /// <summary>Copies one device's views of the samples at <paramref name="indices"/> into <paramref name="views"/> as (B, C, H, W) and that device's view labels into <paramref name="viewLabels"/>.</summary>
    public void CopyDeviceBatch(ReadOnlySpan<int> indices, int device, Span<float> views, Span<int> viewLabels)
    {
        CheckView(device);
        CheckBatchBuffer(indices, views.Length, ViewSize, nameof(views));
        CheckBatchBuffer(indices, viewLabels.Length, 1, nameof(viewLabels));
        for (int b = 0; b < indices.Length; b++)
        {
            int sample = indices[b];
            CheckIndex(sample, b);
            _data.AsSpan(sample * SampleSize + device * ViewSize, ViewSize).CopyTo(views.Slice(b * ViewSize, ViewSize));
            viewLabels[b] = _viewLabels[sample * ViewCount + device];
        }
    }

    /// <summary>A new dataset holding copies of the samples at <paramref name="indices"/>, in that order.</summary>
    public MultiViewDataset Subset(ReadOnlySpan<int> indices, string? name = null)
    {
        var data = new float[(long)indices.Length * SampleSize];
        var labels = new int[indices.Length];
        var viewLabels = new int[indices.Length * ViewCount];
        CopyBatch(indices, data, labels);
        CopyViewLabels(indices, viewLabels);
        return new MultiViewDataset(name ?? Name, ViewCount, Channels, Height, Width, data, labels, viewLabels, ClassNames);
    }

    /// <summary>A new dataset holding copies of the <paramref name="count"/> samples starting at <paramref name="start"/>.</summary>
    public MultiViewDataset Slice(int start, int count, string? name = null)
    {
        if (start < 0 || count < 0 || start > Count - count)
            throw new ArgumentOutOfRangeException(nameof(start), $"slice [{start}, {start}+{count}) is outside 0..{Count}");
        var data = _data.AsSpan(start * SampleSize, count * SampleSize).ToArray();
        var labels = _labels.AsSpan(start, count).ToArray();
        var viewLabels = _viewLabels.AsSpan(start * ViewCount, count * ViewCount).ToArray();
        return new MultiViewDataset(name ?? Name, ViewCount, Channels, Height, Width, data, labels, viewLabels, ClassNames);
    }

    /// <summary>Splits in order into the first <paramref name="firstCount"/> samples and the remaining samples.</summary>
    public (MultiViewDataset First, MultiViewDataset Second) SplitAt(int firstCount, string? firstName = null, string? secondName = null)
    {
        if ((uint)firstCount > (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(firstCount), $"split point {firstCount} is outside 0..{Count}");
        return (Slice(0, firstCount, firstName), Slice(firstCount, Count - firstCount, secondName));
    }

    /// <summary>Number of samples per global class.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassCount];
        foreach (int label in _labels)
            counts[label]++;
        return counts;
    }

    /// <summary>Fraction of samples in which the object is visible in view <paramref name="view"/> (1 when the data set has no samples).</summary>
    public double VisibleFraction(int view)
    {
        CheckView(view);
        if (Count == 0)
            return 1.0;
        int visible = 0;
        for (int i = 0; i < Count; i++)
        {
            if (_viewLabels[i * ViewCount + view] != NotVisible)
                visible++;
        }
        return (double)visible / Count;
    }

    /// <summary>True when this data set has the same view shape and classes as <paramref name="other"/>.</summary>
    public bool IsCompatibleWith(MultiViewDataset other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return ViewCount == other.ViewCount && Channels == other.Channels && Height == other.Height && Width == other.Width
            && ClassNames.SequenceEqual(other.ClassNames);
    }

    /// <summary>Name, sample count and view shape for messages, e.g. "synthetic/train: 3000 samples x 6 views x 3x32x32, 3 classes".</summary>
    public override string ToString() =>
        $"{Name}: {Count} samples x {ViewCount} views x {Channels}x{Height}x{Width}, {ClassCount} classes";

    /// <summary>Index of the first NaN or infinity, or -1; vectorized because full data sets hold ~10^8 values.</summary>
    private static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            // x - x is 0 for finite x and NaN for NaN or ±infinity.
            var zero = Vector<float>.Zero;
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(values.Slice(i));
                if (!Vector.EqualsAll(v - v, zero))
                    break;
            }
        }
        for (; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
                return i;
        }
        return -1;
    }

    private static void ValidateClassNames(IReadOnlyList<string> classNames)
    {
        if (classNames.Count == 0)
            throw new ArgumentException("at least one class name is required", nameof(classNames));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < classNames.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(classNames[i]))
                throw new ArgumentException($"class name {i} is empty", nameof(classNames));
            if (!seen.Add(classNames[i]))
                throw new ArgumentException($"class name '{classNames[i]}' appears twice", nameof(classNames));
        }
    }

    private void CheckSample(int sample)
    {
        if ((uint)sample >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(sample), $"sample index {sample} is outside 0..{Count - 1} of {Name}");
    }

    private void CheckView(int view)
    {
        if ((uint)view >= (uint)ViewCount)
            throw new ArgumentOutOfRangeException(nameof(view), $"view/device index {view} is outside 0..{ViewCount - 1} of {Name}");
    }

    private void CheckIndex(int sample, int position)
    {
        if ((uint)sample >= (uint)Count)
            throw new ArgumentOutOfRangeException("indices", $"indices[{position}] = {sample} is outside 0..{Count - 1} of {Name}");
    }

    private static void CheckBatchBuffer(ReadOnlySpan<int> indices, int length, int perSample, string name)
    {
        long needed = (long)indices.Length * perSample;
        if (length != needed)
            throw new ArgumentException($"{name} has length {length}, expected {indices.Length} x {perSample} = {needed}", name);
    }
}

using Ddnn.Core.Serving;
using Ddnn.Training.Data;

namespace Ddnn.Bench.Serving;

/// <summary>
/// A device's camera, played from a data split: sample id s is split sample s mod count, so ids may run past the split
/// (warm-up, endless serving) and a served run of ids M·count … M·count + count − 1 covers the split once, in order.
/// It keeps a copy of its own device's views only, so that the data set (every split, every view: about 400 MB for
/// MV-FMNIST) can be collected before the device serves; with it alive, the device processes' latency tail grew
/// (docs/serving.md).
/// </summary>
public sealed class DatasetSensor : IDeviceSensor
{
    private readonly int _device;
    private readonly int _viewSize;
    private readonly float[] _views;

    /// <summary>A sensor for device <paramref name="device"/> that copies that device's views of <paramref name="split"/>.</summary>
    public DatasetSensor(MultiViewDataset split, int device)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentOutOfRangeException.ThrowIfNegative(device);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(device, split.ViewCount);
        if (split.Count == 0) throw new ArgumentException($"the {split.Name} split is empty", nameof(split));
        (_device, _viewSize, Count) = (device, split.ViewSize, split.Count);
        _views = new float[(long)Count * _viewSize];
        for (var i = 0; i < Count; i++) split.GetView(i, device).CopyTo(_views.AsSpan(i * _viewSize, _viewSize));
    }

    /// <summary>Samples in the split.</summary>
    public int Count { get; }

    /// <summary>The split sample that sample id <paramref name="sample"/> shows.</summary>
    public int IndexOf(uint sample) => (int)(sample % (uint)Count);

    /// <inheritdoc/>
    public bool TryRead(int device, uint sample, Span<float> view)
    {
        if (device != _device || view.Length != _viewSize) return false;
        _views.AsSpan(IndexOf(sample) * _viewSize, _viewSize).CopyTo(view);
        return true;
    }
}

using Ddnn.Core.Serving;
using Ddnn.Training.Data;

namespace Ddnn.Bench.Serving;

/// <summary>
/// A device's camera, played from a data split: sample id s is split sample s mod count, so ids may run past the split
/// (warm-up, endless serving) and a served run of ids M·count … M·count + count − 1 covers the split once, in order.
/// </summary>
public sealed class DatasetSensor(MultiViewDataset split) : IDeviceSensor
{
    private readonly MultiViewDataset _split = split ?? throw new ArgumentNullException(nameof(split));

    /// <summary>The split sample that sample id <paramref name="sample"/> shows.</summary>
    public int IndexOf(uint sample) => (int)(sample % (uint)_split.Count);

    /// <inheritdoc/>
    public bool TryRead(int device, uint sample, Span<float> view)
    {
        if (_split.Count == 0 || device < 0 || device >= _split.ViewCount) return false;
        var source = _split.GetView(IndexOf(sample), device);
        if (source.Length != view.Length) return false;
        source.CopyTo(view);
        return true;
    }
}

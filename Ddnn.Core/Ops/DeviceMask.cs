namespace Ddnn.Core;

/// <summary>
/// Which devices are present for each sample of a batch (samples × devices). Device dropout can differ per
/// sample. Aggregators treat absent devices as missing: max/mean use only present devices, concatenation
/// fills an absent device's slot with zeros.
/// </summary>
public sealed class DeviceMask
{
    private readonly bool[] _present;

    /// <summary>A mask with every device present.</summary>
    public DeviceMask(int batch, int devices)
    {
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must be non-negative.");
        if (devices < 1) throw new ArgumentOutOfRangeException(nameof(devices), devices, "devices must be at least 1.");
        Batch = batch;
        Devices = devices;
        _present = new bool[batch * devices];
        Array.Fill(_present, true);
    }

    /// <summary>Number of samples.</summary>
    public int Batch { get; }

    /// <summary>Number of devices.</summary>
    public int Devices { get; }

    /// <summary>Whether <paramref name="device"/> is present for <paramref name="sample"/>.</summary>
    public bool IsPresent(int sample, int device) => _present[Index(sample, device)];

    /// <summary>Marks <paramref name="device"/> present or absent for <paramref name="sample"/>.</summary>
    public void Set(int sample, int device, bool present) => _present[Index(sample, device)] = present;

    /// <summary>Marks <paramref name="device"/> present or absent for every sample.</summary>
    public void SetDevice(int device, bool present)
    {
        for (var b = 0; b < Batch; b++) Set(b, device, present);
    }

    /// <summary>Number of devices present for <paramref name="sample"/>.</summary>
    public int CountPresent(int sample)
    {
        var count = 0;
        for (var d = 0; d < Devices; d++)
            if (_present[Index(sample, d)]) count++;
        return count;
    }

    private int Index(int sample, int device)
    {
        if ((uint)sample >= (uint)Batch) throw new ArgumentOutOfRangeException(nameof(sample), sample, $"sample must be in [0, {Batch}).");
        if ((uint)device >= (uint)Devices) throw new ArgumentOutOfRangeException(nameof(device), device, $"device must be in [0, {Devices}).");
        return sample * Devices + device;
    }
}

namespace Ddnn.Core.Runtime;

/// <summary>
/// Scripted failures for the cascade runtime, by sample range (inclusive): devices that do not answer, devices whose
/// messages are delayed, and an unreachable cloud. Deterministic; combine with link loss for random failures.
/// </summary>
public sealed class FaultScript
{
    private readonly List<(int Device, int From, int To)> _down = [];
    private readonly List<(int Device, double Ms, int From, int To)> _delays = [];
    private readonly List<(int From, int To)> _cloudDown = [];

    /// <summary>No failures.</summary>
    public static FaultScript None => new();

    /// <summary>Device <paramref name="device"/> sends nothing for samples <paramref name="from"/>..<paramref name="to"/>.</summary>
    public FaultScript DeviceDown(int device, int from = 0, int to = int.MaxValue)
    {
        CheckRange(from, to);
        ArgumentOutOfRangeException.ThrowIfNegative(device);
        _down.Add((device, from, to));
        return this;
    }

    /// <summary>Every message of device <paramref name="device"/> arrives <paramref name="extraMs"/> later.</summary>
    public FaultScript DeviceDelay(int device, double extraMs, int from = 0, int to = int.MaxValue)
    {
        CheckRange(from, to);
        ArgumentOutOfRangeException.ThrowIfNegative(device);
        if (!(extraMs >= 0) || double.IsInfinity(extraMs)) throw new ArgumentOutOfRangeException(nameof(extraMs), extraMs, "must be finite and non-negative.");
        _delays.Add((device, extraMs, from, to));
        return this;
    }

    /// <summary>The cloud receives nothing and answers nothing for these samples.</summary>
    public FaultScript CloudDown(int from = 0, int to = int.MaxValue)
    {
        CheckRange(from, to);
        _cloudDown.Add((from, to));
        return this;
    }

    /// <summary>True when a <see cref="DeviceDown"/> range covers <paramref name="sample"/> for <paramref name="device"/>.</summary>
    public bool IsDeviceDown(int device, long sample)
    {
        foreach (var f in _down) if (f.Device == device && sample >= f.From && sample <= f.To) return true;
        return false;
    }

    /// <summary>Extra delay in milliseconds of <paramref name="device"/>'s messages for <paramref name="sample"/>: the sum of the <see cref="DeviceDelay"/> ranges covering it.</summary>
    public double DeviceDelayMs(int device, long sample)
    {
        var total = 0.0;
        foreach (var f in _delays) if (f.Device == device && sample >= f.From && sample <= f.To) total += f.Ms;
        return total;
    }

    /// <summary>True when a <see cref="CloudDown"/> range covers <paramref name="sample"/>.</summary>
    public bool IsCloudDown(long sample)
    {
        foreach (var f in _cloudDown) if (sample >= f.From && sample <= f.To) return true;
        return false;
    }

    private static void CheckRange(int from, int to)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(from);
        if (to < from) throw new ArgumentOutOfRangeException(nameof(to), to, $"must be at least from ({from}).");
    }
}

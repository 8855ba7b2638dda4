using Ddnn.Core;
using Ddnn.Core.Randomness;

namespace Ddnn.Training.Trainer;

/// <summary>
/// Device-dropout training: each device of each sample is independently marked absent with probability p, so the
/// network learns to answer when any device fails. A sample never loses every device: when all draws say "drop",
/// one device chosen uniformly at random is kept (so the effective drop rate is p − p^D/D, slightly below p). Draws come
/// from a stream derived from (seed, epoch, batch) alone, so a resumed run makes exactly the same choices.
/// </summary>
public sealed class DeviceDropout
{
    /// <summary>Drops each device with <paramref name="probability"/> in [0, 1], draws derived from <paramref name="seed"/>.</summary>
    public DeviceDropout(double probability, ulong seed)
    {
        if (!(probability >= 0 && probability <= 1))
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "device dropout probability must be in [0, 1].");
        Probability = probability;
        Seed = seed;
    }

    /// <summary>The probability p that a device is dropped for one sample, in [0, 1].</summary>
    public double Probability { get; }
    /// <summary>The seed every (epoch, batch) draw stream is derived from.</summary>
    public ulong Seed { get; }

    /// <summary>Fills <paramref name="mask"/> for batch <paramref name="batchIndex"/> of <paramref name="epoch"/>.</summary>
    public void Apply(DeviceMask mask, int epoch, int batchIndex)
    {
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfNegative(batchIndex);
        var rng = SeededRandom.Derive(Seed, ((ulong)epoch << 32) | (uint)batchIndex);
        for (var b = 0; b < mask.Batch; b++)
        {
            var kept = 0;
            for (var d = 0; d < mask.Devices; d++)
            {
                var keep = Probability == 0 || rng.NextDouble() >= Probability;
                mask.Set(b, d, keep);
                if (keep) kept++;
            }
            if (kept == 0) mask.Set(b, rng.NextInt(mask.Devices), true);
        }
    }
}

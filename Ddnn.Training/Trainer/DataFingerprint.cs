using System.Runtime.InteropServices;
using Ddnn.Core.State;
using Ddnn.Training.Data;

namespace Ddnn.Training.Trainer;

/// <summary>
/// A cheap identity of a training split (sample count, view shape, CRC-32 of the labels and of the first and last
/// samples), stored in checkpoints so that resuming on different data fails loudly instead of silently diverging.
/// </summary>
internal static class DataFingerprint
{
    /// <summary>The fingerprint of <paramref name="data"/>; equal strings mean (almost certainly) the same split.</summary>
    public static string Of(MultiViewDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var crc = Crc32.Compute(MemoryMarshal.AsBytes(data.Labels));
        crc = Crc32.Append(crc, MemoryMarshal.AsBytes(data.ViewLabels));
        if (data.Count > 0)
        {
            crc = Crc32.Append(crc, MemoryMarshal.AsBytes(data.GetSample(0)));
            crc = Crc32.Append(crc, MemoryMarshal.AsBytes(data.GetSample(data.Count - 1)));
        }
        return $"{data.Count}x{data.ViewCount}x{data.Channels}x{data.Height}x{data.Width}/{data.ClassCount}:{crc:x8}";
    }
}

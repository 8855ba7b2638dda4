using Ddnn.Kernels.Binary;

namespace Ddnn.Core.Deploy;

/// <summary>
/// The per-call memory of a <see cref="DevicePartition"/>: every block's packed output and the kernels' scratch, so a
/// run allocates nothing. One workspace serves one call at a time; threads that run the same partition concurrently
/// each use their own (<see cref="DevicePartition.CreateWorkspace"/>).
/// </summary>
public sealed class DeviceWorkspace
{
    internal DeviceWorkspace(DevicePartition partition)
    {
        Partition = partition;
        (Outputs, Scratch) = PackedConvBlock.AllocateChain(partition.Blocks);
        Tight = partition.FusedTightExit ? new ulong[partition.Exit.TightRowWords] : [];
    }

    /// <summary>The partition this workspace was made for.</summary>
    public DevicePartition Partition { get; }

    /// <summary>The packed feature map of the last run in this workspace, <c>(H, W, WordsFor(f))</c>.</summary>
    public ReadOnlySpan<ulong> Features => Outputs[^1];

    /// <summary>Samples run in this workspace.</summary>
    public long Runs { get; internal set; }

    /// <summary>
    /// What the first block did over those runs, added up: split-sum groups tried and recomputed in the exact summation
    /// order, and tight maps written by pooling.
    /// </summary>
    public FloatBlockStats FirstBlockStats { get; internal set; }

    internal ulong[][] Outputs { get; }

    /// <summary>The feature map in the exit's tight packing, when the first block writes it (<see cref="DevicePartition.FusedTightExit"/>).</summary>
    internal ulong[] Tight { get; }
    internal ulong[] Scratch { get; }
}

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
    /// Of those runs' first-layer channel groups that tried the split-sum shortcut (<see cref="Runs"/> ×
    /// <see cref="DevicePartition.SplitSumGroups"/>), how many were recomputed in the exact summation order because a
    /// cell lay within the shortcut's error margin of its threshold, or the input was not finite or above 1e30.
    /// </summary>
    public long ExactOrderGroups { get; internal set; }

    /// <summary>First-layer channel groups that tried the split-sum shortcut: <see cref="Runs"/> × <see cref="DevicePartition.SplitSumGroups"/>.</summary>
    public long SplitSumGroupsTried => Runs * Partition.SplitSumGroups;

    internal ulong[][] Outputs { get; }

    /// <summary>The feature map in the exit's tight packing, when the first block writes it (<see cref="DevicePartition.FusedTightExit"/>).</summary>
    internal ulong[] Tight { get; }
    internal ulong[] Scratch { get; }
}

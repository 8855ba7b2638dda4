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
    }

    /// <summary>The partition this workspace was made for.</summary>
    public DevicePartition Partition { get; }

    /// <summary>The packed feature map of the last run in this workspace, <c>(H, W, WordsFor(f))</c>.</summary>
    public ReadOnlySpan<ulong> Features => Outputs[^1];

    internal ulong[][] Outputs { get; }
    internal ulong[] Scratch { get; }
}

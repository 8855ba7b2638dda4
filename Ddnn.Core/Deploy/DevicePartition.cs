using Ddnn.Kernels.Binary;

namespace Ddnn.Core.Deploy;

/// <summary>
/// An end device's exported program: its blocks (the first on float input, the rest on packed bits) and its exit.
/// One sample per run, allocation-free. <see cref="Run(ReadOnlySpan{float}, Span{float})"/> uses the partition's own
/// workspace (its feature map stays in <see cref="Features"/> until the next run) and throws if two threads call it at
/// once; concurrent callers each pass their own <see cref="DeviceWorkspace"/> from <see cref="CreateWorkspace"/>.
/// </summary>
public sealed class DevicePartition
{
    private readonly DeviceWorkspace _own;
    private readonly string _name;
    private SingleCallerGuard _guard;

    /// <summary>Creates the partition; the blocks must chain (each block's output is the next block's input).</summary>
    public DevicePartition(int index, PackedConvBlock[] blocks, PackedExit exit)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(exit);
        if (blocks.Length == 0) throw new ArgumentException("a device partition needs at least one block.", nameof(blocks));
        if (!blocks[0].FloatInput) throw new ArgumentException("a device's first block must read the float sensor input.", nameof(blocks));
        for (var k = 1; k < blocks.Length; k++)
        {
            var (prev, next) = (blocks[k - 1], blocks[k]);
            if (next.FloatInput || next.InChannels != prev.OutChannels || next.Height != prev.OutHeight || next.Width != prev.OutWidth)
                throw new ArgumentException($"device {index} block {k} reads {(next.FloatInput ? "floats" : "bits")} ({next.InChannels}, {next.Height}, {next.Width}) but block {k - 1} outputs bits ({prev.OutChannels}, {prev.OutHeight}, {prev.OutWidth}).", nameof(blocks));
        }
        var last = blocks[^1];
        if (exit.Channels != last.OutChannels || exit.Height != last.OutHeight || exit.Width != last.OutWidth)
            throw new ArgumentException($"device {index} exit reads ({exit.Channels}, {exit.Height}, {exit.Width}) but the last block outputs ({last.OutChannels}, {last.OutHeight}, {last.OutWidth}).", nameof(exit));
        Index = index;
        Blocks = blocks;
        Exit = exit;
        ScoreQuantizer = ScoreQuantizer.For(exit);
        FusedTightExit = blocks.Length == 1 && exit.ReadsTight && blocks[0].TightWords == exit.TightRowWords;
        _name = $"device {index} partition";
        _own = new DeviceWorkspace(this);
    }

    /// <summary>Device index in the model.</summary>
    public int Index { get; }

    /// <summary>The device's conv-pool-sign blocks in run order; the first reads the float sensor input.</summary>
    public PackedConvBlock[] Blocks { get; }
    /// <summary>The device exit, reading the last block's packed feature map.</summary>
    public PackedExit Exit { get; }

    /// <summary>How this device's exit logits travel as uint8 scores (derived from <see cref="Exit"/>).</summary>
    public ScoreQuantizer ScoreQuantizer { get; }

    /// <summary>Float input length C·H·W of one sample.</summary>
    public int InputLength => Blocks[0].InChannels * Blocks[0].Height * Blocks[0].Width;

    /// <summary>Channels f of the feature map sent upward.</summary>
    public int FeatureChannels => Blocks[^1].OutChannels;

    /// <summary>Height and width of the feature map sent upward.</summary>
    public (int Height, int Width) FeatureSize => (Blocks[^1].OutHeight, Blocks[^1].OutWidth);

    /// <summary>
    /// True for a one-block device whose exit repacks its input tight: the block then writes the tight map itself
    /// (from its pooled bits where it can) and the exit reads it, instead of repacking the feature map.
    /// </summary>
    internal bool FusedTightExit { get; }

    /// <summary>The first block's stats over the runs on the partition's own workspace (<see cref="DeviceWorkspace.FirstBlockStats"/>).</summary>
    public FloatBlockStats OwnFirstBlockStats => _own.FirstBlockStats;

    /// <summary>The packed feature map of the last run on the partition's own workspace, <c>(H, W, WordsFor(f))</c>.</summary>
    public ReadOnlySpan<ulong> Features => _own.Features;

    /// <summary>Parameter bytes as stored (packed weights, thresholds, float bias and BN of the exit).</summary>
    public long ParameterBytes
    {
        get
        {
            var bytes = Exit.ParameterBytes;
            foreach (var b in Blocks) bytes += b.ParameterBytes;
            return bytes;
        }
    }

    /// <summary>
    /// Parameter bits stored tight (weights 1 bit, thresholds and float values 32 bits), comparable to the paper's count
    /// (which keeps BN's four floats per channel where the export keeps one threshold). The kernel layout
    /// (<see cref="ParameterBytes"/>) pads every pixel's channels to 64-bit words, which costs more when f is small.
    /// </summary>
    public long TightParameterBits
    {
        get
        {
            var bits = Exit.TightBits;
            foreach (var b in Blocks) bits += b.TightBits;
            return bits;
        }
    }

    /// <summary>
    /// Peak working bytes of one sample: the largest step, a block (its input — the float sample for block 0 —,
    /// kernel scratch and output alive together, plus the tight map a fused first block writes) or the exit (map and
    /// logits).
    /// </summary>
    public long PeakWorkingBytes
    {
        get
        {
            long peak = 0;
            for (var k = 0; k < Blocks.Length; k++)
            {
                var b = Blocks[k];
                var input = k == 0 ? 4L * InputLength : 8L * b.InputWords;
                var tight = k == 0 && FusedTightExit ? 8L * Exit.TightRowWords : 0;
                peak = Math.Max(peak, input + b.ScratchBytes + 8L * b.OutputWords + tight);
            }
            return Math.Max(peak, 8L * Exit.RowWords + 4L * Exit.Classes);
        }
    }

    /// <summary>A fresh workspace for running this partition on another thread.</summary>
    public DeviceWorkspace CreateWorkspace() => new(this);

    /// <summary>
    /// Runs one sample (float NCHW <c>(C, H, W)</c>) on the partition's own workspace and writes the exit logits.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another thread is running this partition's own workspace.</exception>
    public void Run(ReadOnlySpan<float> input, Span<float> logits)
    {
        _guard.Enter(_name);
        try { Run(input, logits, _own); }
        finally { _guard.Exit(); }
    }

    /// <summary>Runs one sample in <paramref name="workspace"/> (which then holds its feature map) and writes the exit logits.</summary>
    public void Run(ReadOnlySpan<float> input, Span<float> logits, DeviceWorkspace workspace)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        if (!ReferenceEquals(workspace.Partition, this))
            throw new ArgumentException($"the workspace belongs to device {workspace.Partition.Index}'s partition, not to this one (device {Index}).", nameof(workspace));
        if (input.Length != InputLength)
            throw new ArgumentException($"device {Index} input has {input.Length} values, expected {InputLength} (C·H·W).", nameof(input));
        var outputs = workspace.Outputs;
        workspace.Runs++;
        if (FusedTightExit)
        {
            workspace.FirstBlockStats += Blocks[0].Run(input, outputs[0], workspace.Scratch, workspace.Tight);
            Exit.RunTight(workspace.Tight, logits);
            return;
        }
        workspace.FirstBlockStats += Blocks[0].Run(input, outputs[0], workspace.Scratch);
        for (var k = 1; k < Blocks.Length; k++) Blocks[k].Run(outputs[k - 1], outputs[k], workspace.Scratch);
        Exit.Run(outputs[^1], logits);
    }

    /// <summary>Bytes of the packed feature map on the wire: ceil(f·H·W / 8).</summary>
    public int FeatureWireBytes => (FeatureChannels * FeatureSize.Height * FeatureSize.Width + 7) / 8;
}

using Ddnn.Core.Model;
using Ddnn.Kernels.Binary;

namespace Ddnn.Core.Deploy;

/// <summary>
/// An edge node or the cloud: fuses the packed feature maps of its inputs (devices, or edges for the cloud) with its
/// aggregator, runs its blocks and its exit. The map it sends upward (edges) stays in <see cref="Features"/> until
/// the next run. Holds scratch buffers: one thread at a time (a concurrent second call throws
/// <see cref="InvalidOperationException"/>). A run allocates nothing.
/// </summary>
public sealed class FusionPartition
{
    private readonly ulong[] _plus, _minus, _scratch;
    private SingleCallerGuard _guard;
    private readonly float[] _mean;
    private readonly ulong[][] _outputs;

    /// <summary>Creates the partition and checks that inputs, blocks and exit chain.</summary>
    public FusionPartition(string name, Aggregation aggregator, int[] inputChannels, int height, int width,
        PackedConvBlock[] blocks, PackedExit exit)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(inputChannels);
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(exit);
        if (inputChannels.Length == 0) throw new ArgumentException($"{name} needs at least one input.", nameof(inputChannels));
        foreach (var c in inputChannels)
            if (c < 1) throw new ArgumentException($"{name}: input channels must be at least 1, got {c}.", nameof(inputChannels));
        if (aggregator != Aggregation.Concat && inputChannels.Distinct().Count() != 1)
            throw new ArgumentException($"{name}: {aggregator.ToShortName()} needs inputs with equal channels.", nameof(inputChannels));
        Name = name;
        Aggregator = aggregator;
        InputChannels = inputChannels;
        Height = height;
        Width = width;
        Blocks = blocks;
        Exit = exit;
        FusedChannels = aggregator == Aggregation.Concat ? inputChannels.Sum() : inputChannels[0];

        int channels = FusedChannels, h = height, w = width;
        var floatIn = aggregator == Aggregation.AveragePool;
        for (var k = 0; k < blocks.Length; k++)
        {
            var b = blocks[k];
            if (b.FloatInput != floatIn || b.InChannels != channels || b.Height != h || b.Width != w)
                throw new ArgumentException($"{name} block {k} reads {(b.FloatInput ? "floats" : "bits")} ({b.InChannels}, {b.Height}, {b.Width}) but receives {(floatIn ? "floats" : "bits")} ({channels}, {h}, {w}).", nameof(blocks));
            (channels, h, w, floatIn) = (b.OutChannels, b.OutHeight, b.OutWidth, false);
        }
        if (exit.Channels != channels || exit.Height != h || exit.Width != w)
            throw new ArgumentException($"{name} exit reads ({exit.Channels}, {exit.Height}, {exit.Width}) but receives ({channels}, {h}, {w}).", nameof(exit));
        var fusedWords = height * width * BitPacking.WordsFor(FusedChannels);
        _plus = new ulong[fusedWords];
        _minus = new ulong[fusedWords];
        _mean = aggregator == Aggregation.AveragePool ? new float[FusedChannels * height * width] : [];
        (_outputs, _scratch) = PackedConvBlock.AllocateChain(blocks);
    }

    /// <summary>"edge{e}" or "cloud".</summary>
    public string Name { get; }

    /// <summary>How the input maps are fused before the blocks (max, average or concatenation).</summary>
    public Aggregation Aggregator { get; }

    /// <summary>Channels of each input map, input 0 first.</summary>
    public int[] InputChannels { get; }

    /// <summary>Height of every input map.</summary>
    public int Height { get; }

    /// <summary>Width of every input map.</summary>
    public int Width { get; }

    /// <summary>The blocks run on the fused map, in order (may be empty: the exit then reads the fused map).</summary>
    public PackedConvBlock[] Blocks { get; }
    /// <summary>This tier's exit, reading the last block's map (or the fused map without blocks).</summary>
    public PackedExit Exit { get; }

    /// <summary>Channels after fusion.</summary>
    public int FusedChannels { get; }

    /// <summary>The packed map of the last run that this partition sends upward (empty without blocks).</summary>
    public ReadOnlySpan<ulong> Features => Blocks.Length == 0 ? [] : _outputs[^1];

    /// <summary>Parameter bytes as stored.</summary>
    public long ParameterBytes
    {
        get
        {
            var bytes = Exit.ParameterBytes;
            foreach (var b in Blocks) bytes += b.ParameterBytes;
            return bytes;
        }
    }

    /// <summary>Packed words of input <paramref name="i"/>.</summary>
    public int InputWords(int i) => Height * Width * BitPacking.WordsFor(InputChannels[i]);

    /// <summary>
    /// Fuses the inputs (null = absent), runs the blocks and writes the exit logits. With no input present the fused
    /// map is all zeros, as in the training graph (an edge whose devices are all absent still computes its exit).
    /// </summary>
    /// <exception cref="InvalidOperationException">Another thread is running this partition.</exception>
    public void Run(IReadOnlyList<ulong[]?> inputs, Span<float> logits)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        _guard.Enter(Name);
        try { RunInputs(inputs, logits); }
        finally { _guard.Exit(); }
    }

    private void RunInputs(IReadOnlyList<ulong[]?> inputs, Span<float> logits)
    {
        if (inputs.Count != InputChannels.Length)
            throw new ArgumentException($"{Name} expects {InputChannels.Length} inputs, got {inputs.Count}.", nameof(inputs));
        var present = 0;
        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i] is not { } input) continue;
            if (input.Length != InputWords(i))
                throw new ArgumentException($"{Name} input {i} has {input.Length} words, expected {InputWords(i)}.", nameof(inputs));
            present++;
        }
        var pixels = Height * Width;
        if (Aggregator == Aggregation.AveragePool)
        {
            // With no input present the graph's mean is all zeros.
            if (present == 0) _mean.AsSpan().Clear();
            else FeatureFusion.Mean(inputs, FusedChannels, pixels, _mean);
            if (Blocks.Length == 0) { Exit.Run(_mean.AsSpan(), logits); return; }
            Blocks[0].Run(_mean.AsSpan(), _outputs[0], _scratch);
        }
        else
        {
            var zeros = false;
            if (Aggregator == Aggregation.Concat) zeros = FeatureFusion.Concat(inputs, InputChannels, pixels, _plus, _minus);
            else if (present > 0) FeatureFusion.Max(inputs, _plus);
            else
            {
                // With no input present the graph's max is all zeros: every channel is a zero slot.
                FeatureFusion.Concat(new ulong[]?[] { null }, [FusedChannels], pixels, _plus, _minus);
                zeros = true;
            }
            if (Blocks.Length == 0)
            {
                if (zeros) Exit.RunWithZeros(_plus, _minus, logits);
                else Exit.Run(_plus.AsSpan(), logits);
                return;
            }
            if (zeros) Blocks[0].RunWithZeros(_plus, _minus, _outputs[0]);
            else Blocks[0].Run(_plus.AsSpan(), _outputs[0], _scratch);
        }
        for (var k = 1; k < Blocks.Length; k++) Blocks[k].Run(_outputs[k - 1].AsSpan(), _outputs[k], _scratch);
        Exit.Run(_outputs[^1].AsSpan(), logits);
    }
}

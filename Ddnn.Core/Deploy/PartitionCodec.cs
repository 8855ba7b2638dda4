using Ddnn.Core.Inference;
using Ddnn.Core.IO;
using Ddnn.Core.Model;
using Ddnn.Kernels.Binary;

namespace Ddnn.Core.Deploy;

/// <summary>
/// Payloads of the partition sections: blocks, exits, device, local, edge and cloud partitions. Reading checks every
/// field (ranges, finiteness, zero tail bits) and every shape against the partition the configuration expects.
/// </summary>
internal static class PartitionCodec
{
    private const int MaxDim = 1 << 16;

    public static void WriteBlock(PayloadWriter w, PackedConvBlock b)
    {
        w.Int(b.InChannels); w.Int(b.OutChannels); w.Int(b.Height); w.Int(b.Width);
        w.Int(b.Pool.Kernel); w.Int(b.Pool.Stride); w.Int(b.Pool.Pad);
        w.Byte(b.FloatInput ? (byte)1 : (byte)0);
        w.Words(b.Weights);
        if (b.FloatInput)
        {
            foreach (var x in b.Bias) w.Float(x);
            foreach (var t in b.FloatThresholds) { w.Float(t.Threshold); w.Byte(t.Flip ? (byte)1 : (byte)0); }
        }
        else
        {
            foreach (var t in b.Thresholds) { w.Int(t.Threshold); w.Byte((byte)t.Mode); }
        }
    }

    public static PackedConvBlock ReadBlock(PayloadReader r, PackedConvBlock expected, string name)
    {
        var inC = r.Int($"{name} input channels", 1, MaxDim);
        var outC = r.Int($"{name} output channels", 1, MaxDim);
        var h = r.Int($"{name} height", 1, MaxDim);
        var w = r.Int($"{name} width", 1, MaxDim);
        var pool = new PoolSpec(r.Int($"{name} pool kernel", 1, 64), r.Int($"{name} pool stride", 1, 64), r.Int($"{name} pool padding", 0, 63));
        var floatInput = r.Byte($"{name} float-input flag", 1) == 1;
        if (inC != expected.InChannels || outC != expected.OutChannels || h != expected.Height || w != expected.Width
            || pool != expected.Pool || floatInput != expected.FloatInput)
            throw r.Error($"{name} is ({inC} -> {outC}, {h}x{w}, pool k{pool.Kernel} s{pool.Stride} p{pool.Pad}, {(floatInput ? "float" : "binary")} input) but the configuration needs ({expected.InChannels} -> {expected.OutChannels}, {expected.Height}x{expected.Width}, pool k{expected.Pool.Kernel} s{expected.Pool.Stride} p{expected.Pool.Pad}, {(expected.FloatInput ? "float" : "binary")} input).");
        var weights = r.Words($"{name} weights", expected.Weights.Length);
        CheckTails(r, weights, inC, $"{name} weights");
        try
        {
            if (floatInput)
            {
                var bias = new float[outC];
                for (var c = 0; c < outC; c++) bias[c] = r.FiniteFloat($"{name} bias[{c}]");
                var thresholds = new FloatSignThreshold[outC];
                for (var c = 0; c < outC; c++) thresholds[c] = new FloatSignThreshold(r.Float($"{name} threshold[{c}]"), r.Byte($"{name} flip[{c}]", 1) == 1);
                return new PackedConvBlock(inC, outC, h, w, pool, weights, null, bias, thresholds);
            }
            var integer = new SignThreshold[outC];
            for (var c = 0; c < outC; c++) integer[c] = new SignThreshold(r.Int($"{name} threshold[{c}]"), (SignThresholdMode)r.Byte($"{name} threshold mode[{c}]", 3));
            return new PackedConvBlock(inC, outC, h, w, pool, weights, integer, null, null);
        }
        catch (ArgumentException e)
        {
            throw r.Error($"{name} does not fit together: {e.Message}");
        }
    }

    public static void WriteExit(PayloadWriter w, PackedExit e)
    {
        w.Int(e.Channels); w.Int(e.Height); w.Int(e.Width); w.Int(e.Classes);
        w.Words(e.Weights);
        foreach (var x in e.Bias) w.Float(x);
        foreach (var n in e.Norm) { w.Float(n.Scale); w.Float(n.Shift); }
    }

    public static PackedExit ReadExit(PayloadReader r, PackedExit expected, string name)
    {
        var c = r.Int($"{name} channels", 1, MaxDim);
        var h = r.Int($"{name} height", 1, MaxDim);
        var w = r.Int($"{name} width", 1, MaxDim);
        var classes = r.Int($"{name} classes", 2, MaxDim);
        if (c != expected.Channels || h != expected.Height || w != expected.Width || classes != expected.Classes)
            throw r.Error($"{name} reads ({c}, {h}, {w}) into {classes} classes but the configuration needs ({expected.Channels}, {expected.Height}, {expected.Width}) into {expected.Classes}.");
        var weights = r.Words($"{name} weights", expected.Weights.Length);
        CheckTails(r, weights, c, $"{name} weights");
        var bias = new float[classes];
        for (var j = 0; j < classes; j++) bias[j] = r.FiniteFloat($"{name} bias[{j}]");
        var norm = new EvalBatchNorm[classes];
        for (var j = 0; j < classes; j++) norm[j] = new EvalBatchNorm(r.FiniteFloat($"{name} scale[{j}]"), r.FiniteFloat($"{name} shift[{j}]"));
        return new PackedExit(c, h, w, classes, weights, bias, norm);
    }

    public static void WriteDevice(PayloadWriter w, DevicePartition d)
    {
        w.Int(d.Blocks.Length);
        foreach (var b in d.Blocks) WriteBlock(w, b);
        WriteExit(w, d.Exit);
    }

    public static DevicePartition ReadDevice(PayloadReader r, DevicePartition expected)
    {
        var blocks = ReadBlocks(r, expected.Blocks, $"dev{expected.Index}");
        var exit = ReadExit(r, expected.Exit, $"dev{expected.Index} exit");
        return new DevicePartition(expected.Index, blocks, exit);
    }

    public static void WriteLocal(PayloadWriter w, LocalPartition l)
    {
        w.Byte((byte)l.Aggregator); w.Int(l.Devices); w.Int(l.Classes);
        if (l.Exit is not null) WriteExit(w, l.Exit);
        foreach (var q in l.DeviceScores)
        {
            w.Floats(q.Lower);
            w.Floats(q.Upper);
        }
        w.Byte((byte)l.Scores);
    }

    public static LocalPartition ReadLocal(PayloadReader r, LocalPartition expected)
    {
        var aggregation = (Aggregation)r.Byte("local aggregator", 2);
        var devices = r.Int("local devices", 1, MaxDim);
        var classes = r.Int("local classes", 2, MaxDim);
        if (aggregation != expected.Aggregator || devices != expected.Devices || classes != expected.Classes)
            throw r.Error($"local aggregator is {aggregation.ToShortName()} over {devices} devices x {classes} classes but the configuration needs {expected.Aggregator.ToShortName()} over {expected.Devices} x {expected.Classes}.");
        var exit = expected.Exit is null ? null : ReadExit(r, expected.Exit, "local exit");
        var scores = new ScoreQuantizer[devices];
        for (var d = 0; d < devices; d++)
        {
            var lower = new float[classes];
            var upper = new float[classes];
            for (var j = 0; j < classes; j++) lower[j] = r.FiniteFloat($"device {d} score lower[{j}]");
            for (var j = 0; j < classes; j++) upper[j] = r.FiniteFloat($"device {d} score upper[{j}]");
            for (var j = 0; j < classes; j++)
                if (lower[j] > upper[j])
                    throw r.Error($"device {d}'s score range of class {j} is empty: lower {lower[j]} > upper {upper[j]}.");
            scores[d] = new ScoreQuantizer(lower, upper);
        }
        var encoding = (ScoreEncoding)r.Byte("score encoding", (byte)ScoreEncoding.UInt8);
        return new LocalPartition(aggregation, devices, classes, exit, scores, encoding);
    }

    public static void WriteFusion(PayloadWriter w, FusionPartition f)
    {
        w.Byte((byte)f.Aggregator);
        w.Int(f.InputChannels.Length);
        foreach (var c in f.InputChannels) w.Int(c);
        w.Int(f.Height); w.Int(f.Width);
        w.Int(f.Blocks.Length);
        foreach (var b in f.Blocks) WriteBlock(w, b);
        WriteExit(w, f.Exit);
    }

    public static FusionPartition ReadFusion(PayloadReader r, FusionPartition expected)
    {
        var name = expected.Name;
        var aggregation = (Aggregation)r.Byte($"{name} aggregator", 2);
        var inputs = r.Int($"{name} input count", 1, MaxDim);
        if (aggregation != expected.Aggregator || inputs != expected.InputChannels.Length)
            throw r.Error($"{name} fuses {inputs} inputs with {aggregation.ToShortName()} but the configuration needs {expected.InputChannels.Length} with {expected.Aggregator.ToShortName()}.");
        var channels = new int[inputs];
        for (var i = 0; i < inputs; i++)
        {
            channels[i] = r.Int($"{name} input {i} channels", 1, MaxDim);
            if (channels[i] != expected.InputChannels[i])
                throw r.Error($"{name} input {i} has {channels[i]} channels but the configuration needs {expected.InputChannels[i]}.");
        }
        var h = r.Int($"{name} height", 1, MaxDim);
        var w = r.Int($"{name} width", 1, MaxDim);
        if (h != expected.Height || w != expected.Width)
            throw r.Error($"{name} input maps are {h}x{w} but the configuration needs {expected.Height}x{expected.Width}.");
        var blocks = ReadBlocks(r, expected.Blocks, name);
        var exit = ReadExit(r, expected.Exit, $"{name} exit");
        return new FusionPartition(name, aggregation, channels, h, w, blocks, exit);
    }

    private static PackedConvBlock[] ReadBlocks(PayloadReader r, PackedConvBlock[] expected, string owner)
    {
        var count = r.Int($"{owner} block count", 0, MaxDim);
        if (count != expected.Length) throw r.Error($"{owner} has {count} blocks but the configuration needs {expected.Length}.");
        var blocks = new PackedConvBlock[count];
        for (var k = 0; k < count; k++) blocks[k] = ReadBlock(r, expected[k], $"{owner} block {k}");
        return blocks;
    }

    /// <summary>Unused bits of each pixel's last word must be zero (every kernel relies on it).</summary>
    private static void CheckTails(PayloadReader r, ulong[] words, int channels, string what)
    {
        if (channels % 64 == 0) return;
        var perPixel = BitPacking.WordsFor(channels);
        var mask = ~0UL << (channels % 64);
        for (var i = perPixel - 1; i < words.Length; i += perPixel)
            if ((words[i] & mask) != 0) throw r.Error($"{what}: word {i} has bits set beyond channel {channels - 1} (tails must be zero).");
    }
}

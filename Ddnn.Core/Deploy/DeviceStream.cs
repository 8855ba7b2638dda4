using System.Buffers.Binary;
using Ddnn.Core.Inference;

namespace Ddnn.Core.Deploy;

/// <summary>
/// Runs one device partition over a stream of views and writes, for each view, the two messages the device would send:
/// its scores message and its feature message (<see cref="WireMessage"/>), each framed by its length. This is the
/// whole program of a device that reads its frames from a file or pipe (the NativeAOT host in
/// <c>tests/Ddnn.PackageConsumer</c>, and <c>ddnn device</c> under the JIT).
/// </summary>
/// <remarks>
/// Views: float32 little-endian, <see cref="DevicePartition.InputLength"/> values (C·H·W, NCHW) each, back to back.
/// Output per view, sample ids counting up from the first: <c>uint32 LE length, scores message, uint32 LE length,
/// feature message</c>. Each view's messages are flushed before the next view is read, as a device sends them.
/// </remarks>
public static class DeviceStream
{
    /// <summary>Bytes of the length that precedes every message in the output.</summary>
    public const int LengthPrefixBytes = 4;

    /// <summary>Bytes one view's messages take in the output, both length prefixes included.</summary>
    public static int BytesPerView(DevicePartition partition, int classes, ScoreEncoding scores)
    {
        ArgumentNullException.ThrowIfNull(partition);
        var (h, w) = partition.FeatureSize;
        return 2 * LengthPrefixBytes + WireMessage.ScoresBytes(classes, scores) + WireMessage.FeaturesBytes(partition.FeatureChannels, h, w);
    }

    /// <summary>
    /// Runs every view of <paramref name="views"/> through <paramref name="partition"/> (on its own workspace) and writes
    /// the framed messages to <paramref name="messages"/>; the first view is sample <paramref name="firstSample"/>.
    /// Returns the number of views run.
    /// </summary>
    /// <exception cref="InvalidDataException">The stream ends inside a view (the view and the bytes are named).</exception>
    public static long Run(DevicePartition partition, Stream views, Stream messages, ScoreEncoding scores, uint firstSample = 0)
    {
        ArgumentNullException.ThrowIfNull(partition);
        ArgumentNullException.ThrowIfNull(views);
        ArgumentNullException.ThrowIfNull(messages);
        if (partition.Index is < 0 or > byte.MaxValue)
            throw new ArgumentException($"device index {partition.Index} does not fit the one-byte sender of a message.", nameof(partition));
        var classes = partition.Exit.Classes;
        var (h, w) = partition.FeatureSize;
        var raw = new byte[4 * partition.InputLength];
        var view = new float[partition.InputLength];
        var logits = new float[classes];
        var output = new byte[BytesPerView(partition, classes, scores)];
        var sender = (byte)partition.Index;
        long count = 0;
        while (true)
        {
            var got = views.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
            if (got == 0) return count;
            if (got < raw.Length)
                throw new InvalidDataException($"views: the stream ends {got} bytes into view {count}; each view is {raw.Length} bytes ({partition.InputLength} float32 values, C·H·W).");
            for (var i = 0; i < view.Length; i++) view[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(4 * i));
            partition.Run(view, logits);
            var sample = unchecked(firstSample + (uint)count);
            var at = Framed(output, 0, WireMessage.WriteScores(sender, sample, logits, scores, partition.ScoreQuantizer, output.AsSpan(LengthPrefixBytes)));
            at = Framed(output, at, WireMessage.WriteFeatures(sender, sample, partition.Features, partition.FeatureChannels, h, w, output.AsSpan(at + LengthPrefixBytes)));
            messages.Write(output, 0, at);
            messages.Flush();
            count++;
        }
    }

    /// <summary>Writes the length of the message just written after <paramref name="at"/>; returns where the next frame starts.</summary>
    private static int Framed(byte[] output, int at, int length)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(at), (uint)length);
        return at + LengthPrefixBytes + length;
    }
}

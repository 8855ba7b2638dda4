using System.Buffers;
using System.Buffers.Binary;
using Ddnn.Core.Inference;
using Ddnn.Kernels.Binary;

namespace Ddnn.Core.Deploy;

/// <summary>Kinds of messages between tiers (the first byte of every message).</summary>
public enum WireMessageKind : byte
{
    /// <summary>Device → local aggregator: class scores (logits) as float32.</summary>
    ScoresFloat32 = 1,

    /// <summary>Device → local aggregator: class scores quantized to uint8, one byte per class over the model's fixed per-class range (<see cref="ScoreQuantizer"/>).</summary>
    ScoresUInt8 = 2,

    /// <summary>Device → edge/cloud, or edge → cloud: a packed ±1 feature map, sent on demand.</summary>
    Features = 3,

    /// <summary>Local aggregator → cloud (or edges): the sample did not exit locally; carries the present-device bitmap.</summary>
    CloudRequest = 4,

    /// <summary>Cloud → local aggregator: the cloud's prediction (uint16 class).</summary>
    CloudAnswer = 5,

    /// <summary>Local aggregator → every tier: sense and run sample <see cref="WireHeader.Sample"/> (header only; served deployments pace samples with it).</summary>
    Tick = 6,

    /// <summary>
    /// Local aggregator → one cloud worker (served with cloud workers): a self-contained cloud request, the bitmap of the
    /// cloud inputs (devices, or edges) whose maps it carries, then those maps in input order.
    /// </summary>
    CloudJob = 7,
}

/// <summary>The 6-byte header of every message: kind, sender (device or edge index), sample id (uint32 LE).</summary>
public readonly record struct WireHeader(WireMessageKind Kind, byte Sender, uint Sample);

/// <summary>
/// Encodes and decodes the messages between tiers with exact sizes, header included. Features travel tight: bit
/// p·C + c is channel c of pixel p (bit 1 = +1), padded with zero bits to a whole byte.
/// </summary>
public static class WireMessage
{
    /// <summary>Header bytes of every message.</summary>
    public const int HeaderBytes = 6;

    /// <summary>Exact size of a scores message for <paramref name="classes"/> classes.</summary>
    public static int ScoresBytes(int classes, ScoreEncoding encoding) =>
        HeaderBytes + (encoding == ScoreEncoding.Float32 ? 4 * classes : classes);

    /// <summary>Exact size of a feature message for a (channels, height, width) ±1 map.</summary>
    public static int FeaturesBytes(int channels, int height, int width) => HeaderBytes + (channels * height * width + 7) / 8;

    /// <summary>Exact size of a cloud request for <paramref name="devices"/> devices.</summary>
    public static int RequestBytes(int devices) => HeaderBytes + (devices + 7) / 8;

    /// <summary>Reads and checks the header of <paramref name="message"/>: at least <see cref="HeaderBytes"/> long, of a known <see cref="WireMessageKind"/>.</summary>
    public static WireHeader ReadHeader(ReadOnlySpan<byte> message)
    {
        if (message.Length < HeaderBytes) throw new InvalidDataException($"message of {message.Length} bytes is shorter than the {HeaderBytes}-byte header.");
        var kind = (WireMessageKind)message[0];
        if (kind is < WireMessageKind.ScoresFloat32 or > WireMessageKind.CloudJob) throw new InvalidDataException($"unknown message kind {message[0]}.");
        return new WireHeader(kind, message[1], BinaryPrimitives.ReadUInt32LittleEndian(message[2..]));
    }

    /// <summary>
    /// Writes a scores message into <paramref name="destination"/>; returns its length. uint8 scores need the sending
    /// device's <paramref name="quantizer"/>.
    /// </summary>
    public static int WriteScores(byte sender, uint sample, ReadOnlySpan<float> logits, ScoreEncoding encoding, ScoreQuantizer? quantizer,
        Span<byte> destination)
    {
        var length = ScoresBytes(logits.Length, encoding);
        Fit(destination, length);
        var kind = encoding == ScoreEncoding.Float32 ? WireMessageKind.ScoresFloat32 : WireMessageKind.ScoresUInt8;
        var body = destination[HeaderBytes..length];
        if (encoding == ScoreEncoding.Float32)
            for (var j = 0; j < logits.Length; j++) BinaryPrimitives.WriteSingleLittleEndian(body[(4 * j)..], logits[j]);
        else
            RequireQuantizer(quantizer, nameof(quantizer)).Encode(logits, body);
        WriteHeader(destination, new WireHeader(kind, sender, sample));
        return length;
    }

    /// <summary>
    /// Reads a scores message of <paramref name="logits"/>.Length classes (either encoding); uint8 scores are decoded
    /// with the sender's <paramref name="quantizer"/>.
    /// </summary>
    public static WireHeader ReadScores(ReadOnlySpan<byte> message, Span<float> logits, ScoreQuantizer? quantizer)
    {
        var header = ReadHeader(message);
        var encoding = header.Kind switch
        {
            WireMessageKind.ScoresFloat32 => ScoreEncoding.Float32,
            WireMessageKind.ScoresUInt8 => ScoreEncoding.UInt8,
            _ => throw new InvalidDataException($"expected a scores message, got {header.Kind}."),
        };
        ExactLength(message, ScoresBytes(logits.Length, encoding), header.Kind);
        var body = message[HeaderBytes..];
        if (encoding == ScoreEncoding.Float32)
            for (var j = 0; j < logits.Length; j++) logits[j] = BinaryPrimitives.ReadSingleLittleEndian(body[(4 * j)..]);
        else
            RequireQuantizer(quantizer, nameof(quantizer)).Decode(body, logits);
        return header;
    }

    private static ScoreQuantizer RequireQuantizer(ScoreQuantizer? quantizer, string name) =>
        quantizer ?? throw new ArgumentException("uint8 scores need the sending device's score quantizer.", name);

    /// <summary>Writes a packed map <c>(H, W, WordsFor(C))</c> as a feature message; returns its length.</summary>
    public static int WriteFeatures(byte sender, uint sample, ReadOnlySpan<ulong> map, int channels, int height, int width, Span<byte> destination)
    {
        var words = BitPacking.WordsFor(channels);
        if (map.Length != height * width * words)
            throw new ArgumentException($"map has {map.Length} words, ({height}, {width}, {words}) needs {height * width * words}.", nameof(map));
        var length = FeaturesBytes(channels, height, width);
        Fit(destination, length);
        WriteHeader(destination, new WireHeader(WireMessageKind.Features, sender, sample));
        var pixels = height * width;
        var tightWords = TightPacking.Words(pixels, channels);
        ulong[]? rented = null;
        var tight = tightWords <= StackWords ? stackalloc ulong[tightWords] : (rented = ArrayPool<ulong>.Shared.Rent(tightWords)).AsSpan(0, tightWords);
        TightPacking.Tighten(map, pixels, channels, tight);
        TightToBytes(tight, destination[HeaderBytes..length]);
        if (rented is not null) ArrayPool<ulong>.Shared.Return(rented);
        return length;
    }

    /// <summary>Tight words on the stack when encoding or decoding a feature map (4 KB); larger maps rent them.</summary>
    private const int StackWords = 512;

    /// <summary>The first <paramref name="body"/>.Length bytes of the little-endian tight words: a feature body.</summary>
    private static void TightToBytes(ReadOnlySpan<ulong> tight, Span<byte> body)
    {
        var whole = body.Length / 8;
        for (var k = 0; k < whole; k++) BinaryPrimitives.WriteUInt64LittleEndian(body[(8 * k)..], tight[k]);
        for (var b = 8 * whole; b < body.Length; b++) body[b] = (byte)(tight[whole] >> (8 * (b - 8 * whole)));
    }

    /// <summary>Tight words from a feature body, the bytes past its end zero.</summary>
    private static void BytesToTight(ReadOnlySpan<byte> body, Span<ulong> tight)
    {
        var whole = body.Length / 8;
        for (var k = 0; k < whole; k++) tight[k] = BinaryPrimitives.ReadUInt64LittleEndian(body[(8 * k)..]);
        if (whole == tight.Length) return;
        ulong last = 0;
        for (var b = 8 * whole; b < body.Length; b++) last |= (ulong)body[b] << (8 * (b - 8 * whole));
        tight[whole] = last;
    }

    /// <summary>Reads a feature message into a packed map <c>(H, W, WordsFor(C))</c>; padding bits must be zero.</summary>
    public static WireHeader ReadFeatures(ReadOnlySpan<byte> message, int channels, int height, int width, Span<ulong> map)
    {
        var header = ReadHeader(message);
        if (header.Kind != WireMessageKind.Features) throw new InvalidDataException($"expected a feature message, got {header.Kind}.");
        ExactLength(message, FeaturesBytes(channels, height, width), header.Kind);
        ReadFeatureBody(message[HeaderBytes..], channels, height, width, map);
        return header;
    }

    /// <summary>Reads the body of a feature message (exactly <see cref="FeaturesBytes"/> − header bytes) into a packed map; padding bits must be zero.</summary>
    public static void ReadFeatureBody(ReadOnlySpan<byte> body, int channels, int height, int width, Span<ulong> map)
    {
        if (body.Length != FeaturesBytes(channels, height, width) - HeaderBytes) throw new InvalidDataException($"feature body has {body.Length} bytes, expected exactly {FeaturesBytes(channels, height, width) - HeaderBytes}.");
        var words = BitPacking.WordsFor(channels);
        if (map.Length != height * width * words)
            throw new ArgumentException($"map has {map.Length} words, ({height}, {width}, {words}) needs {height * width * words}.", nameof(map));
        var bits = channels * height * width;
        if (bits % 8 != 0 && body[^1] >> (bits % 8) != 0) throw new InvalidDataException("feature message has padding bits set.");
        var tightWords = TightPacking.Words(height * width, channels);
        ulong[]? rented = null;
        var tight = tightWords <= StackWords ? stackalloc ulong[tightWords] : (rented = ArrayPool<ulong>.Shared.Rent(tightWords)).AsSpan(0, tightWords);
        BytesToTight(body, tight);
        TightPacking.Loosen(tight, height * width, channels, map);
        if (rented is not null) ArrayPool<ulong>.Shared.Return(rented);
    }

    /// <summary>
    /// Exact size of a cloud job over inputs whose feature bodies are <paramref name="bodyBytes"/> bytes each, carrying
    /// those marked in <paramref name="present"/>: header, ⌈inputs / 8⌉ bitmap bytes, then each present body.
    /// </summary>
    public static int CloudJobBytes(ReadOnlySpan<bool> present, ReadOnlySpan<int> bodyBytes)
    {
        if (present.Length != bodyBytes.Length) throw new ArgumentException($"{present.Length} presence flags for {bodyBytes.Length} inputs.", nameof(present));
        var length = HeaderBytes + (present.Length + 7) / 8;
        for (var i = 0; i < present.Length; i++) if (present[i]) length += bodyBytes[i];
        return length;
    }

    /// <summary>
    /// Writes a cloud job: the bitmap of <paramref name="present"/> inputs, then the feature body of each present input
    /// (<paramref name="bodies"/>[i], as a feature message carries it after its header); returns its length.
    /// </summary>
    public static int WriteCloudJob(uint sample, ReadOnlySpan<bool> present, IReadOnlyList<byte[]> bodies, ReadOnlySpan<int> bodyBytes, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(bodies);
        var length = CloudJobBytes(present, bodyBytes);
        Fit(destination, length);
        WriteHeader(destination, new WireHeader(WireMessageKind.CloudJob, 0, sample));
        var bitmap = destination[HeaderBytes..(HeaderBytes + (present.Length + 7) / 8)];
        bitmap.Clear();
        var at = HeaderBytes + bitmap.Length;
        for (var i = 0; i < present.Length; i++)
        {
            if (!present[i]) continue;
            bitmap[i >> 3] |= (byte)(1 << (i & 7));
            bodies[i].AsSpan(0, bodyBytes[i]).CopyTo(destination[at..]);
            at += bodyBytes[i];
        }
        return length;
    }

    /// <summary>
    /// The exact size the bitmap of cloud job <paramref name="message"/> (over <paramref name="bodyBytes"/>.Length inputs)
    /// implies, or −1 when the message is shorter than its header and bitmap: a receiver's size check before it decodes.
    /// </summary>
    public static int CloudJobBytes(ReadOnlySpan<byte> message, ReadOnlySpan<int> bodyBytes)
    {
        var bitmapBytes = (bodyBytes.Length + 7) / 8;
        if (message.Length < HeaderBytes + bitmapBytes) return -1;
        var length = HeaderBytes + bitmapBytes;
        for (var i = 0; i < bodyBytes.Length; i++)
            if (((message[HeaderBytes + (i >> 3)] >> (i & 7)) & 1) != 0) length += bodyBytes[i];
        return length;
    }

    /// <summary>
    /// Reads the bitmap of a cloud job over <paramref name="present"/>.Length inputs and checks the whole job: padding
    /// bits zero, at least one input present, exactly the size the bitmap implies. Returns where each present input's
    /// body starts (−1 for an absent one) in <paramref name="offsets"/>; decode them with <see cref="ReadFeatureBody"/>.
    /// </summary>
    public static WireHeader ReadCloudJob(ReadOnlySpan<byte> message, ReadOnlySpan<int> bodyBytes, Span<bool> present, Span<int> offsets)
    {
        var header = ReadHeader(message);
        if (header.Kind != WireMessageKind.CloudJob) throw new InvalidDataException($"expected a cloud job, got {header.Kind}.");
        var bitmapBytes = (present.Length + 7) / 8;
        if (message.Length < HeaderBytes + bitmapBytes) throw new InvalidDataException($"cloud job of {message.Length} bytes is shorter than its header and bitmap ({HeaderBytes + bitmapBytes}).");
        var at = HeaderBytes + bitmapBytes;
        var any = false;
        for (var i = 0; i < present.Length; i++)
        {
            present[i] = ((message[HeaderBytes + (i >> 3)] >> (i & 7)) & 1) != 0;
            offsets[i] = present[i] ? at : -1;
            if (present[i]) at += bodyBytes[i];
            any |= present[i];
        }
        if (present.Length % 8 != 0 && message[HeaderBytes + bitmapBytes - 1] >> (present.Length % 8) != 0) throw new InvalidDataException("cloud job has padding bits set in its bitmap.");
        if (!any) throw new InvalidDataException("cloud job carries no map.");
        ExactLength(message, at, header.Kind);
        return header;
    }

    /// <summary>Writes a cloud request naming the present devices; returns its length.</summary>
    public static int WriteRequest(byte sender, uint sample, ReadOnlySpan<bool> present, Span<byte> destination)
    {
        var length = RequestBytes(present.Length);
        Fit(destination, length);
        WriteHeader(destination, new WireHeader(WireMessageKind.CloudRequest, sender, sample));
        var body = destination[HeaderBytes..length];
        body.Clear();
        for (var d = 0; d < present.Length; d++) if (present[d]) body[d >> 3] |= (byte)(1 << (d & 7));
        return length;
    }

    /// <summary>Reads a cloud request for <paramref name="present"/>.Length devices.</summary>
    public static WireHeader ReadRequest(ReadOnlySpan<byte> message, Span<bool> present)
    {
        var header = ReadHeader(message);
        if (header.Kind != WireMessageKind.CloudRequest) throw new InvalidDataException($"expected a cloud request, got {header.Kind}.");
        ExactLength(message, RequestBytes(present.Length), header.Kind);
        for (var d = 0; d < present.Length; d++) present[d] = ((message[HeaderBytes + (d >> 3)] >> (d & 7)) & 1) != 0;
        if (present.Length % 8 != 0 && message[^1] >> (present.Length % 8) != 0) throw new InvalidDataException("cloud request has padding bits set.");
        return header;
    }

    /// <summary>Exact size of a cloud answer.</summary>
    public const int AnswerBytes = HeaderBytes + 2;

    /// <summary>Writes the cloud's answer (predicted class); returns its length. <paramref name="sender"/>: the cloud worker's index (0 for the one cloud).</summary>
    public static int WriteAnswer(uint sample, int prediction, Span<byte> destination, byte sender = 0)
    {
        if (prediction is < 0 or > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(prediction), prediction, "must fit in 16 bits.");
        Fit(destination, AnswerBytes);
        WriteHeader(destination, new WireHeader(WireMessageKind.CloudAnswer, sender, sample));
        BinaryPrimitives.WriteUInt16LittleEndian(destination[HeaderBytes..], (ushort)prediction);
        return AnswerBytes;
    }

    /// <summary>Reads a cloud answer; returns the predicted class.</summary>
    public static int ReadAnswer(ReadOnlySpan<byte> message, out WireHeader header)
    {
        header = ReadHeader(message);
        if (header.Kind != WireMessageKind.CloudAnswer) throw new InvalidDataException($"expected a cloud answer, got {header.Kind}.");
        ExactLength(message, AnswerBytes, header.Kind);
        return BinaryPrimitives.ReadUInt16LittleEndian(message[HeaderBytes..]);
    }

    /// <summary>Exact size of a tick: the header alone.</summary>
    public const int TickBytes = HeaderBytes;

    /// <summary>Writes the tick of sample <paramref name="sample"/>; returns its length.</summary>
    public static int WriteTick(uint sample, Span<byte> destination)
    {
        Fit(destination, TickBytes);
        WriteHeader(destination, new WireHeader(WireMessageKind.Tick, 0, sample));
        return TickBytes;
    }

    /// <summary>Reads a tick; returns its header.</summary>
    public static WireHeader ReadTick(ReadOnlySpan<byte> message)
    {
        var header = ReadHeader(message);
        if (header.Kind != WireMessageKind.Tick) throw new InvalidDataException($"expected a tick, got {header.Kind}.");
        ExactLength(message, TickBytes, header.Kind);
        return header;
    }

    private static void WriteHeader(Span<byte> destination, WireHeader header)
    {
        destination[0] = (byte)header.Kind;
        destination[1] = header.Sender;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[2..], header.Sample);
    }

    private static void Fit(Span<byte> destination, int length)
    {
        if (destination.Length < length) throw new ArgumentException($"destination has {destination.Length} bytes, the message needs {length}.", nameof(destination));
    }

    private static void ExactLength(ReadOnlySpan<byte> message, int expected, WireMessageKind kind)
    {
        if (message.Length != expected) throw new InvalidDataException($"{kind} message has {message.Length} bytes, expected exactly {expected}.");
    }
}

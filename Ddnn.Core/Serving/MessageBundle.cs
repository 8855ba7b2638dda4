using System.Buffers.Binary;

namespace Ddnn.Core.Serving;

/// <summary>
/// Several messages for one topic in one payload: a marker byte (<see cref="Marker"/>), then per message its length
/// (uint16 LE) and its bytes, each a whole served message with its own envelope. A transport that pays per message
/// (MQTT: a broker route, a client parse and a wake-up each) sends what a tier published to one topic in one pass as one
/// bundle; receivers check and unpack it in <see cref="ServingTier.OnMessage"/>, so every inner message passes the same
/// checks as a message sent alone. The marker differs from the first byte of every other payload (the protocol
/// version), and bundles do not nest.
/// </summary>
public static class MessageBundle
{
    /// <summary>The first byte of a bundle.</summary>
    public const byte Marker = 0xBD;

    /// <summary>Bytes before the first message (the marker).</summary>
    public const int HeaderBytes = 1;

    /// <summary>Bytes in front of each message (its length).</summary>
    public const int LengthBytes = 2;

    /// <summary>The longest message a bundle can carry (its length field is 16 bits).</summary>
    public const int MaxMessageBytes = ushort.MaxValue;

    /// <summary>The shortest message a bundle may carry: an envelope and a wire header. Anything shorter marks the bundle malformed.</summary>
    public const int MinMessageBytes = ServingEnvelope.Bytes + Deploy.WireMessage.HeaderBytes;

    /// <summary>True when <paramref name="payload"/> is a bundle (it starts with <see cref="Marker"/>).</summary>
    public static bool IsBundle(ReadOnlySpan<byte> payload) => payload.Length > 0 && payload[0] == Marker;

    /// <summary>The bundle's size for messages of <paramref name="lengths"/> bytes.</summary>
    public static int SizeOf(ReadOnlySpan<int> lengths)
    {
        var size = HeaderBytes;
        foreach (var length in lengths) size += LengthBytes + length;
        return size;
    }

    /// <summary>Packs <paramref name="messages"/> (at least one, each <see cref="MinMessageBytes"/> to <see cref="MaxMessageBytes"/> bytes) into one bundle.</summary>
    public static byte[] Pack(IReadOnlyList<byte[]> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0) throw new ArgumentException("a bundle needs at least one message", nameof(messages));
        var size = HeaderBytes;
        for (var i = 0; i < messages.Count; i++)
        {
            var length = messages[i].Length;
            if (length is < MinMessageBytes or > MaxMessageBytes)
                throw new ArgumentException($"message {i} has {length} bytes; a bundle carries {MinMessageBytes} to {MaxMessageBytes}", nameof(messages));
            size += LengthBytes + length;
        }
        var bundle = new byte[size];
        bundle[0] = Marker;
        var at = HeaderBytes;
        foreach (var message in messages)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bundle.AsSpan(at), (ushort)message.Length);
            message.CopyTo(bundle.AsSpan(at + LengthBytes));
            at += LengthBytes + message.Length;
        }
        return bundle;
    }

    /// <summary>
    /// The number of messages in <paramref name="bundle"/>, or 0 when it is malformed: no marker, no message, a length
    /// below <see cref="MinMessageBytes"/>, or lengths that do not add up to exactly the bundle's size.
    /// </summary>
    public static int Count(ReadOnlySpan<byte> bundle)
    {
        if (!IsBundle(bundle)) return 0;
        var rest = bundle[HeaderBytes..];
        var count = 0;
        while (rest.Length > 0)
        {
            if (rest.Length < LengthBytes) return 0;
            var length = BinaryPrimitives.ReadUInt16LittleEndian(rest);
            if (length < MinMessageBytes || rest.Length - LengthBytes < length) return 0;
            rest = rest[(LengthBytes + length)..];
            count++;
        }
        return count;
    }

    /// <summary>The messages of <paramref name="bundle"/>, in order, for <c>foreach</c>; the bundle must be one <see cref="Count"/> accepted.</summary>
    public static Enumerator Messages(ReadOnlySpan<byte> bundle) => new(bundle[HeaderBytes..]);

    /// <summary>Walks the messages of a bundle (see <see cref="Messages"/>).</summary>
    public ref struct Enumerator
    {
        private ReadOnlySpan<byte> _rest;

        internal Enumerator(ReadOnlySpan<byte> rest)
        {
            _rest = rest;
            Current = default;
        }

        /// <summary>The message the enumerator is at.</summary>
        public ReadOnlySpan<byte> Current { get; private set; }

        /// <summary>This enumerator, so <see cref="Messages"/> can stand in a <c>foreach</c>.</summary>
        public readonly Enumerator GetEnumerator() => this;

        /// <summary>Moves to the next message; false after the last.</summary>
        public bool MoveNext()
        {
            if (_rest.Length == 0) return false;
            var length = BinaryPrimitives.ReadUInt16LittleEndian(_rest);
            Current = _rest.Slice(LengthBytes, length);
            _rest = _rest[(LengthBytes + length)..];
            return true;
        }
    }
}

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Ddnn.Core.IO;

/// <summary>
/// Little-endian reads from one section's payload. Running past its end, an out-of-range value or undecodable text is
/// an <see cref="InvalidDataException"/> that starts with <see cref="Where"/> (the file and section).
/// </summary>
public sealed class PayloadReader(ReadOnlyMemory<byte> payload, string where)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private int _position;

    /// <summary>"path: section n (type)", the prefix of every error.</summary>
    public string Where { get; } = where;

    /// <summary>True once every payload byte has been read.</summary>
    public bool AtEnd => _position == payload.Length;

    /// <summary>An exception about this payload: <paramref name="message"/> prefixed with <see cref="Where"/>.</summary>
    public InvalidDataException Error(string message) => new($"{Where}: {message}");

    /// <summary>Throws unless every payload byte has been read.</summary>
    public void ExpectEnd()
    {
        if (!AtEnd) throw Error($"{payload.Length - _position} unread bytes at the end of the payload.");
    }

    /// <summary>The next <paramref name="count"/> raw bytes.</summary>
    public ReadOnlySpan<byte> Bytes(int count, string what)
    {
        if (count < 0 || payload.Length - _position < count)
            throw Error($"payload ends inside {what} (needs {count} bytes at offset {_position}, {payload.Length - _position} left).");
        var span = payload.Span.Slice(_position, count);
        _position += count;
        return span;
    }

    /// <summary>The next little-endian int32; <paramref name="what"/> names it in errors.</summary>
    public int Int(string what) => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4, what));

    /// <summary>An int in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int Int(string what, int min, int max)
    {
        var value = Int(what);
        if (value < min || value > max) throw Error($"{what} is {value}, expected {min}..{max}.");
        return value;
    }

    /// <summary>The next byte, which must be at most <paramref name="max"/> (an enum or flag range).</summary>
    public byte Byte(string what, byte max)
    {
        var value = Bytes(1, what)[0];
        if (value > max) throw Error($"{what} is {value}, expected 0..{max}.");
        return value;
    }

    /// <summary>The next little-endian float32, bit for bit (NaN and infinities pass).</summary>
    public float Float(string what) => BinaryPrimitives.ReadSingleLittleEndian(Bytes(4, what));

    /// <summary>The next little-endian float32, which must be neither NaN nor infinite.</summary>
    public float FiniteFloat(string what)
    {
        var value = Float(what);
        if (!float.IsFinite(value)) throw Error($"{what} is {value}; it must be finite.");
        return value;
    }

    /// <summary><paramref name="count"/> float32 values, bit for bit (NaN payloads included).</summary>
    public float[] Floats(int count, string what)
    {
        if (count < 0 || count > (payload.Length - _position) / 4)
            throw Error($"payload ends inside {what} ({count} floats need {(long)count * 4} bytes, {payload.Length - _position} left).");
        var raw = Bytes(count * 4, what);
        var values = new float[count];
        if (BitConverter.IsLittleEndian) raw.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
        else for (var i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
        return values;
    }

    /// <summary>An int32 byte length (at most <paramref name="maxBytes"/>) followed by that much strict UTF-8.</summary>
    public string Text(string what, int maxBytes)
    {
        var length = Int($"{what} length", 0, maxBytes);
        return Utf8(Bytes(length, what), what);
    }

    /// <summary>The rest of the payload as strict UTF-8.</summary>
    public string RestAsText(string what) => Utf8(Bytes(payload.Length - _position, what), what);

    /// <summary>A count followed by that many 64-bit words; the count must equal <paramref name="expected"/>.</summary>
    public ulong[] Words(string what, long expected)
    {
        var count = Int($"{what} word count");
        if (count != expected) throw Error($"{what} has {count} words, but the shapes need {expected}.");
        var bytes = Bytes(checked(count * 8), what);
        var words = new ulong[count];
        for (var i = 0; i < count; i++) words[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(i * 8)..]);
        return words;
    }

    private string Utf8(ReadOnlySpan<byte> bytes, string what)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Error($"{what} is not valid UTF-8.");
        }
    }
}

using System.Buffers.Binary;

namespace Ddnn.Core.Deploy;

/// <summary>Little-endian reads from one section's payload; running past its end is an <see cref="InvalidDataException"/> naming the section.</summary>
internal sealed class PayloadReader(byte[] data, int start, int length, string where)
{
    private readonly int _start = start;
    private readonly int _end = start + length;
    private int _position = start;

    /// <summary>"path: section name", the prefix of every error.</summary>
    public string Where { get; } = where;

    public bool AtEnd => _position == _end;

    public InvalidDataException Error(string message) => new($"{Where}: {message}");

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count < 0 || _end - _position < count)
            throw Error($"payload ends inside {what} (needs {count} bytes at offset {_position - _start}, {_end - _position} left).");
        var span = data.AsSpan(_position, count);
        _position += count;
        return span;
    }

    public int Int(string what) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, what));

    /// <summary>An int in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int Int(string what, int min, int max)
    {
        var value = Int(what);
        if (value < min || value > max) throw Error($"{what} is {value}, expected {min}..{max}.");
        return value;
    }

    public byte Byte(string what, byte max)
    {
        var value = Take(1, what)[0];
        if (value > max) throw Error($"{what} is {value}, expected 0..{max}.");
        return value;
    }

    public float Float(string what) => BinaryPrimitives.ReadSingleLittleEndian(Take(4, what));

    public float FiniteFloat(string what)
    {
        var value = Float(what);
        if (!float.IsFinite(value)) throw Error($"{what} is {value}; it must be finite.");
        return value;
    }

    /// <summary>A count followed by that many 64-bit words; the count must equal <paramref name="expected"/>.</summary>
    public ulong[] Words(string what, long expected)
    {
        var count = Int($"{what} word count");
        if (count != expected) throw Error($"{what} has {count} words, but the shapes need {expected}.");
        var bytes = Take(checked(count * 8), what);
        var words = new ulong[count];
        for (var i = 0; i < count; i++) words[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(i * 8)..]);
        return words;
    }
}

/// <summary>Little-endian writes of a section payload.</summary>
internal sealed class PayloadWriter
{
    private readonly MemoryStream _stream = new();
    private readonly BinaryWriter _writer;

    public PayloadWriter() => _writer = new BinaryWriter(_stream); // BinaryWriter is little-endian on every platform.

    public void Int(int value) => _writer.Write(value);
    public void Byte(byte value) => _writer.Write(value);
    public void Float(float value) => _writer.Write(value);

    public void Words(ulong[] words)
    {
        _writer.Write(words.Length);
        foreach (var w in words) _writer.Write(w);
    }

    public byte[] ToArray()
    {
        _writer.Flush();
        return _stream.ToArray();
    }
}

using System.Runtime.InteropServices;
using System.Text;

namespace Ddnn.Core.IO;

/// <summary>Little-endian writes of one section payload (the counterpart of <see cref="PayloadReader"/>).</summary>
public sealed class PayloadWriter
{
    private readonly MemoryStream _stream = new();
    private readonly BinaryWriter _writer;

    /// <summary>An empty payload.</summary>
    public PayloadWriter() => _writer = new BinaryWriter(_stream); // BinaryWriter is little-endian on every platform.

    /// <summary>Appends a little-endian int32 (read by <see cref="PayloadReader.Int(string)"/>).</summary>
    public void Int(int value) => _writer.Write(value);
    /// <summary>Appends one byte (read by <see cref="PayloadReader.Byte"/>).</summary>
    public void Byte(byte value) => _writer.Write(value);
    /// <summary>Appends a little-endian float32, bit for bit.</summary>
    public void Float(float value) => _writer.Write(value);
    /// <summary>Appends raw bytes with no length prefix; the reader must know the count.</summary>
    public void Bytes(ReadOnlySpan<byte> bytes) => _writer.Write(bytes);

    /// <summary>float32 values bit for bit.</summary>
    public void Floats(ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian) _writer.Write(MemoryMarshal.AsBytes(values));
        else foreach (var v in values) _writer.Write(v);
    }

    /// <summary>An int32 byte length and the UTF-8 bytes (read by <see cref="PayloadReader.Text"/>).</summary>
    public void Text(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        _writer.Write(bytes.Length);
        _writer.Write(bytes);
    }

    /// <summary>Appends an int32 word count and the 64-bit words, little-endian (read by <see cref="PayloadReader.Words"/>).</summary>
    public void Words(ulong[] words)
    {
        _writer.Write(words.Length);
        foreach (var w in words) _writer.Write(w);
    }

    /// <summary>The payload written so far.</summary>
    public byte[] ToArray()
    {
        _writer.Flush();
        return _stream.ToArray();
    }
}

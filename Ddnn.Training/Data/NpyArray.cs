using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Ddnn.Training.Data;

/// <summary>A little-endian, C-order float32 or int32 array read from NumPy's .npy format (header versions 1.0 and 2.0).</summary>
internal sealed class NpyArray
{
    private NpyArray(string descr, int[] shape, float[]? floats, int[]? ints)
    {
        Descr = descr;
        Shape = shape;
        _floats = floats;
        _ints = ints;
    }

    private readonly float[]? _floats;
    private readonly int[]? _ints;

    /// <summary>The dtype string from the header: "&lt;f4" or "&lt;i4".</summary>
    public string Descr { get; }

    /// <summary>Dimensions from the header, outermost first (C order).</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>The values of a '&lt;f4' array; throws for other dtypes.</summary>
    public float[] Floats(string name) =>
        _floats ?? throw new InvalidDataException($"{name}: dtype is '{Descr}', expected '<f4' (float32)");

    /// <summary>The values of an '&lt;i4' array; throws for other dtypes.</summary>
    public int[] Ints(string name) =>
        _ints ?? throw new InvalidDataException($"{name}: dtype is '{Descr}', expected '<i4' (int32)");

    /// <summary>Reads one .npy array; <paramref name="name"/> (file and array) is used in every error message.</summary>
    public static NpyArray Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> preamble = stackalloc byte[8];
        if (stream.ReadAtLeast(preamble, 8, throwOnEndOfStream: false) < 8)
            throw new InvalidDataException($"{name}: truncated .npy preamble");
        ReadOnlySpan<byte> magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
        if (!preamble[..6].SequenceEqual(magic))
            throw new InvalidDataException($"{name}: not a .npy array (missing \\x93NUMPY magic)");
        byte major = preamble[6];
        int headerLength;
        if (major == 1)
        {
            Span<byte> length = stackalloc byte[2];
            ReadExactly(stream, length, name, "header length");
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(length);
        }
        else if (major == 2)
        {
            Span<byte> length = stackalloc byte[4];
            ReadExactly(stream, length, name, "header length");
            uint length32 = BinaryPrimitives.ReadUInt32LittleEndian(length);
            if (length32 > 1 << 20)
                throw new InvalidDataException($"{name}: implausible .npy header length {length32}");
            headerLength = (int)length32;
        }
        else
        {
            throw new InvalidDataException($"{name}: unsupported .npy format version {major}.{preamble[7]} (expected 1.0 or 2.0)");
        }

        var headerBytes = new byte[headerLength];
        ReadExactly(stream, headerBytes, name, "header");
        var header = NpyHeader.Parse(Encoding.Latin1.GetString(headerBytes), name);
        if (header.FortranOrder)
            throw new InvalidDataException($"{name}: Fortran-order arrays are not supported (save with C order)");

        long count = 1;
        foreach (int d in header.Shape)
        {
            count *= d;
            if (count > Array.MaxLength)
                throw new InvalidDataException($"{name}: shape ({string.Join(", ", header.Shape)}) is too large");
        }
        switch (header.Descr)
        {
            case "<f4":
                {
                    var values = new float[count];
                    ReadExactly(stream, MemoryMarshal.AsBytes(values.AsSpan()), name, $"data for shape ({string.Join(", ", header.Shape)})");
                    if (!BitConverter.IsLittleEndian)
                        ReverseEndianness(MemoryMarshal.Cast<float, int>(values.AsSpan()));
                    return new NpyArray(header.Descr, header.Shape, values, null);
                }
            case "<i4":
                {
                    var values = new int[count];
                    ReadExactly(stream, MemoryMarshal.AsBytes(values.AsSpan()), name, $"data for shape ({string.Join(", ", header.Shape)})");
                    if (!BitConverter.IsLittleEndian)
                        ReverseEndianness(values);
                    return new NpyArray(header.Descr, header.Shape, null, values);
                }
            case ">f4" or ">i4":
                throw new InvalidDataException($"{name}: big-endian dtype '{header.Descr}' is not supported (expected little-endian '<f4' or '<i4')");
            default:
                throw new InvalidDataException($"{name}: unsupported dtype '{header.Descr}' (expected '<f4' or '<i4')");
        }
    }

    /// <summary>Throws unless the shape equals <paramref name="expected"/>, where -1 matches any extent.</summary>
    public void RequireShape(string name, params int[] expected)
    {
        bool ok = Shape.Count == expected.Length;
        for (int i = 0; ok && i < expected.Length; i++)
            ok = expected[i] < 0 || expected[i] == Shape[i];
        if (!ok)
        {
            string want = string.Join(", ", expected.Select(e => e < 0 ? "N" : e.ToString(CultureInfo.InvariantCulture)));
            throw new InvalidDataException($"{name}: shape is ({string.Join(", ", Shape)}), expected ({want})");
        }
    }

    private static void ReverseEndianness(Span<int> values)
    {
        for (int i = 0; i < values.Length; i++)
            values[i] = BinaryPrimitives.ReverseEndianness(values[i]);
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string name, string what)
    {
        int read;
        try
        {
            read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{name}: corrupt compressed data ({e.Message})", e);
        }
        if (read < buffer.Length)
            throw new InvalidDataException($"{name}: truncated {what}: {read} of {buffer.Length} bytes present");
    }
}

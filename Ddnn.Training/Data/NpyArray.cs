using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Ddnn.Training.Data;

/// <summary>
/// A numeric array read from NumPy's .npy format (header versions 1.0, 2.0 and 3.0): any integer or float dtype NumPy
/// writes (|u1 |i1 i2 u2 i4 u4 i8 u8 f2 f4 f8) in either byte order, stored in C or Fortran order. Elements are
/// exposed by their C-order (row-major) index whatever the stored order.
/// </summary>
internal sealed class NpyArray
{
    private NpyArray(string descr, char kind, int itemSize, bool fortranOrder, int[] shape, byte[] data)
    {
        Descr = descr;
        _kind = kind;
        ItemSize = itemSize;
        FortranOrder = fortranOrder;
        Shape = shape;
        _data = data;
    }

    // Element bytes, little-endian, in C order (converted on read, so accessors need no layout logic).
    private readonly byte[] _data;
    private readonly char _kind;

    /// <summary>The dtype string from the header, e.g. "&lt;f4", "|u1", "&gt;i8".</summary>
    public string Descr { get; }

    /// <summary>Bytes per element: 1, 2, 4 or 8.</summary>
    public int ItemSize { get; }

    /// <summary>True when the file stored the elements in Fortran (column-major) order; indices are C order regardless.</summary>
    public bool FortranOrder { get; }

    /// <summary>Dimensions from the header, outermost first.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>True for the signed and unsigned integer dtypes, false for the float dtypes.</summary>
    public bool IsInteger => _kind != 'f';

    /// <summary>Number of elements (the product of <see cref="Shape"/>).</summary>
    public long Count => _data.LongLength / ItemSize;

    /// <summary>The exact value of the integer element at C-order index <paramref name="index"/> (Int128 holds every int64 and uint64).</summary>
    public Int128 GetInteger(long index)
    {
        if (!IsInteger)
            throw new InvalidOperationException($"dtype '{Descr}' is a float dtype; use GetDouble");
        var bytes = Element(index);
        return (_kind, ItemSize) switch
        {
            ('u', 1) => bytes[0],
            ('i', 1) => (sbyte)bytes[0],
            ('u', 2) => BinaryPrimitives.ReadUInt16LittleEndian(bytes),
            ('i', 2) => BinaryPrimitives.ReadInt16LittleEndian(bytes),
            ('u', 4) => BinaryPrimitives.ReadUInt32LittleEndian(bytes),
            ('i', 4) => BinaryPrimitives.ReadInt32LittleEndian(bytes),
            ('u', 8) => BinaryPrimitives.ReadUInt64LittleEndian(bytes),
            _ => BinaryPrimitives.ReadInt64LittleEndian(bytes),
        };
    }

    /// <summary>The element at C-order index <paramref name="index"/> as a double: exact for every float dtype, rounded for integers beyond 2^53.</summary>
    public double GetDouble(long index)
    {
        if (IsInteger)
            return (double)GetInteger(index);
        var bytes = Element(index);
        return ItemSize switch
        {
            2 => (double)BinaryPrimitives.ReadHalfLittleEndian(bytes),
            4 => BinaryPrimitives.ReadSingleLittleEndian(bytes),
            _ => BinaryPrimitives.ReadDoubleLittleEndian(bytes),
        };
    }

    /// <summary>
    /// Converts the elements from C-order index <paramref name="start"/> on into <paramref name="destination"/>, as
    /// <see cref="GetDouble"/> does; the bulk path for whole arrays, with the dtype decided once per call.
    /// </summary>
    public void CopyTo(long start, Span<double> destination)
    {
        if (start < 0 || start > Count - destination.Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"elements [{start}, {start}+{destination.Length}) are outside 0..{Count}");
        var bytes = _data.AsSpan((int)(start * ItemSize), destination.Length * ItemSize);
        switch (_kind, ItemSize)
        {
            case ('u', 1):
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = bytes[i];
                break;
            case ('i', 1):
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = (sbyte)bytes[i];
                break;
            case ('u', 2):
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]);
                break;
            case ('i', 2):
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BinaryPrimitives.ReadInt16LittleEndian(bytes[(2 * i)..]);
                break;
            case ('u', 4):
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(4 * i)..]);
                break;
            case ('i', 4):
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]);
                break;
            case ('u', 8):
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(8 * i)..]);
                break;
            case ('i', 8):
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes[(8 * i)..]);
                break;
            case ('f', 2):
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = (double)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]);
                break;
            case ('f', 4):
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                break;
            default:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..]);
                break;
        }
    }

    private ReadOnlySpan<byte> Element(long index)
    {
        if ((ulong)index >= (ulong)Count)
            throw new ArgumentOutOfRangeException(nameof(index), $"element index {index} is outside 0..{Count - 1}");
        return _data.AsSpan((int)(index * ItemSize), ItemSize);
    }

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
        else if (major is 2 or 3)
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
            throw new InvalidDataException($"{name}: unsupported .npy format version {major}.{preamble[7]} (expected 1.0, 2.0 or 3.0)");
        }

        var headerBytes = new byte[headerLength];
        ReadExactly(stream, headerBytes, name, "header");
        // Versions 1 and 2 store the header dict in Latin-1; version 3 exists to allow UTF-8 (for unicode field names).
        string headerText = major == 3 ? Encoding.UTF8.GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);
        var header = NpyHeader.Parse(headerText, name);
        var (kind, itemSize, swap) = ParseDescr(header.Descr, name);

        long count = 1;
        foreach (int d in header.Shape)
        {
            count *= d;
            if (count > Array.MaxLength / itemSize)
                throw new InvalidDataException($"{name}: shape ({string.Join(", ", header.Shape)}) of '{header.Descr}' is too large to read");
        }
        var data = new byte[count * itemSize];
        ReadExactly(stream, data, name, $"data for shape ({string.Join(", ", header.Shape)}) of '{header.Descr}'");
        if (swap)
        {
            for (int i = 0; i < data.Length; i += itemSize)
                data.AsSpan(i, itemSize).Reverse();
        }
        if (header.FortranOrder && header.Shape.Length > 1)
            data = FortranToC(data, header.Shape, itemSize);
        return new NpyArray(header.Descr, kind, itemSize, header.FortranOrder, header.Shape, data);
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

    /// <summary>
    /// Kind ('i', 'u' or 'f'), item size and whether the bytes must be reversed to become little-endian. Refuses, naming
    /// the dtype, everything that is not a plain integer or float number: objects, complex, bool, strings, dates, records.
    /// </summary>
    private static (char Kind, int ItemSize, bool Swap) ParseDescr(string descr, string name)
    {
        string body = descr;
        char order = '=';
        if (body.Length > 0 && body[0] is '<' or '>' or '=' or '|')
        {
            order = body[0];
            body = body[1..];
        }
        if (body.Length == 0)
            throw new InvalidDataException($"{name}: empty dtype '{descr}'");
        char kind = body[0];
        string refusal = kind switch
        {
            'O' => "object arrays hold pickled Python objects, not numbers",
            'c' => "complex numbers are not image or label data",
            'b' or '?' => "boolean arrays are not image or label data",
            'U' or 'S' or 'a' => "string arrays are not image or label data",
            'M' or 'm' => "date and time arrays are not image or label data",
            'V' => "record (void) arrays are not image or label data",
            'i' or 'u' or 'f' => "",
            _ => "it is not a NumPy integer or float dtype",
        };
        if (refusal.Length > 0)
            throw new InvalidDataException($"{name}: dtype '{descr}' cannot be read: {refusal} (save an integer or float dtype)");
        if (!int.TryParse(body.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int itemSize)
            || !(kind == 'f' ? itemSize is 2 or 4 or 8 : itemSize is 1 or 2 or 4 or 8))
        {
            throw new InvalidDataException(kind == 'f' && itemSize > 8
                ? $"{name}: dtype '{descr}' (long double) cannot be read: its layout depends on the machine that wrote it (save float64)"
                : $"{name}: unsupported dtype '{descr}' (expected a 1-, 2-, 4- or 8-byte integer or a 2-, 4- or 8-byte float)");
        }
        // '=' and '|' mean native order, as numpy reads them; '|' is what numpy writes for one-byte types.
        bool little = order switch
        {
            '<' => true,
            '>' => false,
            _ => BitConverter.IsLittleEndian,
        };
        return (kind, itemSize, !little && itemSize > 1);
    }

    /// <summary>Reorders elements stored first-index-fastest into last-index-fastest order.</summary>
    private static byte[] FortranToC(byte[] fortran, int[] shape, int itemSize)
    {
        var c = new byte[fortran.Length];
        int rank = shape.Length;
        // Fortran stride of each dimension, in elements.
        var stride = new long[rank];
        long s = 1;
        for (int k = 0; k < rank; k++)
        {
            stride[k] = s;
            s *= shape[k];
        }
        var index = new int[rank];
        long source = 0;
        for (int dest = 0; dest < c.Length; dest += itemSize)
        {
            fortran.AsSpan((int)(source * itemSize), itemSize).CopyTo(c.AsSpan(dest, itemSize));
            // Odometer over the C-order multi-index, last index fastest, keeping the Fortran offset in step.
            for (int k = rank - 1; k >= 0; k--)
            {
                if (++index[k] < shape[k])
                {
                    source += stride[k];
                    break;
                }
                source -= stride[k] * (shape[k] - 1);
                index[k] = 0;
            }
        }
        return c;
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

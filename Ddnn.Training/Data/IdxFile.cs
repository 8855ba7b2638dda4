using System.Buffers.Binary;
using System.IO.Compression;

namespace Ddnn.Training.Data;

/// <summary>Reader for gzip-compressed IDX files (the MNIST / Fashion-MNIST format): unsigned-byte images and labels.</summary>
internal static class IdxFile
{
    /// <summary>Big-endian magic number of an idx3-ubyte file: unsigned bytes, three dimensions (count, rows, columns).</summary>
    public const int ImagesMagic = 0x00000803;
    /// <summary>Big-endian magic number of an idx1-ubyte file: unsigned bytes, one dimension (count).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Reads an idx3-ubyte image file: returns the image count, rows, columns and the pixels laid out [n][row][col].</summary>
    public static (int Count, int Rows, int Columns, byte[] Pixels) ReadImages(string path)
    {
        using var stream = OpenGzip(path);
        Span<byte> header = stackalloc byte[16];
        ReadHeader(stream, path, header);
        int magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != ImagesMagic)
            throw new InvalidDataException($"{path}: wrong magic number 0x{magic:X8}, expected 0x{ImagesMagic:X8} for an IDX image file");
        int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        int rows = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        int columns = BinaryPrimitives.ReadInt32BigEndian(header[12..]);
        if (count < 0 || rows <= 0 || columns <= 0 || (long)count * rows * columns > Array.MaxLength)
            throw new InvalidDataException($"{path}: invalid dimensions {count} x {rows} x {columns} in the IDX header");
        var pixels = new byte[(long)count * rows * columns];
        ReadBody(stream, path, pixels, $"{count} images of {rows}x{columns}");
        return (count, rows, columns, pixels);
    }

    /// <summary>Reads an idx1-ubyte label file.</summary>
    public static byte[] ReadLabels(string path)
    {
        using var stream = OpenGzip(path);
        Span<byte> header = stackalloc byte[8];
        ReadHeader(stream, path, header);
        int magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != LabelsMagic)
            throw new InvalidDataException($"{path}: wrong magic number 0x{magic:X8}, expected 0x{LabelsMagic:X8} for an IDX label file");
        int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        if (count < 0)
            throw new InvalidDataException($"{path}: invalid label count {count} in the IDX header");
        var labels = new byte[count];
        ReadBody(stream, path, labels, $"{count} labels");
        return labels;
    }

    private static GZipStream OpenGzip(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new InvalidDataException($"{path}: file not found");
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> magic = stackalloc byte[2];
        if (file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) < 2 || magic[0] != 0x1F || magic[1] != 0x8B)
        {
            file.Dispose();
            throw new InvalidDataException($"{path}: not a gzip file (expected a .gz IDX file)");
        }
        file.Position = 0;
        return new GZipStream(file, CompressionMode.Decompress);
    }

    private static void ReadHeader(Stream stream, string path, Span<byte> header)
    {
        int read = ReadFully(stream, path, header);
        if (read < header.Length)
            throw new InvalidDataException($"{path}: truncated IDX header ({read} of {header.Length} bytes)");
    }

    private static void ReadBody(Stream stream, string path, byte[] body, string what)
    {
        int read = ReadFully(stream, path, body);
        if (read < body.Length)
            throw new InvalidDataException($"{path}: truncated data, the header promises {what} ({body.Length} bytes) but only {read} bytes follow");
        Span<byte> probe = stackalloc byte[1];
        if (ReadFully(stream, path, probe) != 0)
            throw new InvalidDataException($"{path}: unexpected bytes after the {what} the header promises");
    }

    private static int ReadFully(Stream stream, string path, Span<byte> buffer)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: corrupt gzip data ({e.Message})", e);
        }
    }
}

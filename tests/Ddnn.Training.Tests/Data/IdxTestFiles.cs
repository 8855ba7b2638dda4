using System.Buffers.Binary;
using System.IO.Compression;

namespace Ddnn.Training.Tests.Data;

/// <summary>Writes small gzip'd IDX files (optionally malformed) for loader tests.</summary>
internal static class IdxTestFiles
{
    public static void WriteImages(string path, int count, int rows, int columns, byte[] pixels, int magic = 0x803, int? truncateTo = null) =>
        WriteGzip(path, Header(magic, count, rows, columns), pixels, truncateTo);

    public static void WriteLabels(string path, byte[] labels, int magic = 0x801, int? declaredCount = null) =>
        WriteGzip(path, Header(magic, declaredCount ?? labels.Length), labels, null);

    /// <summary>Writes the four Fashion-MNIST files with <paramref name="train"/> and <paramref name="test"/> images whose pixels are a function of (image, y, x).</summary>
    public static void WriteFashionMnist(string directory, int train, int test, Func<int, int, int, byte> pixel, Func<int, byte> label)
    {
        WriteImages(Path.Combine(directory, "train-images-idx3-ubyte.gz"), train, 28, 28, Pixels(train, pixel));
        WriteLabels(Path.Combine(directory, "train-labels-idx1-ubyte.gz"), Enumerable.Range(0, train).Select(label).ToArray());
        WriteImages(Path.Combine(directory, "t10k-images-idx3-ubyte.gz"), test, 28, 28, Pixels(test, (n, y, x) => pixel(n + 1000, y, x)));
        WriteLabels(Path.Combine(directory, "t10k-labels-idx1-ubyte.gz"), Enumerable.Range(0, test).Select(i => label(i + 1000)).ToArray());
    }

    public static byte[] Pixels(int count, Func<int, int, int, byte> pixel)
    {
        var pixels = new byte[count * 28 * 28];
        for (int n = 0; n < count; n++)
            for (int y = 0; y < 28; y++)
                for (int x = 0; x < 28; x++)
                    pixels[n * 784 + y * 28 + x] = pixel(n, y, x);
        return pixels;
    }

    private static byte[] Header(params int[] words)
    {
        var header = new byte[words.Length * 4];
        for (int i = 0; i < words.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(i * 4), words[i]);
        return header;
    }

    private static void WriteGzip(string path, byte[] header, byte[] body, int? truncateTo)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(header);
        gzip.Write(body, 0, truncateTo ?? body.Length);
    }
}

using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;

namespace Ddnn.Training.Tests.Data;

/// <summary>Writes .npy arrays and .npz archives the way NumPy does (header versions 1.0/2.0, stored or deflated), with knobs to break them.</summary>
public static class NpzTestFiles
{
    public sealed record Array(string Name, string Descr, int[] Shape, byte[] Data, int Version = 1, bool Fortran = false, int? TruncateTo = null, string? RawHeader = null);

    public static Array Floats(string name, int[] shape, float[] values, int version = 1) =>
        new(name, "<f4", shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), version);

    public static Array Ints(string name, int[] shape, int[] values, int version = 1) =>
        new(name, "<i4", shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), version);

    public static void WriteNpz(string path, bool compressed, params Array[] arrays)
    {
        using var file = File.Create(path);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        foreach (var array in arrays)
        {
            var entry = zip.CreateEntry(array.Name + ".npy", compressed ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
            using var stream = entry.Open();
            stream.Write(Npy(array));
        }
    }

    public static byte[] Npy(Array array)
    {
        string shape = array.Shape.Length == 1
            ? $"({array.Shape[0]},)"
            : "(" + string.Join(", ", array.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")";
        string dict = array.RawHeader ?? $"{{'descr': '{array.Descr}', 'fortran_order': {(array.Fortran ? "True" : "False")}, 'shape': {shape}, }}";
        int prefix = array.Version == 1 ? 10 : 12;
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        string header = dict.PadRight(total - prefix - 1) + "\n";
        using var buffer = new MemoryStream();
        buffer.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)array.Version, 0]);
        if (array.Version == 1)
            buffer.Write(BitConverter.GetBytes((ushort)header.Length));
        else
            buffer.Write(BitConverter.GetBytes((uint)header.Length));
        buffer.Write(Encoding.ASCII.GetBytes(header));
        buffer.Write(array.Data, 0, array.TruncateTo ?? array.Data.Length);
        return buffer.ToArray();
    }
}

using System.Text;
using Ddnn.Core;

namespace Ddnn.Training.Reporting;

/// <summary>CSV files of result tables, written atomically (UTF-8, no byte-order mark) through <see cref="AtomicFile"/>.</summary>
public static class CsvFile
{
    /// <summary>Writes <paramref name="table"/> as RFC 4180 CSV to <paramref name="path"/> (temp file + rename).</summary>
    public static void Write(string path, ResultTable table)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(table);
        AtomicFile.WriteAllText(path, table.ToCsv());
    }

    /// <summary>Reads the records of a CSV file (header included).</summary>
    /// <exception cref="InvalidDataException">The file is not well-formed CSV; the message names the path.</exception>
    public static List<string[]> Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return CsvFormat.Parse(File.ReadAllText(path, Encoding.UTF8), path);
    }
}

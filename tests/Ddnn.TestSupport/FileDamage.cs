using System.Buffers.Binary;

namespace Ddnn.TestSupport;

/// <summary>
/// The damage every Ddnn file kind must report cleanly: each case is a changed copy of a valid file and a fragment the
/// error message must contain. The loader under test must throw <see cref="InvalidDataException"/> naming the path.
/// </summary>
public static class FileDamage
{
    /// <param name="valid">A valid file of the kind under test.</param>
    /// <param name="otherKind">The numeric kind of another file kind (must be rejected as the wrong kind).</param>
    /// <param name="foreignSection">A section type this kind cannot hold.</param>
    public static IEnumerable<(string Name, byte[] Bytes, string Fragment)> Cases(byte[] valid, uint otherKind, uint foreignSection)
    {
        RawDdnnFile Raw() => RawDdnnFile.Parse(valid);
        var lastSection = Raw().Sections.Count - 1;

        yield return ("bad magic", With(valid, b => b[0] = (byte)'X'), "bad magic");
        yield return ("retired format", With(valid, b => "DDNNMODL"u8.CopyTo(b)), "retired DDNNMODL format");
        yield return ("truncated header", valid[..20], "truncated header (20 of 32 bytes)");
        yield return ("empty file", [], "truncated header (0 of 32 bytes)");
        var raw = Raw(); raw.Version = 2;
        yield return ("newer version", raw.Build(), "file format version 2 is not supported");
        yield return ("corrupt header", With(valid, b => b[16] ^= 0x01), "header checksum mismatch");
        raw = Raw(); raw.Kind = 99;
        yield return ("unknown kind", raw.Build(), "unknown file kind 99");
        raw = Raw(); raw.Kind = otherKind;
        yield return ("another kind", raw.Build(), "file is expected here");
        yield return ("cut in the middle", valid[..(valid.Length / 2)], "truncated");
        yield return ("cut before the last checksum", valid[..^2], "truncated");
        yield return ("appended byte", [.. valid, 0], "unexpected bytes");
        yield return ("corrupt payload byte", With(valid, b => b[^5] ^= 0x20), $"section {lastSection} checksum mismatch");
        raw = Raw(); raw.Sections.Add(new RawSection(99, 0, [1, 2, 3]));
        yield return ("unknown section type", raw.Build(), $"section {lastSection + 1} has unknown section type 99");
        raw = Raw(); raw.Sections.Add(new RawSection(foreignSection, 0, [1, 2, 3]));
        yield return ("section the kind cannot hold", raw.Build(), "cannot hold");
        raw = Raw(); raw.DeclaredLength = (ulong)valid.Length + 8;
        yield return ("declared length too long", raw.Build(), "truncated: the header declares");
        var count = With(valid, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(16), 100_000));
        BinaryPrimitives.WriteUInt32LittleEndian(count.AsSpan(28), RawDdnnFile.Crc32(count.AsSpan(0, 28)));
        yield return ("section count too large", count, "section count 100000 cannot fit");
    }

    /// <summary>Writes each case to <paramref name="path"/> and asserts <paramref name="load"/> rejects it with a message naming the path and the case.</summary>
    public static void AssertEachIsReported(IEnumerable<(string Name, byte[] Bytes, string Fragment)> cases, string path, Action<string> load)
    {
        foreach (var (name, bytes, fragment) in cases)
        {
            File.WriteAllBytes(path, bytes);
            var error = Assert.Throws<InvalidDataException>(() => load(path));
            Assert.True(error.Message.Contains(path, StringComparison.Ordinal) && error.Message.Contains(fragment, StringComparison.Ordinal),
                $"{name}: expected '{fragment}' and the path in: {error.Message}");
        }
    }

    /// <summary>
    /// Flips <paramref name="mask"/> into the byte at <paramref name="position"/> (or cuts the file there) and asserts
    /// that <paramref name="roundTrip"/> (load the bytes as <paramref name="path"/>, serialize again) either throws an
    /// <see cref="InvalidDataException"/> naming the path or gives back exactly <paramref name="valid"/>.
    /// </summary>
    public static void AssertFlipOrCutIsCleanOrIdentical(byte[] valid, uint position, byte mask, bool cut, string path,
        Func<byte[], string, byte[]> roundTrip)
    {
        var bytes = (byte[])valid.Clone();
        var at = (int)(position % (uint)bytes.Length);
        if (cut) bytes = bytes[..at];
        else bytes[at] ^= mask;
        byte[] again;
        try
        {
            again = roundTrip(bytes, path);
        }
        catch (InvalidDataException e)
        {
            Assert.StartsWith(path + ": ", e.Message);
            return;
        }
        Assert.Equal(valid, again); // only an unchanged file (mask 0) may load
    }

    private static byte[] With(byte[] bytes, Action<byte[]> change)
    {
        var copy = (byte[])bytes.Clone();
        change(copy);
        return copy;
    }
}

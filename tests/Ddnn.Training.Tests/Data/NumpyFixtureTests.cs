using System.IO.Compression;
using Ddnn.TestSupport;
using Ddnn.Training.Data;

namespace Ddnn.Training.Tests.Data;

/// <summary>
/// Reads files written by numpy itself (tests/fixtures/npz, made by make_fixtures.py there). The expected values
/// are the script's formulas of the C-order element index, recomputed here.
/// </summary>
public class NumpyFixtureTests
{
    private const int SampleFloats = 6 * 3 * 32 * 32;

    private static string Fixture(string file) => Fixtures.Path("npz", file);

    // make_fixtures.py grid(): shape (2, 3, 4); signed k - 12, unsigned k, float (k - 12) / 4; element 0 the dtype's
    // minimum (floats: -max), element 23 its maximum (floats: the smallest subnormal).
    private static Int128 ExpectedInteger(string code, int k) => (code, k) switch
    {
        ("u1", 0) or ("u2", 0) or ("u4", 0) or ("u8", 0) => 0,
        ("u1", 23) => byte.MaxValue,
        ("u2", 23) => ushort.MaxValue,
        ("u4", 23) => uint.MaxValue,
        ("u8", 23) => ulong.MaxValue,
        ("i1", 0) => sbyte.MinValue,
        ("i2", 0) => short.MinValue,
        ("i4", 0) => int.MinValue,
        ("i8", 0) => long.MinValue,
        ("i1", 23) => sbyte.MaxValue,
        ("i2", 23) => short.MaxValue,
        ("i4", 23) => int.MaxValue,
        ("i8", 23) => long.MaxValue,
        _ => code[0] == 'u' ? k : k - 12,
    };

    private static double ExpectedFloat(string code, int k) => (code, k) switch
    {
        ("f2", 0) => -(double)Half.MaxValue,
        ("f4", 0) => -float.MaxValue,
        ("f8", 0) => -double.MaxValue,
        ("f2", 23) => (double)Half.Epsilon,
        ("f4", 23) => float.Epsilon,
        ("f8", 23) => double.Epsilon,
        _ => (k - 12) / 4.0,
    };

    private static void AssertGrid(NpyArray array, string code, string what)
    {
        Assert.Equal([2, 3, 4], array.Shape);
        Assert.Equal(24, array.Count);
        // The bulk path converts as the exact accessors do.
        var bulk = new double[24];
        array.CopyTo(0, bulk);
        var tail = new double[5];
        array.CopyTo(19, tail);
        Assert.Equal(bulk[19..], tail);
        Assert.Throws<ArgumentOutOfRangeException>(() => array.CopyTo(20, new double[5]));
        if (code[0] == 'f')
            Assert.Throws<InvalidOperationException>(() => array.GetInteger(0));
        for (int k = 0; k < 24; k++)
        {
            if (code[0] == 'f')
            {
                Assert.False(array.IsInteger, what);
                Assert.True(ExpectedFloat(code, k) == array.GetDouble(k), $"{what}[{k}]: {array.GetDouble(k)}, expected {ExpectedFloat(code, k)}");
                Assert.True(ExpectedFloat(code, k) == bulk[k], $"{what}[{k}] in bulk: {bulk[k]}, expected {ExpectedFloat(code, k)}");
            }
            else
            {
                Assert.True(array.IsInteger, what);
                Assert.True(ExpectedInteger(code, k) == array.GetInteger(k), $"{what}[{k}]: {array.GetInteger(k)}, expected {ExpectedInteger(code, k)}");
                Assert.True((double)ExpectedInteger(code, k) == bulk[k], $"{what}[{k}] in bulk: {bulk[k]}, expected {ExpectedInteger(code, k)}");
            }
        }
    }

    [Theory]
    [InlineData("dtypes_stored.npz", false)]
    [InlineData("dtypes_deflated.npz", true)]
    public void Every_dtype_byte_order_and_layout_reads_the_values_numpy_wrote(string file, bool deflated)
    {
        using var archive = ZipFile.OpenRead(Fixture(file));
        // 2 one-byte codes x 2 layouts + 9 wider codes x 2 byte orders x 2 layouts.
        Assert.Equal(40, archive.Entries.Count);
        foreach (var entry in archive.Entries)
        {
            Assert.Equal(deflated, entry.CompressedLength < entry.Length);
            string[] parts = Path.GetFileNameWithoutExtension(entry.Name).Split('_');
            var (code, order, layout) = (parts[0], parts[1], parts[2]);
            using var stream = entry.Open();
            var array = NpyArray.Read(stream, entry.Name);
            string expectedDescr = (order switch { "na" => "|", "le" => "<", _ => ">" }) + code;
            Assert.Equal(expectedDescr, array.Descr);
            Assert.Equal(layout == "F", array.FortranOrder);
            AssertGrid(array, code, entry.Name);
        }
    }

    [Theory]
    [InlineData("v1_i8_be_F.npy", 1, ">i8", true)]
    [InlineData("v2_f8_le_C.npy", 2, "<f8", false)]
    [InlineData("v3_u2_be_F.npy", 3, ">u2", true)]
    public void Npy_header_versions_1_2_and_3_are_read(string file, int version, string descr, bool fortran)
    {
        string path = Fixture(file);
        Assert.Equal(version, File.ReadAllBytes(path)[6]);
        using var stream = File.OpenRead(path);
        var array = NpyArray.Read(stream, file);
        Assert.Equal(descr, array.Descr);
        Assert.Equal(fortran, array.FortranOrder);
        AssertGrid(array, descr[1..], file);
    }

    [Theory]
    [InlineData("mvmc_stored_u1_i8.npz", 1, true)]
    [InlineData("mvmc_u1_i8.npz", 2, true)]
    [InlineData("mvmc_f8_f8.npz", 2, false)]
    [InlineData("mvmc_f4be_F_i4be_F.npz", 2, false)]
    [InlineData("mvmc_f2_u8.npz", 2, false)]
    [InlineData("mvmc_i2be_u2be.npz", 2, true)]
    [InlineData("mvmc_v2_i4_i1.npz", 2, true)]
    [InlineData("mvmc_v3_f8be_F_u1.npz", 2, false)]
    public void Mvmc_files_written_by_numpy_load_to_the_values_written(string file, int samples, bool integerImages)
    {
        var all = MvmcDataset.LoadAll(Fixture(file));
        Assert.Equal(samples, all.Count);
        // make_fixtures.py: pixel of C-order element k is (7 k) mod 256; integer images store it (read as pixel / 255),
        // float images store pixel / 256.
        var data = all.Data;
        Assert.Equal(samples * SampleFloats, data.Length);
        for (int k = 0; k < data.Length; k++)
        {
            int pixel = (int)(7L * k % 256);
            float expected = integerImages ? pixel / 255f : pixel / 256f;
            if (data[k] != expected)
                Assert.Fail($"{file}: X[{k}] = {data[k]}, expected {expected}");
        }
        for (int i = 0; i < samples; i++)
        {
            int global = -1;
            for (int d = 0; d < 6; d++)
            {
                int label = d >= 4 && i % 2 == 0 ? 3 : (i + d) % 3;
                Assert.Equal(label == 3 ? MultiViewDataset.NotVisible : label, all.GetViewLabel(i, d));
                if (label != 3)
                    global = Math.Max(global, label);
            }
            Assert.Equal(global, all.GetLabel(i));
        }
    }

    [Theory]
    [InlineData("bad_object_y.npz", "array y: dtype '|O' cannot be read: object arrays hold pickled Python objects")]
    [InlineData("bad_complex_x.npz", "array X: dtype '<c8' cannot be read: complex numbers")]
    [InlineData("bad_label_range.npz", "array y: sample 1 view 2 has label 7, expected an integer 0..3")]
    [InlineData("bad_label_huge.npz", "array y: sample 1 view 3 has label 1099511627776, expected an integer 0..3")]
    [InlineData("bad_label_negative.npz", "array y: sample 0 view 1 has label -1, expected an integer 0..3")]
    [InlineData("bad_label_fraction.npz", "array y: sample 1 view 0 has label 1.5, expected an integer 0..3")]
    [InlineData("bad_pixel_range.npz", "array X: sample 1 view 2 (channel 0, row 3, column 4) has value 300, expected a pixel value 0..255")]
    [InlineData("bad_x_overflow.npz", "array X: sample 1 view 5 (channel 2, row 31, column 30) has value 1E+300, which does not fit float32")]
    [InlineData("bad_x_nan.npz", "array X: sample 0 view 1 (channel 1, row 2, column 3) has value NaN, expected a finite number")]
    public void What_cannot_be_data_is_refused_in_one_line_naming_file_array_sample_and_value(string file, string problem)
    {
        string path = Fixture(file);
        var e = Assert.Throws<InvalidDataException>(() => MvmcDataset.LoadAll(path));
        Assert.Equal($"{path}: {problem}", e.Message[..Math.Min(e.Message.Length, path.Length + 2 + problem.Length)]);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("object", "dtype '|O' cannot be read: object arrays")]
    [InlineData("complex64", "dtype '<c8' cannot be read: complex numbers")]
    [InlineData("complex128", "dtype '<c16' cannot be read: complex numbers")]
    [InlineData("bool", "dtype '|b1' cannot be read: boolean arrays")]
    [InlineData("longdouble", "dtype '<f16' (long double) cannot be read")]
    [InlineData("unicode", "dtype '<U3' cannot be read: string arrays")]
    [InlineData("bytes", "dtype '|S3' cannot be read: string arrays")]
    [InlineData("datetime", "dtype '<M8[D]' cannot be read: date and time arrays")]
    [InlineData("record", "structured (record) dtype cannot be read")]
    public void Non_numeric_dtypes_numpy_writes_are_refused_naming_the_dtype(string member, string problem)
    {
        using var archive = ZipFile.OpenRead(Fixture("refused_dtypes.npz"));
        var entry = archive.GetEntry(member + ".npy");
        Assert.NotNull(entry);
        using var stream = entry.Open();
        var e = Assert.Throws<InvalidDataException>(() => NpyArray.Read(stream, $"refused_dtypes.npz: array {member}"));
        Assert.StartsWith($"refused_dtypes.npz: array {member}: {problem}", e.Message);
    }
}

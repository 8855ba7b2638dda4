using Ddnn.TestSupport;
using Ddnn.Training.Data;

namespace Ddnn.Training.Tests.Data;

public class MvmcDatasetTests
{
    private const int SampleFloats = 6 * 3 * 32 * 32;

    private static float[] Values(int n)
    {
        var x = new float[n * SampleFloats];
        for (int i = 0; i < x.Length; i++)
            x[i] = (i % 1009) / 1009f;
        return x;
    }

    // Sample i: view labels cycle through classes; views 4 and 5 of even samples are not visible (3).
    private static int[] Labels(int n)
    {
        var y = new int[n * 6];
        for (int i = 0; i < n; i++)
            for (int d = 0; d < 6; d++)
                y[i * 6 + d] = d >= 4 && i % 2 == 0 ? 3 : (i + d) % 3;
        return y;
    }

    private static string Write(TempDirectory dir, int n, bool compressed = true, int version = 1, string file = "mvmc.npz")
    {
        string path = dir.File(file);
        NpzTestFiles.WriteNpz(path, compressed,
            NpzTestFiles.Floats("X", [n, 6, 3, 32, 32], Values(n), version),
            NpzTestFiles.Ints("y", [n, 6], Labels(n), version));
        return path;
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(true, 2)]
    [InlineData(false, 1)]
    [InlineData(false, 2)]
    public void Round_trips_values_and_labels(bool compressed, int version)
    {
        using var dir = new TempDirectory();
        string path = Write(dir, 5, compressed, version);
        var all = MvmcDataset.LoadAll(path);
        Assert.Equal(5, all.Count);
        Assert.Equal(Values(5), all.Data.ToArray());
        var y = Labels(5);
        for (int i = 0; i < 5; i++)
        {
            int expectedGlobal = -1;
            for (int d = 0; d < 6; d++)
            {
                int fileLabel = y[i * 6 + d];
                Assert.Equal(fileLabel == 3 ? MultiViewDataset.NotVisible : fileLabel, all.GetViewLabel(i, d));
                if (fileLabel != 3)
                    expectedGlobal = Math.Max(expectedGlobal, fileLabel);
            }
            Assert.Equal(expectedGlobal, all.GetLabel(i));
        }
        Assert.Equal(3072, all.RawBytesPerDevicePerSample);
    }

    [Fact]
    public void Splits_train_part_validation_interleave_and_test_tail()
    {
        using var dir = new TempDirectory();
        string path = Write(dir, 25);
        var all = MvmcDataset.LoadAll(path);
        var splits = MvmcDataset.Load(path, new MvmcOptions { TrainPartCount = 20, ValidationEvery = 5 });
        Assert.Equal(16, splits.Train.Count);
        Assert.Equal(4, splits.Validation.Count);
        Assert.Equal(5, splits.Test.Count);
        Assert.Equal(all.GetSample(4).ToArray(), splits.Validation.GetSample(0).ToArray());
        Assert.Equal(all.GetSample(19).ToArray(), splits.Validation.GetSample(3).ToArray());
        Assert.Equal(all.GetSample(5).ToArray(), splits.Train.GetSample(4).ToArray());
        Assert.Equal(all.GetSample(20).ToArray(), splits.Test.GetSample(0).ToArray());
        Assert.Equal(all.ViewLabels[(24 * 6)..].ToArray(), splits.Test.ViewLabels[(4 * 6)..].ToArray());

        var noValidation = MvmcDataset.Load(path, new MvmcOptions { TrainPartCount = 20, ValidationEvery = 0 });
        Assert.Equal((20, 0), (noValidation.Train.Count, noValidation.Validation.Count));
        var e = Assert.Throws<InvalidDataException>(() => MvmcDataset.Load(path));
        Assert.Contains("25 samples, need more than the 680", e.Message);
    }

    [Fact]
    public void Sample_with_no_visible_view_is_named()
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.npz");
        var y = Labels(3);
        for (int d = 0; d < 6; d++)
            y[2 * 6 + d] = 3;
        NpzTestFiles.WriteNpz(path, true, NpzTestFiles.Floats("X", [3, 6, 3, 32, 32], Values(3)), NpzTestFiles.Ints("y", [3, 6], y));
        var e = Assert.Throws<InvalidDataException>(() => MvmcDataset.LoadAll(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("sample 2 is not visible in any view", e.Message);
    }

    [Fact]
    public void Label_out_of_range_is_named()
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.npz");
        var y = Labels(2);
        y[7] = 4;
        NpzTestFiles.WriteNpz(path, true, NpzTestFiles.Floats("X", [2, 6, 3, 32, 32], Values(2)), NpzTestFiles.Ints("y", [2, 6], y));
        var e = Assert.Throws<InvalidDataException>(() => MvmcDataset.LoadAll(path));
        Assert.Contains("sample 1 view 1 has label 4", e.Message);
    }

    public static TheoryData<string, NpzTestFiles.Array, string> BrokenX => new()
    {
        { "odd item size", NpzTestFiles.Floats("X", [2, 6, 3, 32, 32], Values(2)) with { Descr = "<i3" }, "unsupported dtype '<i3'" },
        { "unknown kind", NpzTestFiles.Floats("X", [2, 6, 3, 32, 32], Values(2)) with { Descr = "<q4" }, "dtype '<q4' cannot be read" },
        { "float bits as int32 pixels", NpzTestFiles.Floats("X", [2, 6, 3, 32, 32], Values(2)) with { Descr = "<i4" }, "expected a pixel value 0..255" },
        { "f8 data short", NpzTestFiles.Floats("X", [2, 6, 3, 32, 32], Values(2)) with { Descr = "<f8" }, "truncated data" },
        { "shape", NpzTestFiles.Floats("X", [2, 6, 3, 32, 32], Values(2)) with { Shape = [2, 6, 3, 1024] }, "shape is (2, 6, 3, 1024), expected (N, 6, 3, 32, 32)" },
        { "truncated", NpzTestFiles.Floats("X", [2, 6, 3, 32, 32], Values(2)) with { TruncateTo = 1000 }, "truncated data" },
        { "truncated v2", NpzTestFiles.Floats("X", [2, 6, 3, 32, 32], Values(2), version: 2) with { TruncateTo = 4 }, "truncated data" },
        { "version 4", NpzTestFiles.Floats("X", [2, 6, 3, 32, 32], Values(2)) with { Version = 4 }, "unsupported .npy format version 4.0" },
        { "header", NpzTestFiles.Floats("X", [2, 6, 3, 32, 32], Values(2)) with { RawHeader = "{'descr': '<f4', 'shape': (2, 6, 3, 32, 32), }" }, "no 'fortran_order'" },
        { "garbled", NpzTestFiles.Floats("X", [2, 6, 3, 32, 32], Values(2)) with { RawHeader = "{'descr' '<f4'}" }, "malformed .npy header" },
    };

    [Theory]
    [MemberData(nameof(BrokenX))]
    public void Malformed_X_is_rejected_naming_file_array_and_problem(string _, NpzTestFiles.Array x, string problem)
    {
        using var dir = new TempDirectory();
        string path = dir.File("broken.npz");
        NpzTestFiles.WriteNpz(path, true, x, NpzTestFiles.Ints("y", [2, 6], Labels(2)));
        var e = Assert.Throws<InvalidDataException>(() => MvmcDataset.LoadAll(path));
        Assert.Contains($"{path}: array X", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Missing_array_count_mismatch_and_bad_archive_are_rejected()
    {
        using var dir = new TempDirectory();
        string path = dir.File("noy.npz");
        NpzTestFiles.WriteNpz(path, false, NpzTestFiles.Floats("X", [2, 6, 3, 32, 32], Values(2)));
        var e = Assert.Throws<InvalidDataException>(() => MvmcDataset.LoadAll(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("missing array 'y'", e.Message);

        NpzTestFiles.WriteNpz(path, false, NpzTestFiles.Floats("X", [2, 6, 3, 32, 32], Values(2)), NpzTestFiles.Ints("y", [3, 6], Labels(3)));
        e = Assert.Throws<InvalidDataException>(() => MvmcDataset.LoadAll(path));
        Assert.Contains("X has 2 samples but array y has 3", e.Message);

        NpzTestFiles.WriteNpz(path, false, NpzTestFiles.Floats("X", [2, 6, 3, 32, 32], Values(2)), NpzTestFiles.Floats("y", [2, 6], new float[12]) with { Descr = "<c8" });
        e = Assert.Throws<InvalidDataException>(() => MvmcDataset.LoadAll(path));
        Assert.Contains("array y: dtype '<c8' cannot be read: complex numbers", e.Message);

        string notZip = dir.File("plain.npz");
        File.WriteAllText(notZip, "hello");
        e = Assert.Throws<InvalidDataException>(() => MvmcDataset.LoadAll(notZip));
        Assert.Contains("not a valid .npz", e.Message);

        e = Assert.Throws<InvalidDataException>(() => MvmcDataset.LoadAll(dir.File("absent.npz")));
        Assert.Contains("absent.npz: file not found", e.Message);
    }

    [Fact]
    public void Non_finite_values_are_rejected_naming_the_file()
    {
        using var dir = new TempDirectory();
        string path = dir.File("nan.npz");
        var x = Values(2);
        x[SampleFloats + 5] = float.PositiveInfinity;
        NpzTestFiles.WriteNpz(path, true, NpzTestFiles.Floats("X", [2, 6, 3, 32, 32], x), NpzTestFiles.Ints("y", [2, 6], Labels(2)));
        var e = Assert.Throws<InvalidDataException>(() => MvmcDataset.LoadAll(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("sample 1 view 0", e.Message);
    }

    [Fact]
    public void Npy_header_parser_accepts_numpy_variants()
    {
        var array = NpzTestFiles.Ints("a", [3], [1, 2, 3]) with { RawHeader = "{\"descr\": \"<i4\", \"fortran_order\": False, \"shape\": (3L,)}" };
        var parsed = NpyArray.Read(new MemoryStream(NpzTestFiles.Npy(array)), "a.npy");
        Assert.Equal([3], parsed.Shape);
        Assert.Equal([1, 2, 3], Enumerable.Range(0, 3).Select(k => (int)parsed.GetInteger(k)));
        var scalar = NpyArray.Read(new MemoryStream(NpzTestFiles.Npy(NpzTestFiles.Floats("s", [], [2.5f], version: 2) with { RawHeader = "{'descr': '<f4', 'fortran_order': False, 'shape': (), }" })), "s.npy");
        Assert.Empty(scalar.Shape);
        Assert.Equal(2.5, scalar.GetDouble(0));
        // '=' is native order, as numpy reads it; numpy itself writes '<' or '>' (and '|' for one-byte types).
        var native = NpyArray.Read(new MemoryStream(NpzTestFiles.Npy(NpzTestFiles.Floats("n", [2], [0.5f, -4f]) with { Descr = "=f4" })), "n.npy");
        Assert.Equal([0.5, -4.0], new[] { native.GetDouble(0), native.GetDouble(1) });
        var e = Assert.Throws<InvalidDataException>(() => NpyArray.Read(new MemoryStream([1, 2, 3, 4, 5, 6, 7, 8, 9]), "junk.npy"));
        Assert.Contains("junk.npy: not a .npy array", e.Message);
    }
}

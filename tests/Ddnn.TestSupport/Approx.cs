namespace Ddnn.TestSupport;

/// <summary>Tolerance assertions that report the first offending index, expected and actual values.</summary>
public static class Approx
{
    /// <summary>|actual - expected| &lt;= atol + rtol * scale for every element, scale = max |expected|.</summary>
    public static void EqualScaled(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double relativeToScale,
        double absolute = 0, string what = "tensor")
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        double scale = 0;
        foreach (var v in expected) scale = Math.Max(scale, Math.Abs(v));
        var tol = absolute + relativeToScale * scale;
        for (var i = 0; i < expected.Length; i++)
        {
            var err = Math.Abs(actual[i] - expected[i]);
            if (!(err <= tol))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (|err| {err:E3} > tol {tol:E3}, scale {scale:E3})");
        }
    }

    /// <summary>Bitwise-equal float spans, reporting the first difference.</summary>
    public static void Exact(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what = "tensor")
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (var i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }

    /// <summary>Element-wise |a-b| &lt;= atol + rtol*|b| for float spans.</summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float rtol, float atol, string what = "tensor")
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (var i = 0; i < expected.Length; i++)
        {
            var err = Math.Abs(actual[i] - expected[i]);
            if (!(err <= atol + rtol * Math.Abs(expected[i])))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (|err| {err:E3})");
        }
    }
}

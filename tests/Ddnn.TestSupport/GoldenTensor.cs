using System.Text.Json;

namespace Ddnn.TestSupport;

/// <summary>A tensor from a golden file: shape plus C-order data, kept in float64 as written.</summary>
public sealed class GoldenTensor
{
    public GoldenTensor(int[] shape, double[] data, string dtype)
    {
        long expected = 1;
        foreach (var d in shape) expected *= d;
        if (expected != data.Length)
            throw new InvalidDataException($"golden tensor of shape [{string.Join(",", shape)}] has {data.Length} values, expected {expected}");
        Shape = shape;
        Data = data;
        DType = dtype;
    }

    public int[] Shape { get; }
    public double[] Data { get; }
    public string DType { get; }
    public int Length => Data.Length;

    /// <summary>The values as float32; exact because the golden inputs are dyadic rationals.</summary>
    public float[] ToFloat() => Array.ConvertAll(Data, v => (float)v);

    public int[] ToInt() => Array.ConvertAll(Data, v => checked((int)v));

    public long[] ToLong() => Array.ConvertAll(Data, v => (long)v);

    /// <summary>max |value|, the "scale" of the golden README's tolerances.</summary>
    public double Scale => Data.Length == 0 ? 0 : Data.Max(Math.Abs);

    public static GoldenTensor Parse(JsonElement e)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var data = e.GetProperty("data").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var dtype = e.TryGetProperty("dtype", out var dt) ? dt.GetString() ?? "float64" : "float64";
        return new GoldenTensor(shape, data, dtype);
    }
}

namespace Ddnn.Core;

/// <summary>Shape arithmetic and formatting shared by tensors and ops.</summary>
internal static class ShapeUtil
{
    public static int Volume(ReadOnlySpan<int> shape, string what)
    {
        long v = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"{what} {Format(shape)} has a negative dimension.", what);
            v *= d;
            if (v > int.MaxValue) throw new ArgumentException($"{what} {Format(shape)} has more than {int.MaxValue} values.", what);
        }
        return (int)v;
    }

    public static string Format(ReadOnlySpan<int> shape) => "(" + string.Join(",", shape.ToArray()) + ")";

    public static bool Equal(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    /// <summary>Product of the dimensions from <paramref name="start"/> to the end.</summary>
    public static int Inner(int[] shape, int start)
    {
        var v = 1;
        for (var i = start; i < shape.Length; i++) v *= shape[i];
        return v;
    }
}

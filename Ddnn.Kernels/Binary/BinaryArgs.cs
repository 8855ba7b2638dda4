namespace Ddnn.Kernels.Binary;

/// <summary>Argument checks shared by the binary kernels; every message names the parameter and the sizes involved.</summary>
internal static class BinaryArgs
{
    public static void Positive(int value, string name)
    {
        if (value < 1)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 1 (got {value}).");
    }

    public static void NonNegative(int value, string name)
    {
        if (value < 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must not be negative (got {value}).");
    }

    /// <summary>Product of the dimensions, rejecting sizes that do not fit a span.</summary>
    public static int Product(string what, params ReadOnlySpan<int> dims)
    {
        long product = 1;
        foreach (var d in dims)
        {
            product *= d;
            if (product > int.MaxValue)
                throw new ArgumentException($"{what} has more than {int.MaxValue} elements.");
        }
        return (int)product;
    }

    public static void Length<T>(ReadOnlySpan<T> span, int expected, string name, string shape)
    {
        if (span.Length != expected)
            throw new ArgumentException(
                $"{name} has {span.Length} elements but shape {shape} needs {expected}.", name);
    }

    public static void Length<T>(Span<T> span, int expected, string name, string shape) =>
        Length((ReadOnlySpan<T>)span, expected, name, shape);
}

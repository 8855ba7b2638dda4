namespace Ddnn.Kernels;

/// <summary>Argument validation shared by the public float kernels; every message names the parameter.</summary>
internal static class Check
{
    public static void Length(int actual, long expected, string parameter)
    {
        if (actual != expected)
            throw new ArgumentException($"{parameter} has length {actual}, expected {expected}.", parameter);
    }

    public static void SameLength(int actual, int reference, string parameter, string referenceName)
    {
        if (actual != reference)
            throw new ArgumentException(
                $"{parameter} has length {actual}, expected {reference} (the length of {referenceName}).", parameter);
    }

    public static void OptionalLength(int actual, long expected, string parameter)
    {
        if (actual != 0 && actual != expected)
            throw new ArgumentException($"{parameter} has length {actual}, expected {expected} or 0 (none).", parameter);
    }

    public static int Positive(int value, string parameter)
    {
        if (value <= 0)
            throw new ArgumentOutOfRangeException(parameter, value, $"{parameter} must be positive.");
        return value;
    }

    public static int NonNegative(int value, string parameter)
    {
        if (value < 0)
            throw new ArgumentOutOfRangeException(parameter, value, $"{parameter} must not be negative.");
        return value;
    }

    /// <summary>rows*cols as a checked product so oversized shapes fail loudly instead of wrapping.</summary>
    public static long Product(int a, int b) => (long)a * b;

    public static long Product(int a, int b, int c) => (long)a * b * c;
}

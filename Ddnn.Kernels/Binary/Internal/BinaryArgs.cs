using System.Diagnostics.CodeAnalysis;
using System.Globalization;

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

    /// <summary>
    /// Checks a span length. The shape text is a composite format over <paramref name="dims"/> and is only formatted
    /// when the check fails, so a valid call allocates nothing.
    /// </summary>
    public static void Length<T>(ReadOnlySpan<T> span, int expected, string name, string shapeFormat, params ReadOnlySpan<int> dims)
    {
        if (span.Length != expected) ThrowLength(span.Length, expected, name, shapeFormat, dims);
    }

    public static void Length<T>(Span<T> span, int expected, string name, string shapeFormat, params ReadOnlySpan<int> dims) =>
        Length((ReadOnlySpan<T>)span, expected, name, shapeFormat, dims);

    /// <summary>Throws unless prepared weights of shape (Cout, Cin, kH, kW) fit <paramref name="geometry"/>.</summary>
    public static void WeightsMatch(string name, int outChannels, int inChannels, int kernelH, int kernelW, BinaryConvGeometry geometry)
    {
        if (outChannels != geometry.OutChannels || inChannels != geometry.InChannels || kernelH != geometry.KernelH
            || kernelW != geometry.KernelW)
            throw new ArgumentException(
                $"{name} are (Cout={outChannels}, Cin={inChannels}, k={kernelH}x{kernelW}) but the geometry needs " +
                $"(Cout={geometry.OutChannels}, Cin={geometry.InChannels}, k={geometry.KernelH}x{geometry.KernelW}).", name);
    }

    [DoesNotReturn]
    private static void ThrowLength(int actual, int expected, string name, string shapeFormat, ReadOnlySpan<int> dims)
    {
        var values = new object[dims.Length];
        for (var i = 0; i < dims.Length; i++) values[i] = dims[i];
        var shape = string.Format(CultureInfo.InvariantCulture, shapeFormat, values);
        throw new ArgumentException($"{name} has {actual} elements but shape {shape} needs {expected}.", name);
    }
}

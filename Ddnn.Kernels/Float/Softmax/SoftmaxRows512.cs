using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels;

/// <summary>
/// The Avx512 bodies of the softmax family, one row at a time: 16 columns per step, the last partial step through
/// masked loads and stores (a row of 10 classes is one masked step), exponentials by <see cref="Vector512.Exp(Vector512{float})"/>
/// and <see cref="Vector512.Exp(Vector512{double})"/> in the precision of the scalar twin (float for softmax, double
/// for the log-sum-exp, entropy and cross-entropy gradient). Results agree with the scalar twin within a few ulps:
/// the vector exponentials are not bit-identical to <see cref="MathF.Exp"/>/<see cref="Math.Exp"/> and sums run in
/// another order.
/// </summary>
internal static unsafe class SoftmaxRows512
{
    public static bool Supports(KernelPath path) => path >= KernelPath.Avx512;

    /// <summary>All-ones lanes for the columns j.. of a row of <paramref name="cols"/> that exist.</summary>
    private static Vector512<float> Mask(int j, int cols) =>
        cols - j >= Vector512<float>.Count
            ? Vector512<float>.AllBitsSet
            : Vector512.LessThan(Vector512<float>.Indices, Vector512.Create((float)(cols - j)));

    private static Vector512<float> Load(float* row, int j, Vector512<float> mask, float missing) =>
        Avx512F.MaskLoad(row + j, mask, Vector512.Create(missing));

    public static float Max(float* row, int cols)
    {
        var acc = Vector512.Create(float.NegativeInfinity);
        for (var j = 0; j < cols; j += Vector512<float>.Count)
            acc = Vector512.Max(acc, Load(row, j, Mask(j, cols), float.NegativeInfinity));
        var max = float.NegativeInfinity;
        for (var lane = 0; lane < Vector512<float>.Count; lane++) max = Math.Max(max, acc[lane]);
        return max;
    }

    /// <summary>max + log Σ exp(row − max), in double.</summary>
    public static double LogSumExp(float* row, int cols)
    {
        var max = Max(row, cols);
        return max + LogSumExpShifted(row, cols, max);
    }

    /// <summary>log Σ exp(row − max) in double.</summary>
    public static double LogSumExpShifted(float* row, int cols, float max)
    {
        var m = Vector512.Create((double)max);
        var acc = Vector512<double>.Zero;
        for (var j = 0; j < cols; j += Vector512<float>.Count)
        {
            var v = Load(row, j, Mask(j, cols), float.NegativeInfinity); // exp(−inf) = 0 for missing columns
            acc += Vector512.Exp(Vector512.WidenLower(v) - m) + Vector512.Exp(Vector512.WidenUpper(v) - m);
        }
        return Math.Log(Vector512.Sum(acc));
    }

    /// <summary>dst = exp(row − max) in float; returns their sum in double.</summary>
    public static double ExpShifted(float* row, int cols, float max, float* dst)
    {
        var m = Vector512.Create(max);
        var sum = Vector512<double>.Zero;
        for (var j = 0; j < cols; j += Vector512<float>.Count)
        {
            var mask = Mask(j, cols);
            var e = Vector512.Exp(Load(row, j, mask, float.NegativeInfinity) - m);
            Avx512F.MaskStore(dst + j, mask, e);
            sum += Vector512.WidenLower(e) + Vector512.WidenUpper(e);
        }
        return Vector512.Sum(sum);
    }

    /// <summary>dst ·= factor.</summary>
    public static void Scale(float* dst, int cols, float factor)
    {
        var f = Vector512.Create(factor);
        for (var j = 0; j < cols; j += Vector512<float>.Count)
        {
            var mask = Mask(j, cols);
            Avx512F.MaskStore(dst + j, mask, Load(dst, j, mask, 0f) * f);
        }
    }

    /// <summary>dst = (float)(row − shift), the difference taken in double.</summary>
    public static void SubtractShift(float* row, int cols, double shift, float* dst)
    {
        var s = Vector512.Create(shift);
        for (var j = 0; j < cols; j += Vector512<float>.Count)
        {
            var mask = Mask(j, cols);
            var v = Load(row, j, mask, 0f);
            Avx512F.MaskStore(dst + j, mask, Vector512.Narrow(Vector512.WidenLower(v) - s, Vector512.WidenUpper(v) - s));
        }
    }

    /// <summary>−Σ p·log p with log p = row − shift, in double.</summary>
    public static double Entropy(float* row, int cols, double shift)
    {
        var s = Vector512.Create(shift);
        var acc = Vector512<double>.Zero;
        for (var j = 0; j < cols; j += Vector512<float>.Count)
        {
            // Missing columns get log p = 0, which adds exp(0)·0 = 0.
            var v = Load(row, j, Mask(j, cols), 0f);
            var lo = Vector512.WidenLower(v) - s;
            var hi = Vector512.WidenUpper(v) - s;
            lo = Vector512.ConditionalSelect(Vector512.LessThan(Vector512<double>.Indices, Vector512.Create((double)(cols - j))), lo, Vector512<double>.Zero);
            hi = Vector512.ConditionalSelect(Vector512.LessThan(Vector512<double>.Indices + Vector512.Create(8.0), Vector512.Create((double)(cols - j))), hi, Vector512<double>.Zero);
            acc -= Vector512.Exp(lo) * lo + Vector512.Exp(hi) * hi;
        }
        return Vector512.Sum(acc);
    }

    /// <summary>d = (float)(factor·(exp(row − logSum) − onehot(label))), in double.</summary>
    public static void CrossEntropyGradient(float* row, int cols, double logSum, double factor, int label, float* d)
    {
        var shift = Vector512.Create(logSum);
        var f = Vector512.Create(factor);
        var labelAt = Vector512.Create((double)label);
        for (var j = 0; j < cols; j += Vector512<float>.Count)
        {
            var mask = Mask(j, cols);
            var v = Load(row, j, mask, 0f);
            var column = Vector512<double>.Indices + Vector512.Create((double)j);
            var lo = f * (Vector512.Exp(Vector512.WidenLower(v) - shift) - OneAt(column, labelAt));
            var hi = f * (Vector512.Exp(Vector512.WidenUpper(v) - shift) - OneAt(column + Vector512.Create(8.0), labelAt));
            Avx512F.MaskStore(d + j, mask, Vector512.Narrow(lo, hi));
        }
    }

    private static Vector512<double> OneAt(Vector512<double> column, Vector512<double> label) =>
        Vector512.ConditionalSelect(Vector512.Equals(column, label), Vector512<double>.One, Vector512<double>.Zero);
}

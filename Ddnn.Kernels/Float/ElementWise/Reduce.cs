using System.Runtime.Intrinsics;

namespace Ddnn.Kernels;

/// <summary>Reductions over float spans, accumulated in double for stability.</summary>
public static unsafe class Reduce
{
    /// <summary>Σ x, accumulated in double; 0 for an empty span.</summary>
    public static float Sum(ReadOnlySpan<float> x)
    {
        fixed (float* p = x) return (float)SumDouble(KernelDispatch.Active, p, x.Length);
    }

    /// <summary>Σ x·y, accumulated in double; 0 for empty spans.</summary>
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        Check.SameLength(y.Length, x.Length, nameof(y), nameof(x));
        fixed (float* px = x, py = y) return (float)DotDouble(KernelDispatch.Active, px, py, x.Length);
    }

    /// <summary>The largest element (NaN if any element is NaN).</summary>
    /// <exception cref="ArgumentException">x is empty.</exception>
    public static float Max(ReadOnlySpan<float> x)
    {
        if (x.IsEmpty) throw new ArgumentException("x is empty; the maximum of no elements is undefined.", nameof(x));
        fixed (float* p = x) return MaxOf(KernelDispatch.Active, p, x.Length);
    }

    /// <summary>dst[j] = Σ_i x[i, j] over a rows×cols matrix (the bias gradient of a linear layer), plus dst if accumulate.</summary>
    public static void SumColumns(int rows, int cols, ReadOnlySpan<float> x, Span<float> dst, bool accumulate = false)
    {
        Check.NonNegative(rows, nameof(rows));
        Check.NonNegative(cols, nameof(cols));
        Check.Length(x.Length, Check.Product(rows, cols), nameof(x));
        Check.Length(dst.Length, cols, nameof(dst));
        if (!accumulate) dst.Clear();
        fixed (float* px = x, pd = dst)
            for (var i = 0; i < rows; i++)
                ElementWiseKernels.AddInPlace(pd, px + (long)i * cols, cols);
    }

    /// <summary>dst[i] = Σ_j x[i, j] over a rows×cols matrix (double accumulation), plus dst if accumulate.</summary>
    public static void SumRows(int rows, int cols, ReadOnlySpan<float> x, Span<float> dst, bool accumulate = false)
    {
        Check.NonNegative(rows, nameof(rows));
        Check.NonNegative(cols, nameof(cols));
        Check.Length(x.Length, Check.Product(rows, cols), nameof(x));
        Check.Length(dst.Length, rows, nameof(dst));
        var path = KernelDispatch.Active;
        fixed (float* px = x)
            for (var i = 0; i < rows; i++)
            {
                var s = (float)SumDouble(path, px + (long)i * cols, cols);
                dst[i] = accumulate ? dst[i] + s : s;
            }
    }

    internal static double SumDouble(KernelPath path, float* x, long n)
    {
        long i = 0;
        double total = 0;
        if (path >= KernelPath.Avx512 && n >= 16)
        {
            var acc0 = Vector512<double>.Zero;
            var acc1 = Vector512<double>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.Load(x + i);
                acc0 += Vector512.WidenLower(v);
                acc1 += Vector512.WidenUpper(v);
            }
            total += Vector512.Sum(acc0 + acc1);
        }
        if (path >= KernelPath.Avx2 && n - i >= 8)
        {
            var acc0 = Vector256<double>.Zero;
            var acc1 = Vector256<double>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.Load(x + i);
                acc0 += Vector256.WidenLower(v);
                acc1 += Vector256.WidenUpper(v);
            }
            total += Vector256.Sum(acc0 + acc1);
        }
        if (path != KernelPath.Scalar && n - i >= 4)
        {
            var acc0 = Vector128<double>.Zero;
            var acc1 = Vector128<double>.Zero;
            for (; i <= n - 4; i += 4)
            {
                var v = Vector128.Load(x + i);
                acc0 += Vector128.WidenLower(v);
                acc1 += Vector128.WidenUpper(v);
            }
            total += Vector128.Sum(acc0 + acc1);
        }
        for (; i < n; i++) total += x[i];
        return total;
    }

    internal static double DotDouble(KernelPath path, float* x, float* y, long n)
    {
        long i = 0;
        double total = 0;
        if (path >= KernelPath.Avx512 && n >= 16)
        {
            var acc0 = Vector512<double>.Zero;
            var acc1 = Vector512<double>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var a = Vector512.Load(x + i);
                var b = Vector512.Load(y + i);
                acc0 += Vector512.WidenLower(a) * Vector512.WidenLower(b);
                acc1 += Vector512.WidenUpper(a) * Vector512.WidenUpper(b);
            }
            total += Vector512.Sum(acc0 + acc1);
        }
        if (path >= KernelPath.Avx2 && n - i >= 8)
        {
            var acc0 = Vector256<double>.Zero;
            var acc1 = Vector256<double>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var a = Vector256.Load(x + i);
                var b = Vector256.Load(y + i);
                acc0 += Vector256.WidenLower(a) * Vector256.WidenLower(b);
                acc1 += Vector256.WidenUpper(a) * Vector256.WidenUpper(b);
            }
            total += Vector256.Sum(acc0 + acc1);
        }
        if (path != KernelPath.Scalar && n - i >= 4)
        {
            var acc0 = Vector128<double>.Zero;
            var acc1 = Vector128<double>.Zero;
            for (; i <= n - 4; i += 4)
            {
                var a = Vector128.Load(x + i);
                var b = Vector128.Load(y + i);
                acc0 += Vector128.WidenLower(a) * Vector128.WidenLower(b);
                acc1 += Vector128.WidenUpper(a) * Vector128.WidenUpper(b);
            }
            total += Vector128.Sum(acc0 + acc1);
        }
        for (; i < n; i++) total += (double)x[i] * y[i];
        return total;
    }

    /// <summary>Σ (x − mean)², in double.</summary>
    internal static double SquaredDeviationDouble(KernelPath path, float* x, long n, double mean)
    {
        long i = 0;
        double total = 0;
        if (path >= KernelPath.Avx512 && n >= 16)
        {
            var m = Vector512.Create(mean);
            var acc0 = Vector512<double>.Zero;
            var acc1 = Vector512<double>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.Load(x + i);
                var d0 = Vector512.WidenLower(v) - m;
                var d1 = Vector512.WidenUpper(v) - m;
                acc0 += d0 * d0;
                acc1 += d1 * d1;
            }
            total += Vector512.Sum(acc0 + acc1);
        }
        if (path >= KernelPath.Avx2 && n - i >= 8)
        {
            var m = Vector256.Create(mean);
            var acc0 = Vector256<double>.Zero;
            var acc1 = Vector256<double>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.Load(x + i);
                var d0 = Vector256.WidenLower(v) - m;
                var d1 = Vector256.WidenUpper(v) - m;
                acc0 += d0 * d0;
                acc1 += d1 * d1;
            }
            total += Vector256.Sum(acc0 + acc1);
        }
        if (path != KernelPath.Scalar && n - i >= 4)
        {
            var m = Vector128.Create(mean);
            var acc0 = Vector128<double>.Zero;
            var acc1 = Vector128<double>.Zero;
            for (; i <= n - 4; i += 4)
            {
                var v = Vector128.Load(x + i);
                var d0 = Vector128.WidenLower(v) - m;
                var d1 = Vector128.WidenUpper(v) - m;
                acc0 += d0 * d0;
                acc1 += d1 * d1;
            }
            total += Vector128.Sum(acc0 + acc1);
        }
        for (; i < n; i++)
        {
            var d = x[i] - mean;
            total += d * d;
        }
        return total;
    }

    internal static float MaxOf(KernelPath path, float* x, long n)
    {
        long i = 0;
        var best = float.NegativeInfinity;
        if (path >= KernelPath.Avx512 && n >= 16)
        {
            var acc = Vector512.Create(float.NegativeInfinity);
            for (; i <= n - 16; i += 16) acc = Vector512.Max(acc, Vector512.Load(x + i));
            for (var j = 0; j < 16; j++) best = Math.Max(best, acc[j]);
        }
        if (path >= KernelPath.Avx2 && n - i >= 8)
        {
            var acc = Vector256.Create(float.NegativeInfinity);
            for (; i <= n - 8; i += 8) acc = Vector256.Max(acc, Vector256.Load(x + i));
            for (var j = 0; j < 8; j++) best = Math.Max(best, acc[j]);
        }
        if (path != KernelPath.Scalar && n - i >= 4)
        {
            var acc = Vector128.Create(float.NegativeInfinity);
            for (; i <= n - 4; i += 4) acc = Vector128.Max(acc, Vector128.Load(x + i));
            for (var j = 0; j < 4; j++) best = Math.Max(best, acc[j]);
        }
        for (; i < n; i++) best = Math.Max(best, x[i]);
        return best;
    }
}

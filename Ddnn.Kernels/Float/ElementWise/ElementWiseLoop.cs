using System.Runtime.Intrinsics;

namespace Ddnn.Kernels;

/// <summary>
/// The one loop every element-wise operator runs through: 512-bit vectors on Avx512, then 256-bit vectors on Avx2 and
/// above, then 128-bit vectors, then a scalar tail (an overlapping last vector would recompute elements when dst aliases an input).
/// dst may be the same span as an input; partial overlaps are not supported.
/// </summary>
internal static unsafe class ElementWiseLoop
{
    public static void Run<TOp>(KernelPath path, in TOp op, float* x, float* dst, long n) where TOp : struct, IUnaryOperator
    {
        long i = 0;
        if (path >= KernelPath.Avx512)
        {
            for (; i <= n - 64; i += 64)
            {
                op.Invoke(Vector512.Load(x + i)).Store(dst + i);
                op.Invoke(Vector512.Load(x + i + 16)).Store(dst + i + 16);
                op.Invoke(Vector512.Load(x + i + 32)).Store(dst + i + 32);
                op.Invoke(Vector512.Load(x + i + 48)).Store(dst + i + 48);
            }
            for (; i <= n - 16; i += 16) op.Invoke(Vector512.Load(x + i)).Store(dst + i);
        }
        if (path >= KernelPath.Avx2)
        {
            for (; i <= n - 32; i += 32)
            {
                op.Invoke(Vector256.Load(x + i)).Store(dst + i);
                op.Invoke(Vector256.Load(x + i + 8)).Store(dst + i + 8);
                op.Invoke(Vector256.Load(x + i + 16)).Store(dst + i + 16);
                op.Invoke(Vector256.Load(x + i + 24)).Store(dst + i + 24);
            }
            for (; i <= n - 8; i += 8) op.Invoke(Vector256.Load(x + i)).Store(dst + i);
        }
        if (path != KernelPath.Scalar)
            for (; i <= n - 4; i += 4) op.Invoke(Vector128.Load(x + i)).Store(dst + i);
        for (; i < n; i++) dst[i] = op.Invoke(x[i]);
    }

    public static void Run<TOp>(KernelPath path, in TOp op, float* x, float* y, float* dst, long n) where TOp : struct, IBinaryOperator
    {
        long i = 0;
        if (path >= KernelPath.Avx512)
        {
            for (; i <= n - 64; i += 64)
            {
                op.Invoke(Vector512.Load(x + i), Vector512.Load(y + i)).Store(dst + i);
                op.Invoke(Vector512.Load(x + i + 16), Vector512.Load(y + i + 16)).Store(dst + i + 16);
                op.Invoke(Vector512.Load(x + i + 32), Vector512.Load(y + i + 32)).Store(dst + i + 32);
                op.Invoke(Vector512.Load(x + i + 48), Vector512.Load(y + i + 48)).Store(dst + i + 48);
            }
            for (; i <= n - 16; i += 16) op.Invoke(Vector512.Load(x + i), Vector512.Load(y + i)).Store(dst + i);
        }
        if (path >= KernelPath.Avx2)
        {
            for (; i <= n - 32; i += 32)
            {
                op.Invoke(Vector256.Load(x + i), Vector256.Load(y + i)).Store(dst + i);
                op.Invoke(Vector256.Load(x + i + 8), Vector256.Load(y + i + 8)).Store(dst + i + 8);
                op.Invoke(Vector256.Load(x + i + 16), Vector256.Load(y + i + 16)).Store(dst + i + 16);
                op.Invoke(Vector256.Load(x + i + 24), Vector256.Load(y + i + 24)).Store(dst + i + 24);
            }
            for (; i <= n - 8; i += 8) op.Invoke(Vector256.Load(x + i), Vector256.Load(y + i)).Store(dst + i);
        }
        if (path != KernelPath.Scalar)
            for (; i <= n - 4; i += 4) op.Invoke(Vector128.Load(x + i), Vector128.Load(y + i)).Store(dst + i);
        for (; i < n; i++) dst[i] = op.Invoke(x[i], y[i]);
    }

    public static void Unary<TOp>(in TOp op, ReadOnlySpan<float> x, Span<float> dst) where TOp : struct, IUnaryOperator
    {
        Check.SameLength(dst.Length, x.Length, nameof(dst), nameof(x));
        fixed (float* px = x, pd = dst) Run(KernelDispatch.Active, op, px, pd, x.Length);
    }

    public static void Binary<TOp>(in TOp op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst,
        string xName, string yName, string dstName) where TOp : struct, IBinaryOperator
    {
        Check.SameLength(y.Length, x.Length, yName, xName);
        Check.SameLength(dst.Length, x.Length, dstName, xName);
        fixed (float* px = x, py = y, pd = dst) Run(KernelDispatch.Active, op, px, py, pd, x.Length);
    }
}

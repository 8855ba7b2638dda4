namespace Ddnn.Kernels;

/// <summary>Pointer-level element-wise helpers for other kernels (no validation; callers own the bounds).</summary>
internal static unsafe class ElementWiseKernels
{
    public static void AddInPlace(float* dst, float* x, long n) =>
        ElementWiseLoop.Run(KernelDispatch.Active, new AddOperator(), dst, x, dst, n);

    public static void AddScalar(float* x, float value, float* dst, long n) =>
        ElementWiseLoop.Run(KernelDispatch.Active, new AddScalarOperator(value), x, dst, n);

    public static void Fill(float* dst, long n, float value) => new Span<float>(dst, checked((int)n)).Fill(value);
}

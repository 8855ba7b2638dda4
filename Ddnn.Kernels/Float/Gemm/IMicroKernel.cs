namespace Ddnn.Kernels;

/// <summary>
/// A register-blocked GEMM micro-kernel: an Mr×Nr tile of C from packed A (kc×Mr, row p holds the Mr values of
/// column p) and packed B (kc×Nr). Implementations are structs so generic code specialises per kernel.
/// </summary>
internal unsafe interface IMicroKernel
{
    static abstract int Mr { get; }
    static abstract int Nr { get; }

    /// <summary>
    /// c[r, j] = Σ_p a[p, r]·b[p, j], then + c[r, j] when <paramref name="loadC"/>, then + bias[j] when bias is not null.
    /// </summary>
    static abstract void Run(int kc, float* a, float* b, float* c, int ldc, bool loadC, float* bias);

    /// <summary>
    /// An edge tile into <paramref name="tile"/> (row stride Nr, no C, no bias): at least its first
    /// <paramref name="columns"/> columns are c[r, j] = Σ_p a[p, r]·b[p, j], each summed as <see cref="Run"/> sums it.
    /// </summary>
    static abstract void RunEdge(int kc, float* a, float* b, float* tile, int columns);
}

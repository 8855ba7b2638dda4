namespace Ddnn.Kernels;

/// <summary>An instruction-set path a kernel can run on. Every path has the scalar path as its reference twin.</summary>
public enum KernelPath
{
    /// <summary>Plain C#, one element at a time; the reference every other path is tested against.</summary>
    Scalar = 0,

    /// <summary>Portable 128-bit vectors (SSE on x86, AdvSimd/NEON on Arm).</summary>
    Vector128 = 1,

    /// <summary>256-bit AVX2 with FMA (x86 only).</summary>
    Avx2 = 2,

    /// <summary>512-bit AVX-512 (F, BW, DQ, VL) on x86, with the AVX2/FMA instructions for 256-bit tails.</summary>
    Avx512 = 3,
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels;

/// <summary>
/// The bordered copy of one pooling plane the vector pooling bodies read from: rows of <see cref="RowStride"/> floats,
/// the plane at (pad, pad), the border filled with a constant (−inf for max, 0 for average) and wide enough that a
/// row chunk's vector loads never leave the buffer.
/// </summary>
internal static unsafe class PaddedPlane
{
    /// <summary>Floats per buffer row when outputs are computed <paramref name="lanes"/> at a time.</summary>
    public static int RowStride(in Pool2dShape s, int lanes)
    {
        var chunks = (s.OutWidth + lanes - 1) / lanes;
        // Widest read: the last chunk's window start plus a two-vector load for stride 2.
        return Math.Max(s.Width + 2 * s.Pad, s.Stride * chunks * lanes + s.Kernel) + 2 * lanes;
    }

    /// <summary>The buffer from <paramref name="slot"/>, every element set to <paramref name="border"/>.</summary>
    public static float* Rent(ref float[]? slot, in Pool2dShape s, int rowStride, float border)
    {
        var length = (s.Height + 2 * s.Pad) * rowStride;
        var padded = Scratch.Get(ref slot, length);
        new Span<float>(padded, length).Fill(border);
        return padded;
    }

    /// <summary>Copies a plane into the buffer's interior; the border keeps its value.</summary>
    /// <remarks>
    /// Training planes are 8 to 32 floats wide, so a copy call per row (a memmove) cost more than the copy itself;
    /// rows are copied here in 4-float vectors, inlined.
    /// </remarks>
    public static void Copy(float* padded, int rowStride, in Pool2dShape s, float* plane)
    {
        int w = s.Width, pad = s.Pad;
        for (var iy = 0; iy < s.Height; iy++)
        {
            var dst = padded + (long)(iy + pad) * rowStride + pad;
            var src = plane + iy * w;
            var i = 0;
            for (; i + 4 <= w; i += 4) Vector128.Load(src + i).Store(dst + i);
            for (; i < w; i++) dst[i] = src[i];
        }
    }

    /// <summary>16 window cells at column stride 1 or 2 from <paramref name="p"/> (stride 2 reads 32 floats).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(float* p, int stride) => stride == 1
        ? Vector512.Load(p)
        : Avx512F.PermuteVar16x32x2(Vector512.Load(p), Vector512<int>.Indices * 2, Vector512.Load(p + 16));
}

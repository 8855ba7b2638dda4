using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels;

/// <summary>
/// The Avx512 bodies of <see cref="AvgPool2d"/> for strides 1 and 2, 16 neighbouring outputs (forward) or inputs
/// (backward) of a row at a time. Forward: each plane is copied into a zero-bordered <see cref="PaddedPlane"/> and each
/// window adds its real cells in the scalar twin's row-major order. Backward gathers instead of scattering: each input
/// adds the shares of the windows that cover it in the order the scalar twin scatters them (window row, then window
/// column). Both insert only +0 terms between the twin's, which leave a sum unchanged (a sum started at +0 is never
/// −0), so the results equal the scalar twin bit for bit.
/// </summary>
internal static unsafe class AvgPoolVector
{
    private const int Lanes = 16;

    [ThreadStatic] private static float[]? _paddedSlot;
    [ThreadStatic] private static float[]? _sharesSlot;

    public static bool Supports(KernelPath path, in Pool2dShape s) => path >= KernelPath.Avx512 && (s.Stride == 1 || s.Stride == 2);

    public static void Forward(in Pool2dShape s, float* x, float* y)
    {
        int h = s.Height, w = s.Width, oh = s.OutHeight, ow = s.OutWidth, k = s.Kernel, st = s.Stride, pad = s.Pad;
        var stride = PaddedPlane.RowStride(s, Lanes);
        var padded = PaddedPlane.Rent(ref _paddedSlot, s, stride, 0f);
        var inv = Vector512.Create(1f / (k * k));
        for (var plane = 0; plane < s.Planes; plane++)
        {
            PaddedPlane.Copy(padded, stride, s, x + (long)plane * h * w);
            var dst = y + (long)plane * oh * ow;
            for (var oy = 0; oy < oh; oy++)
            {
                var y0 = oy * st - pad;
                int ylo = Math.Max(y0, 0), yhi = Math.Min(y0 + k, h);
                for (var ox0 = 0; ox0 < ow; ox0 += Lanes)
                {
                    var sum = Vector512<float>.Zero;
                    for (var iy = ylo; iy < yhi; iy++)
                    {
                        var row = padded + (long)(iy + pad) * stride + ox0 * st;
                        for (var kx = 0; kx < k; kx++) sum += PaddedPlane.Load16(row + kx, st);
                    }
                    var count = Math.Min(Lanes, ow - ox0);
                    var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
                    Avx512F.MaskStore(dst + oy * ow + ox0, mask, sum * inv);
                }
            }
        }
    }

    public static void Backward(in Pool2dShape s, float* dy, float* dx)
    {
        int h = s.Height, w = s.Width, oh = s.OutHeight, ow = s.OutWidth, k = s.Kernel, st = s.Stride, pad = s.Pad;
        var inv = 1f / (k * k);
        // One row per window row: the share of window column ox at position k − 1 + ox·st, zeros elsewhere, so input
        // column ix reads the windows that cover it at positions ix + pad .. ix + pad + k − 1, in window-column order.
        var shareStride = w + pad + k - 1 + Lanes;
        var shares = Scratch.Get(ref _sharesSlot, (long)oh * shareStride);
        new Span<float>(shares, oh * shareStride).Clear();
        for (var plane = 0; plane < s.Planes; plane++)
        {
            var g = dy + (long)plane * oh * ow;
            for (var oy = 0; oy < oh; oy++)
            for (var ox = 0; ox < ow; ox++)
                shares[(long)oy * shareStride + k - 1 + ox * st] = g[oy * ow + ox] * inv;
            var d = dx + (long)plane * h * w;
            for (var iy = 0; iy < h; iy++)
            {
                // Window rows covering iy: oy·st − pad ≤ iy ≤ oy·st − pad + k − 1.
                var first = iy + pad - k + 1;
                int oyLo = first <= 0 ? 0 : (first + st - 1) / st, oyHi = Math.Min(oh - 1, (iy + pad) / st);
                for (var ix0 = 0; ix0 < w; ix0 += Lanes)
                {
                    var sum = Vector512<float>.Zero;
                    for (var oy = oyLo; oy <= oyHi; oy++)
                    {
                        var row = shares + (long)oy * shareStride + ix0 + pad;
                        for (var t = 0; t < k; t++) sum += Vector512.Load(row + t);
                    }
                    var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(w - ix0)).AsSingle();
                    Avx512F.MaskStore(d + iy * w + ix0, mask, sum);
                }
            }
        }
    }
}

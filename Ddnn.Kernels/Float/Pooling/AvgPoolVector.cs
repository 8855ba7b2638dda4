using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels;

/// <summary>
/// The Avx512 body of <see cref="AvgPool2d.Forward"/> for strides 1 and 2: each plane is copied into a zero-bordered
/// <see cref="PaddedPlane"/> and 16 neighbouring outputs of a row are summed together. Each window adds its real cells
/// in the scalar twin's row-major order; border cells add +0, which leaves a sum unchanged (a sum started at +0 is
/// never −0), so the results equal the scalar twin bit for bit.
/// </summary>
internal static unsafe class AvgPoolVector
{
    private const int Lanes = 16;

    [ThreadStatic] private static float[]? _paddedSlot;

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
}

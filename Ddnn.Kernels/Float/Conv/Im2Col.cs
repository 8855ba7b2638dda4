namespace Ddnn.Kernels;

/// <summary>
/// Lowers one image to its patch matrix (Cin·kH·kW rows × OH·OW columns) and scatters such a matrix back.
/// Row r = (c, u, v) holds x[c, oh·s − p + u, ow·s − p + v] (zero outside the image).
/// </summary>
internal static unsafe class Im2Col
{
    public static void Lower(in Conv2dShape s, float* image, float* col)
    {
        int oh = s.OutHeight, ow = s.OutWidth, h = s.Height, w = s.Width;
        for (var c = 0; c < s.InChannels; c++)
        {
            var plane = image + (long)c * h * w;
            for (var u = 0; u < s.KernelH; u++)
            for (var v = 0; v < s.KernelW; v++)
            {
                ValidColumns(v - s.PadW, s.StrideW, w, ow, out var lo, out var hi);
                for (var y = 0; y < oh; y++, col += ow)
                {
                    var iy = y * s.StrideH - s.PadH + u;
                    if ((uint)iy >= (uint)h || lo >= hi)
                    {
                        new Span<float>(col, ow).Clear();
                        continue;
                    }
                    for (var x = 0; x < lo; x++) col[x] = 0;
                    var src = plane + (long)iy * w + (v - s.PadW);
                    if (s.StrideW == 1)
                        new ReadOnlySpan<float>(src + lo, hi - lo).CopyTo(new Span<float>(col + lo, hi - lo));
                    else
                        for (var x = lo; x < hi; x++) col[x] = src[x * s.StrideW];
                    for (var x = hi; x < ow; x++) col[x] = 0;
                }
            }
        }
    }

    /// <summary>image += the patch matrix scattered back (the adjoint of <see cref="Lower"/>).</summary>
    public static void ScatterAdd(in Conv2dShape s, float* col, float* image)
    {
        int oh = s.OutHeight, ow = s.OutWidth, h = s.Height, w = s.Width;
        for (var c = 0; c < s.InChannels; c++)
        {
            var plane = image + (long)c * h * w;
            for (var u = 0; u < s.KernelH; u++)
            for (var v = 0; v < s.KernelW; v++)
            {
                ValidColumns(v - s.PadW, s.StrideW, w, ow, out var lo, out var hi);
                for (var y = 0; y < oh; y++, col += ow)
                {
                    var iy = y * s.StrideH - s.PadH + u;
                    if ((uint)iy >= (uint)h) continue;
                    var dst = plane + (long)iy * w + (v - s.PadW);
                    if (s.StrideW == 1)
                        ElementWiseKernels.AddInPlace(dst + lo, col + lo, hi - lo);
                    else
                        for (var x = lo; x < hi; x++) dst[x * s.StrideW] += col[x];
                }
            }
        }
    }

    /// <summary>Output columns [lo, hi) whose input column x·stride + offset lies inside [0, width).</summary>
    private static void ValidColumns(int offset, int stride, int width, int outWidth, out int lo, out int hi)
    {
        lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        var last = width - 1 - offset; // largest x·stride allowed
        hi = last < 0 ? 0 : Math.Min(outWidth, last / stride + 1);
        if (lo > hi) lo = hi;
    }
}

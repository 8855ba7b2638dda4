using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels;

/// <summary>
/// Lowers one image to its patch matrix (Cin·kH·kW rows × OH·OW columns) and scatters such a matrix back.
/// Row r = (c, u, v) holds x[c, oh·s − p + u, ow·s − p + v] (zero outside the image). Lowering takes the row
/// stride of the patch matrix, so several images can be lowered side by side into one wider matrix.
/// </summary>
internal static unsafe class Im2Col
{
    [ThreadStatic] private static float[]? _paddedSlot;

    /// <summary>
    /// Stride-1 lowering through a zero-bordered copy of the image: every patch-matrix row segment is then one
    /// branch-free contiguous copy. Used for small planes, where per-row bounds logic would dominate. The copies are
    /// 512-bit on the <see cref="KernelPath.Avx512"/> path.
    /// </summary>
    public static void LowerStrideOne(in Conv2dShape s, KernelPath path, float* image, float* col, long ldCol)
    {
        int oh = s.OutHeight, ow = s.OutWidth;
        var wide = path >= KernelPath.Avx512;
        var padded = PadImage(s, image, wide, out var pw, out var planeSize);
        for (var c = 0; c < s.InChannels; c++)
        {
            var plane = padded + (long)c * planeSize;
            for (var u = 0; u < s.KernelH; u++)
            for (var v = 0; v < s.KernelW; v++, col += ldCol)
            {
                var src = plane + (long)u * pw + v;
                var dst = col;
                if (wide && ow % 16 == 0)
                {
                    for (var y = 0; y < oh; y++, dst += ow, src += pw)
                        for (var x = 0; x < ow; x += 16) Vector512.Store(Vector512.Load(src + x), dst + x);
                }
                else if (ow % 8 == 0 && Vector256.IsHardwareAccelerated)
                {
                    // Rows of whole vectors (the 8- and 16-wide planes of the DDNN): no tail logic per row.
                    for (var y = 0; y < oh; y++, dst += ow, src += pw)
                        for (var x = 0; x < ow; x += 8) Vector256.Store(Vector256.Load(src + x), dst + x);
                }
                else
                {
                    for (var y = 0; y < oh; y++, dst += ow, src += pw) CopyFloats(dst, src, ow, wide);
                }
            }
        }
    }

    /// <summary>
    /// Stride-1 lowering of one image straight into the packed-B layout of the GEMM (consecutive k×<paramref name="nr"/>
    /// strips, k = Cin·kH·kW, the image's OH·OW columns in order, OH·OW a multiple of nr), so the product needs no
    /// separate packing pass. Row segments that cross a strip boundary are split.
    /// </summary>
    public static void LowerStrips(in Conv2dShape s, KernelPath path, float* image, float* packed, int nr)
    {
        int oh = s.OutHeight, ow = s.OutWidth;
        var wide = path >= KernelPath.Avx512;
        var padded = PadImage(s, image, wide, out var pw, out var planeSize);
        var stripSize = (long)s.PatchLength * nr;
        var row = packed;
        for (var c = 0; c < s.InChannels; c++)
        for (var u = 0; u < s.KernelH; u++)
        for (var v = 0; v < s.KernelW; v++, row += nr)
        {
            var src = padded + c * planeSize + (long)u * pw + v;
            // dst + offset walks the image's columns; offset wraps at each strip's end onto the next strip.
            var dst = row;
            var offset = 0;
            // The 8- and 16-wide planes of the DDNN: every output row lies inside one strip, one vector move.
            if (wide && ow == 8 && nr % 8 == 0)
            {
                for (var y = 0; y < oh; y++, src += pw)
                {
                    Vector256.Store(Vector256.Load(src), dst + offset);
                    offset += 8;
                    if (offset == nr)
                    {
                        offset = 0;
                        dst += stripSize;
                    }
                }
                continue;
            }
            if (wide && ow == 16 && nr % 16 == 0)
            {
                for (var y = 0; y < oh; y++, src += pw)
                {
                    Vector512.Store(Vector512.Load(src), dst + offset);
                    offset += 16;
                    if (offset == nr)
                    {
                        offset = 0;
                        dst += stripSize;
                    }
                }
                continue;
            }
            for (var y = 0; y < oh; y++, src += pw)
            {
                for (var x = 0; x < ow;)
                {
                    var count = Math.Min(ow - x, nr - offset);
                    CopyFloats(dst + offset, src + x, count, wide);
                    x += count;
                    offset += count;
                    if (offset == nr)
                    {
                        offset = 0;
                        dst += stripSize;
                    }
                }
            }
        }
    }

    private static float* PadImage(in Conv2dShape s, float* image, bool wide, out int pw, out long planeSize)
    {
        pw = s.Width + 2 * s.PadW;
        planeSize = (long)(s.Height + 2 * s.PadH) * pw;
        var padded = Scratch.Get(ref _paddedSlot, planeSize * s.InChannels);
        PadInto(s, image, padded, wide);
        return padded;
    }

    /// <summary>
    /// Writes the image's planes with a zero border of PadH rows and PadW columns into <paramref name="padded"/>
    /// (Cin planes of (H + 2·PadH) × (W + 2·PadW) floats, back to back).
    /// </summary>
    public static void PadInto(in Conv2dShape s, float* image, float* padded, bool wide)
    {
        if (wide)
        {
            PadInto512(s, image, padded);
            return;
        }
        int h = s.Height, w = s.Width, padH = s.PadH, padW = s.PadW;
        var pw = w + 2 * padW;
        var planeSize = (long)(h + 2 * padH) * pw;
        for (var c = 0; c < s.InChannels; c++)
        {
            var plane = padded + c * planeSize;
            new Span<float>(plane, padH * pw).Clear();
            for (var iy = 0; iy < h; iy++)
            {
                var row = plane + (long)(iy + padH) * pw + padW;
                // Borders are a float or two wide: element stores, a clear call per row cost more than the row copy.
                for (var i = 1; i <= padW; i++)
                {
                    row[-i] = 0;
                    row[w - 1 + i] = 0;
                }
                CopyFloats(row, image + (long)(c * h + iy) * w, w, wide);
            }
            new Span<float>(plane + (long)(h + padH) * pw, padH * pw).Clear();
        }
    }

    /// <summary>
    /// <see cref="PadInto"/> by whole bordered rows, 16 floats at a time: a masked load of the image row (lanes outside
    /// it read nothing and are zero) and a masked store, so each padded row of the small training planes is one move.
    /// </summary>
    private static void PadInto512(in Conv2dShape s, float* image, float* padded)
    {
        int h = s.Height, w = s.Width, padH = s.PadH, padW = s.PadW;
        var pw = w + 2 * padW;
        var rows = h + 2 * padH;
        for (var c = 0; c < s.InChannels; c++)
        {
            var plane = image + (long)c * h * w;
            var dst = padded + (long)c * rows * pw;
            for (var j0 = 0; j0 < pw; j0 += 16)
            {
                var column = Vector512<int>.Indices + Vector512.Create(j0 - padW);
                var inside = (Vector512.GreaterThanOrEqual(column, Vector512<int>.Zero)
                    & Vector512.LessThan(column, Vector512.Create(w))).AsSingle();
                var kept = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(pw - j0)).AsSingle();
                var at = dst + j0;
                for (var r = 0; r < padH; r++, at += pw) Avx512F.MaskStore(at, kept, Vector512<float>.Zero);
                var src = plane + j0 - padW;
                for (var iy = 0; iy < h; iy++, at += pw, src += w)
                    Avx512F.MaskStore(at, kept, Avx512F.MaskLoad(src, inside, Vector512<float>.Zero));
                for (var r = 0; r < padH; r++, at += pw) Avx512F.MaskStore(at, kept, Vector512<float>.Zero);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyFloats(float* dst, float* src, int n, bool wide)
    {
        var i = 0;
        if (wide)
            for (; i <= n - 16; i += 16) Vector512.Store(Vector512.Load(src + i), dst + i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8) Vector256.Store(Vector256.Load(src + i), dst + i);
        for (; i <= n - 4; i += 4) Vector128.Store(Vector128.Load(src + i), dst + i);
        for (; i < n; i++) dst[i] = src[i];
    }

    public static void Lower(in Conv2dShape s, float* image, float* rows, long ldCol)
    {
        int oh = s.OutHeight, ow = s.OutWidth, h = s.Height, w = s.Width;
        for (var c = 0; c < s.InChannels; c++)
        {
            var plane = image + (long)c * h * w;
            for (var u = 0; u < s.KernelH; u++)
            for (var v = 0; v < s.KernelW; v++, rows += ldCol)
            {
                ValidColumns(v - s.PadW, s.StrideW, w, ow, out var lo, out var hi);
                var col = rows;
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

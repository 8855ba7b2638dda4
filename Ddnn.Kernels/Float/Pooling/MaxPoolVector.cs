using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels;

/// <summary>
/// Vectorised max pooling for strides 1 and 2: each plane is copied into a −inf-bordered <see cref="PaddedPlane"/>,
/// then 16 (Avx512; 8 for a row's last 8 or fewer, and two rows at once when a row is at most 8 wide), 8 (Avx2)
/// or 4 (Vector128) neighbouring outputs of a row are computed together. On Avx512, planes at most 16 wide with at
/// most 8 outputs per row (the training shapes) skip the copy: their rows are read from x by masked loads. Window
/// cells are visited in row-major order with a strict &gt; (NaN always taken, as libtorch), so values and argmax
/// match the scalar twin exactly.
/// </summary>
internal static unsafe class MaxPoolVector
{
    [ThreadStatic] private static float[]? _paddedSlot;

    public static bool Supports(KernelPath path, in Pool2dShape s) =>
        (path >= KernelPath.Avx2 || path == KernelPath.Vector128) && (s.Stride == 1 || s.Stride == 2);

    public static void Forward(KernelPath path, in Pool2dShape s, float* x, float* y, int* argmax)
    {
        int h = s.Height, w = s.Width, oh = s.OutHeight, ow = s.OutWidth, k = s.Kernel, st = s.Stride, pad = s.Pad;
        var lanes = path >= KernelPath.Avx512 ? 16 : path >= KernelPath.Avx2 ? 8 : 4;
        if (lanes == 16 && ReadsRowsDirectly(s))
        {
            ForwardDirect(s, x, y, argmax);
            return;
        }
        var chunks = (ow + lanes - 1) / lanes;
        var stride = PaddedPlane.RowStride(s, lanes);
        var padded = PaddedPlane.Rent(ref _paddedSlot, s, stride, float.NegativeInfinity);

        for (var plane = 0; plane < s.Planes; plane++)
        {
            PaddedPlane.Copy(padded, stride, s, x + (long)plane * h * w);
            var dst = y + (long)plane * oh * ow;
            var idx = argmax + (long)plane * oh * ow;
            var firstRow = 0;
            if (lanes == 16 && ow <= 8)
                for (; firstRow + 1 < oh; firstRow += 2)
                    TwoRows8(padded, stride, w, k, st, pad, firstRow, dst + firstRow * ow, idx + firstRow * ow, ow);
            for (var oy = firstRow; oy < oh; oy++)
            {
                var y0 = oy * st - pad;
                int ylo = Math.Max(y0, 0), yhi = Math.Min(y0 + k, h);
                for (var chunk = 0; chunk < chunks; chunk++)
                {
                    var ox0 = chunk * lanes;
                    var count = Math.Min(lanes, ow - ox0);
                    if (lanes == 16 && count > 8)
                        Row16(padded, stride, w, k, st, pad, ylo, yhi, ox0, dst + oy * ow + ox0, idx + oy * ow + ox0, count);
                    else if (lanes >= 8)
                        Row8(padded, stride, w, k, st, pad, ylo, yhi, ox0, dst + oy * ow + ox0, idx + oy * ow + ox0, count);
                    else
                        Row4(padded, stride, w, k, st, pad, ylo, yhi, ox0, dst + oy * ow + ox0, idx + oy * ow + ox0, count);
                }
            }
        }
    }

    /// <summary>
    /// True when a plane row fits one zmm and every window cell of a row of at most 8 outputs lies in the first 16
    /// columns: the rows are then read straight from x, with no bordered copy.
    /// </summary>
    private static bool ReadsRowsDirectly(in Pool2dShape s) =>
        s.Width <= 16 && s.OutWidth <= 8 && (s.OutWidth - 1) * s.Stride + s.Kernel - 1 - s.Pad <= 15;

    /// <summary>
    /// Two output rows per 16-lane vector (as <see cref="TwoRows8"/>) read from x itself: a window row is one masked
    /// load (lanes past the plane row read nothing and hold −inf), a window column one permute of the two rows, and
    /// the cells left of the plane are −inf by a blend; rows above or below the plane are all −inf. An odd last
    /// output row runs with an empty second half that is not stored.
    /// </summary>
    private static void ForwardDirect(in Pool2dShape s, float* x, float* y, int* argmax)
    {
        int h = s.Height, w = s.Width, oh = s.OutHeight, ow = s.OutWidth, k = s.Kernel, st = s.Stride, pad = s.Pad;
        var column = Vector512<int>.Indices & Vector512.Create(7);
        var firstCol = column * st - Vector512.Create(pad);
        var upper = Vector512.GreaterThan(Vector512<int>.Indices, Vector512.Create(7));
        var inRow = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(w)).AsSingle();
        var stored = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(ow)).AsSingle();
        var negativeInfinity = Vector512.Create(float.NegativeInfinity);
        // Per window column, hoisted out of the planes: the permute pick, the lanes left of the plane, the input column.
        var picks = stackalloc Vector512<int>[k];
        var outside = stackalloc Vector512<float>[k];
        var columns = stackalloc Vector512<int>[k];
        for (var kx = 0; kx < k; kx++)
        {
            var col = firstCol + Vector512.Create(kx);
            columns[kx] = col;
            picks[kx] = (col & Vector512.Create(15)) | (upper & Vector512.Create(16));
            outside[kx] = Vector512.LessThan(col, Vector512<int>.Zero).AsSingle();
        }
        for (var plane = 0; plane < s.Planes; plane++)
        {
            var src = x + (long)plane * h * w;
            var dst = y + (long)plane * oh * ow;
            var idx = argmax + (long)plane * oh * ow;
            for (var oy = 0; oy < oh; oy += 2)
            {
                int y0 = oy * st - pad, y1 = y0 + st;
                var at = Vector512.ConditionalSelect(upper, Vector512.Create(Math.Max(y1, 0) * w), Vector512.Create(Math.Max(y0, 0) * w))
                    + Vector512.Max(firstCol, Vector512<int>.Zero);
                var best = negativeInfinity;
                for (var ky = 0; ky < k; ky++)
                {
                    int r0 = y0 + ky, r1 = y1 + ky;
                    var row0 = (uint)r0 < (uint)h ? Avx512F.MaskLoad(src + r0 * w, inRow, negativeInfinity) : negativeInfinity;
                    var row1 = (uint)r1 < (uint)h ? Avx512F.MaskLoad(src + r1 * w, inRow, negativeInfinity) : negativeInfinity;
                    var rowStart = Vector512.ConditionalSelect(upper, Vector512.Create(r1 * w), Vector512.Create(r0 * w));
                    // The rule is associative (last NaN, else first maximum, in visiting order), so each window row is
                    // reduced on its own and then merged in row order: independent chains instead of one k·k long.
                    var rowBest = Vector512.ConditionalSelect(outside[0], negativeInfinity, Avx512F.PermuteVar16x32x2(row0, picks[0], row1));
                    var rowAt = rowStart + columns[0];
                    for (var kx = 1; kx < k; kx++)
                    {
                        var candidate = Vector512.ConditionalSelect(outside[kx], negativeInfinity,
                            Avx512F.PermuteVar16x32x2(row0, picks[kx], row1));
                        Keep(candidate, rowStart + columns[kx], ref rowBest, ref rowAt);
                    }
                    Keep(rowBest, rowAt, ref best, ref at);
                }
                if (ow == 8 && oy + 1 < oh)
                {
                    best.Store(dst + oy * 8);
                    at.Store(idx + oy * 8);
                    continue;
                }
                Avx512F.MaskStore(dst + oy * ow, stored, best.GetLower().ToVector512());
                Avx512F.MaskStore(idx + oy * ow, stored.AsInt32(), at.GetLower().ToVector512());
                if (oy + 1 >= oh) continue;
                Avx512F.MaskStore(dst + (oy + 1) * ow, stored, Vector512.Create(best.GetUpper(), best.GetUpper()));
                Avx512F.MaskStore(idx + (oy + 1) * ow, stored.AsInt32(), Vector512.Create(at.GetUpper(), at.GetUpper()));
            }
        }
    }

    /// <summary>
    /// Output rows <paramref name="oy"/> and oy + 1 of a plane at most 8 outputs wide, in one 16-lane vector (the
    /// training shapes are 8 wide, which would fill only half of one). All k window rows are visited, border rows
    /// included: their −inf never passes the strict &gt;, so values and argmax match the row-by-row bodies.
    /// </summary>
    private static void TwoRows8(float* padded, int stride, int w, int k, int st, int pad, int oy, float* dst, int* idx, int ow)
    {
        var column = Vector512<int>.Indices & Vector512.Create(7);
        var firstCol = column * st - Vector512.Create(pad);
        var upper = Vector512.GreaterThan(Vector512<int>.Indices, Vector512.Create(7));
        // Lanes 0-7 take column·st of the first row's load, lanes 8-15 the same of the second (16 + column·st).
        var pick = column * st + (upper & Vector512.Create(16));
        int y0 = oy * st - pad, y1 = y0 + st;
        var at = Vector512.ConditionalSelect(upper, Vector512.Create(Math.Max(y1, 0) * w), Vector512.Create(Math.Max(y0, 0) * w))
            + Vector512.Max(firstCol, Vector512<int>.Zero);
        var best = Vector512.Create(float.NegativeInfinity);
        for (var ky = 0; ky < k; ky++)
        {
            var row0 = padded + (long)(y0 + ky + pad) * stride;
            var row1 = padded + (long)(y1 + ky + pad) * stride;
            var rowIndex = Vector512.ConditionalSelect(upper, Vector512.Create((y1 + ky) * w), Vector512.Create((y0 + ky) * w)) + firstCol;
            for (var kx = 0; kx < k; kx++)
            {
                var candidate = Avx512F.PermuteVar16x32x2(Vector512.Load(row0 + kx), pick, Vector512.Load(row1 + kx));
                Keep(candidate, rowIndex + Vector512.Create(kx), ref best, ref at);
            }
        }
        if (ow == 8)
        {
            best.Store(dst);
            at.Store(idx);
            return;
        }
        for (var i = 0; i < ow; i++)
        {
            dst[i] = best.GetElement(i);
            idx[i] = at.GetElement(i);
            dst[ow + i] = best.GetElement(8 + i);
            idx[ow + i] = at.GetElement(8 + i);
        }
    }

    private static void Row16(float* padded, int stride, int w, int k, int st, int pad, int ylo, int yhi, int ox0,
        float* dst, int* idx, int count)
    {
        var firstCol = Vector512<int>.Indices * st + Vector512.Create(ox0 * st - pad);
        var best = Vector512.Create(float.NegativeInfinity);
        var at = Vector512.Create(ylo * w) + Vector512.Max(firstCol, Vector512<int>.Zero);
        for (var iy = ylo; iy < yhi; iy++)
        {
            var row = padded + (long)(iy + pad) * stride + ox0 * st;
            var rowIndex = Vector512.Create(iy * w) + firstCol;
            for (var kx = 0; kx < k; kx++)
            {
                var candidate = PaddedPlane.Load16(row + kx, st);
                Keep(candidate, rowIndex + Vector512.Create(kx), ref best, ref at);
            }
        }
        if (count == 16)
        {
            best.Store(dst);
            at.Store(idx);
            return;
        }
        for (var i = 0; i < count; i++)
        {
            dst[i] = best.GetElement(i);
            idx[i] = at.GetElement(i);
        }
    }

    private static void Row8(float* padded, int stride, int w, int k, int st, int pad, int ylo, int yhi, int ox0,
        float* dst, int* idx, int count)
    {
        var lane = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        var firstCol = lane * st + Vector256.Create(ox0 * st - pad); // input column of each window's kx = 0
        var best = Vector256.Create(float.NegativeInfinity);
        var at = Vector256.Create(ylo * w) + Vector256.Max(firstCol, Vector256<int>.Zero);
        for (var iy = ylo; iy < yhi; iy++)
        {
            var row = padded + (long)(iy + pad) * stride + ox0 * st;
            var rowIndex = Vector256.Create(iy * w) + firstCol;
            for (var kx = 0; kx < k; kx++)
            {
                Vector256<float> candidate;
                if (st == 1)
                {
                    candidate = Vector256.Load(row + kx);
                }
                else
                {
                    var even = Avx.Shuffle(Vector256.Load(row + kx), Vector256.Load(row + kx + 8), 0b10_00_10_00);
                    candidate = Avx2.Permute4x64(even.AsDouble(), 0b11_01_10_00).AsSingle();
                }
                Keep(candidate, rowIndex + Vector256.Create(kx), ref best, ref at);
            }
        }
        if (count == 8)
        {
            best.Store(dst);
            at.Store(idx);
            return;
        }
        for (var i = 0; i < count; i++)
        {
            dst[i] = best.GetElement(i);
            idx[i] = at.GetElement(i);
        }
    }

    private static void Row4(float* padded, int stride, int w, int k, int st, int pad, int ylo, int yhi, int ox0,
        float* dst, int* idx, int count)
    {
        var lane = Vector128.Create(0, 1, 2, 3);
        var firstCol = lane * st + Vector128.Create(ox0 * st - pad);
        var best = Vector128.Create(float.NegativeInfinity);
        var at = Vector128.Create(ylo * w) + Vector128.Max(firstCol, Vector128<int>.Zero);
        for (var iy = ylo; iy < yhi; iy++)
        {
            var row = padded + (long)(iy + pad) * stride + ox0 * st;
            var rowIndex = Vector128.Create(iy * w) + firstCol;
            for (var kx = 0; kx < k; kx++)
            {
                var p = row + kx;
                var candidate = st == 1 ? Vector128.Load(p) : Vector128.Create(p[0], p[2], p[4], p[6]);
                Keep(candidate, rowIndex + Vector128.Create(kx), ref best, ref at);
            }
        }
        if (count == 4)
        {
            best.Store(dst);
            at.Store(idx);
            return;
        }
        for (var i = 0; i < count; i++)
        {
            dst[i] = best.GetElement(i);
            idx[i] = at.GetElement(i);
        }
    }

    // The scalar twin's rule (MaxPool2d), lane by lane: a candidate replaces the running maximum when it is greater or
    // NaN, so a NaN propagates, as in libtorch, and the index kept is the one the scalar loop keeps.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Keep(Vector512<float> candidate, Vector512<int> index, ref Vector512<float> best, ref Vector512<int> at)
    {
        var take = Vector512.GreaterThan(candidate, best) | ~Vector512.Equals(candidate, candidate);
        best = Vector512.ConditionalSelect(take, candidate, best);
        at = Vector512.ConditionalSelect(take.AsInt32(), index, at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Keep(Vector256<float> candidate, Vector256<int> index, ref Vector256<float> best, ref Vector256<int> at)
    {
        var take = Vector256.GreaterThan(candidate, best) | ~Vector256.Equals(candidate, candidate);
        best = Vector256.ConditionalSelect(take, candidate, best);
        at = Vector256.ConditionalSelect(take.AsInt32(), index, at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Keep(Vector128<float> candidate, Vector128<int> index, ref Vector128<float> best, ref Vector128<int> at)
    {
        var take = Vector128.GreaterThan(candidate, best) | ~Vector128.Equals(candidate, candidate);
        best = Vector128.ConditionalSelect(take, candidate, best);
        at = Vector128.ConditionalSelect(take.AsInt32(), index, at);
    }
}

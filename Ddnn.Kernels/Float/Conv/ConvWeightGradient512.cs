using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels;

/// <summary>
/// Weight gradient of stride-1 3×3 convolutions with Cout a multiple of 16 on the <see cref="KernelPath.Avx512"/>
/// path, straight from zero-bordered input planes: dWᵀ[(c, u, v), o] += x̃[c, y + u, x + v] · dy[o, y, x], 16 output
/// channels per zmm against a broadcast input value, two input channels (18 accumulators) at a time. The training
/// planes are small (8×8), where im2col plus the transposed packing of the GEMM cost more than the multiply-adds;
/// this form has neither. Each weight's sum runs over images, rows and columns in order, whatever the chunking.
/// Planes whose output rows are whole zmm (16, 32, ... wide: the device convolutions, Cout = 4) take the row form
/// instead: 16 output pixels per zmm against the shifted input rows, two output channels (18 accumulators) at a time,
/// each accumulator summed across its lanes at the end.
/// </summary>
internal static unsafe class ConvWeightGradient512
{
    /// <summary>Images bordered and transposed at a time: their planes and dy stay in L2 across the channel pairs.</summary>
    private const int ImagesPerChunk = 16;

    [ThreadStatic] private static float[]? _paddedSlot;
    [ThreadStatic] private static float[]? _dyTransposedSlot;
    [ThreadStatic] private static float[]? _sumSlot;

    /// <summary>True when this form applies: the Avx512 path, a 3×3 stride-1 kernel, Cout a multiple of 16, small planes.</summary>
    public static bool Supports(KernelPath path, in Conv2dShape s) =>
        path >= KernelPath.Avx512 && s.KernelH == 3 && s.KernelW == 3 && s.StrideH == 1 && s.StrideW == 1
        && s.OutChannels % 16 == 0
        && (long)(s.Height + 2 * s.PadH) * (s.Width + 2 * s.PadW) * s.InChannels <= 1 << 16;

    /// <summary>True when the row form applies: the Avx512 path, a 3×3 stride-1 kernel, output rows of whole zmm, small planes.</summary>
    public static bool SupportsRows(KernelPath path, in Conv2dShape s) =>
        path >= KernelPath.Avx512 && s.KernelH == 3 && s.KernelW == 3 && s.StrideH == 1 && s.StrideW == 1
        && s.OutWidth % 16 == 0
        && (long)(s.Height + 2 * s.PadH) * (s.Width + 2 * s.PadW) * s.InChannels <= 1 << 16;

    /// <summary>
    /// dweight (+)= Σ over images [first, end) of the weight gradient by the row form: per (output channel pair, input
    /// channel), 18 vectors of 16 lane sums over images, rows and 16-pixel row chunks in order, kept across image chunks
    /// in a scratch of vectors and summed across lanes at the end.
    /// </summary>
    public static void RunRows(in Conv2dShape s, float* px, float* pdy, float* pdw, bool accumulate, int first, int end)
    {
        int cin = s.InChannels, cout = s.OutChannels, oh = s.OutHeight, ow = s.OutWidth, patch = s.PatchLength;
        int pw = s.Width + 2 * s.PadW, pixels = oh * ow;
        long planeSize = (long)(s.Height + 2 * s.PadH) * pw, paddedImage = cin * planeSize;
        long inImage = (long)cin * s.Height * s.Width, outImage = (long)cout * pixels;
        var padded = Scratch.Get(ref _paddedSlot, ImagesPerChunk * paddedImage);
        // Lane sums: 16 floats per weight, weight (o, c, t) at ((o·Cin + c)·9 + t)·16.
        var laneSums = Scratch.Get(ref _sumSlot, (long)cout * patch * 16);
        for (var n0 = first; n0 < end; n0 += ImagesPerChunk)
        {
            var count = Math.Min(ImagesPerChunk, end - n0);
            for (var j = 0; j < count; j++)
                Im2Col.PadInto(s, px + (n0 + j) * inImage, padded + j * paddedImage, wide: true);
            var resume = n0 > first;
            for (var o = 0; o < cout; o += 2)
            for (var c = 0; c < cin; c++)
            {
                var planes = padded + c * planeSize;
                var dy = pdy + n0 * outImage + (long)o * pixels;
                var sums = laneSums + ((long)o * cin + c) * 9 * 16;
                if (o + 1 < cout)
                    OutputRows<Two>(planes, paddedImage, pw, dy, outImage, pixels, count, oh, ow, resume, sums, (long)cin * 9 * 16);
                else
                    OutputRows<One>(planes, paddedImage, pw, dy, outImage, pixels, count, oh, ow, resume, sums, 0);
            }
        }
        for (var w = 0; w < cout * patch; w++)
        {
            var sum = Vector512.Sum(Avx512F.LoadVector512(laneSums + (long)w * 16));
            pdw[w] = accumulate ? pdw[w] + sum : sum;
        }
    }

    /// <summary>
    /// The 9 (or 18) lane-sum vectors of one input channel against one (or two, the second <paramref name="dyPlane"/>
    /// pixels further on) output channels over <paramref name="count"/> images; the second channel's sums lie
    /// <paramref name="secondSums"/> floats after the first's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OutputRows<TCount>(float* planes, long imageStride, int pw, float* dy, long dyImageStride, int dyPlane,
        int count, int oh, int ow, bool resume, float* sums, long secondSums)
        where TCount : struct, IChannelCount
    {
        var two = TCount.IsPair;
        var s1 = sums + secondSums;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default, a8 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default, b8 = default;
        if (resume)
        {
            a0 = Avx512F.LoadVector512(sums); a1 = Avx512F.LoadVector512(sums + 16); a2 = Avx512F.LoadVector512(sums + 32);
            a3 = Avx512F.LoadVector512(sums + 48); a4 = Avx512F.LoadVector512(sums + 64); a5 = Avx512F.LoadVector512(sums + 80);
            a6 = Avx512F.LoadVector512(sums + 96); a7 = Avx512F.LoadVector512(sums + 112); a8 = Avx512F.LoadVector512(sums + 128);
            if (two)
            {
                b0 = Avx512F.LoadVector512(s1); b1 = Avx512F.LoadVector512(s1 + 16); b2 = Avx512F.LoadVector512(s1 + 32);
                b3 = Avx512F.LoadVector512(s1 + 48); b4 = Avx512F.LoadVector512(s1 + 64); b5 = Avx512F.LoadVector512(s1 + 80);
                b6 = Avx512F.LoadVector512(s1 + 96); b7 = Avx512F.LoadVector512(s1 + 112); b8 = Avx512F.LoadVector512(s1 + 128);
            }
        }
        for (var j = 0; j < count; j++)
        {
            var image = planes + j * imageStride;
            var g0 = dy + j * dyImageStride;
            for (var y = 0; y < oh; y++)
            for (var x = 0; x < ow; x += 16, g0 += 16)
            {
                var p = image + (long)y * pw + x;
                var d0 = Avx512F.LoadVector512(g0);
                var x0 = Avx512F.LoadVector512(p);
                var x1 = Avx512F.LoadVector512(p + 1);
                var x2 = Avx512F.LoadVector512(p + 2);
                a0 = Avx512F.FusedMultiplyAdd(x0, d0, a0);
                a1 = Avx512F.FusedMultiplyAdd(x1, d0, a1);
                a2 = Avx512F.FusedMultiplyAdd(x2, d0, a2);
                var x3 = Avx512F.LoadVector512(p + pw);
                var x4 = Avx512F.LoadVector512(p + pw + 1);
                var x5 = Avx512F.LoadVector512(p + pw + 2);
                a3 = Avx512F.FusedMultiplyAdd(x3, d0, a3);
                a4 = Avx512F.FusedMultiplyAdd(x4, d0, a4);
                a5 = Avx512F.FusedMultiplyAdd(x5, d0, a5);
                var x6 = Avx512F.LoadVector512(p + 2 * pw);
                var x7 = Avx512F.LoadVector512(p + 2 * pw + 1);
                var x8 = Avx512F.LoadVector512(p + 2 * pw + 2);
                a6 = Avx512F.FusedMultiplyAdd(x6, d0, a6);
                a7 = Avx512F.FusedMultiplyAdd(x7, d0, a7);
                a8 = Avx512F.FusedMultiplyAdd(x8, d0, a8);
                if (!two) continue;
                var d1 = Avx512F.LoadVector512(g0 + dyPlane);
                b0 = Avx512F.FusedMultiplyAdd(x0, d1, b0);
                b1 = Avx512F.FusedMultiplyAdd(x1, d1, b1);
                b2 = Avx512F.FusedMultiplyAdd(x2, d1, b2);
                b3 = Avx512F.FusedMultiplyAdd(x3, d1, b3);
                b4 = Avx512F.FusedMultiplyAdd(x4, d1, b4);
                b5 = Avx512F.FusedMultiplyAdd(x5, d1, b5);
                b6 = Avx512F.FusedMultiplyAdd(x6, d1, b6);
                b7 = Avx512F.FusedMultiplyAdd(x7, d1, b7);
                b8 = Avx512F.FusedMultiplyAdd(x8, d1, b8);
            }
        }
        Avx512F.Store(sums, a0); Avx512F.Store(sums + 16, a1); Avx512F.Store(sums + 32, a2);
        Avx512F.Store(sums + 48, a3); Avx512F.Store(sums + 64, a4); Avx512F.Store(sums + 80, a5);
        Avx512F.Store(sums + 96, a6); Avx512F.Store(sums + 112, a7); Avx512F.Store(sums + 128, a8);
        if (!two) return;
        Avx512F.Store(s1, b0); Avx512F.Store(s1 + 16, b1); Avx512F.Store(s1 + 32, b2);
        Avx512F.Store(s1 + 48, b3); Avx512F.Store(s1 + 64, b4); Avx512F.Store(s1 + 80, b5);
        Avx512F.Store(s1 + 96, b6); Avx512F.Store(s1 + 112, b7); Avx512F.Store(s1 + 128, b8);
    }

    /// <summary>dweight (+)= Σ over images [first, end) of the weight gradient (Cout × Cin·9, row-major).</summary>
    public static void Run(in Conv2dShape s, float* px, float* pdy, float* pdw, bool accumulate, int first, int end)
    {
        int cin = s.InChannels, cout = s.OutChannels, oh = s.OutHeight, ow = s.OutWidth, patch = s.PatchLength;
        int pw = s.Width + 2 * s.PadW, pixels = oh * ow;
        long planeSize = (long)(s.Height + 2 * s.PadH) * pw, paddedImage = cin * planeSize;
        long inImage = (long)cin * s.Height * s.Width, outImage = (long)cout * pixels;
        var padded = Scratch.Get(ref _paddedSlot, ImagesPerChunk * paddedImage);
        var dyTransposed = Scratch.Get(ref _dyTransposedSlot, ImagesPerChunk * outImage);
        var sums = Scratch.Get(ref _sumSlot, (long)patch * cout);
        for (var n0 = first; n0 < end; n0 += ImagesPerChunk)
        {
            var count = Math.Min(ImagesPerChunk, end - n0);
            for (var j = 0; j < count; j++)
            {
                Im2Col.PadInto(s, px + (n0 + j) * inImage, padded + j * paddedImage, wide: true);
                Transpose(pdy + (n0 + j) * outImage, cout, pixels, dyTransposed + j * outImage);
            }
            var resume = n0 > first;
            for (var ob = 0; ob < cout; ob += 16)
            for (var c = 0; c < cin; c += 2)
            {
                var planes = padded + c * planeSize;
                var rows = sums + (long)c * 9 * cout + ob;
                if (c + 1 < cin)
                    Channels<Two>(planes, paddedImage, planeSize, pw, dyTransposed + ob, outImage, cout, count, oh, ow, resume, rows);
                else
                    Channels<One>(planes, paddedImage, planeSize, pw, dyTransposed + ob, outImage, cout, count, oh, ow, resume, rows);
            }
        }
        for (var o = 0; o < cout; o++)
        {
            var dst = pdw + (long)o * patch;
            for (var r = 0; r < patch; r++)
            {
                var sum = sums[(long)r * cout + o];
                dst[r] = accumulate ? dst[r] + sum : sum;
            }
        }
    }

    /// <summary>dst[p·rows + r] = src[r·columns + p]: 8×8 AVX blocks where whole, element by element for the tail.</summary>
    private static void Transpose(float* src, int rows, int columns, float* dst)
    {
        var blocked = columns / 8 * 8;
        for (var r = 0; r < rows; r += 8)
        {
            for (var p = 0; p < blocked; p += 8)
                Transpose8x8.Run(src + (long)r * columns + p, columns, dst + (long)p * rows + r, rows);
            for (var p = blocked; p < columns; p++)
            for (var i = r; i < r + 8; i++)
                dst[(long)p * rows + i] = src[(long)i * columns + p];
        }
    }

    private interface IChannelCount { static abstract bool IsPair { get; } }
    private readonly struct One : IChannelCount { public static bool IsPair => false; }
    private readonly struct Two : IChannelCount { public static bool IsPair => true; }

    /// <summary>
    /// The 9 (or 18) gradient rows of one (or two) input channels for 16 output channels, over <paramref name="count"/>
    /// images (dy transposed: a pixel's Cout values together); the rows live at sums + t·Cout, resumed from there when
    /// <paramref name="resume"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Channels<TCount>(float* planes, long imageStride, long planeSize, int pw, float* dyT, long dyImageStride,
        int cout, int count, int oh, int ow, bool resume, float* sums)
        where TCount : struct, IChannelCount
    {
        var two = TCount.IsPair;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default, a8 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default, b8 = default;
        if (resume)
        {
            a0 = Avx512F.LoadVector512(sums); a1 = Avx512F.LoadVector512(sums + cout); a2 = Avx512F.LoadVector512(sums + 2 * cout);
            a3 = Avx512F.LoadVector512(sums + 3 * cout); a4 = Avx512F.LoadVector512(sums + 4 * cout); a5 = Avx512F.LoadVector512(sums + 5 * cout);
            a6 = Avx512F.LoadVector512(sums + 6 * cout); a7 = Avx512F.LoadVector512(sums + 7 * cout); a8 = Avx512F.LoadVector512(sums + 8 * cout);
            if (two)
            {
                var s1 = sums + 9 * cout;
                b0 = Avx512F.LoadVector512(s1); b1 = Avx512F.LoadVector512(s1 + cout); b2 = Avx512F.LoadVector512(s1 + 2 * cout);
                b3 = Avx512F.LoadVector512(s1 + 3 * cout); b4 = Avx512F.LoadVector512(s1 + 4 * cout); b5 = Avx512F.LoadVector512(s1 + 5 * cout);
                b6 = Avx512F.LoadVector512(s1 + 6 * cout); b7 = Avx512F.LoadVector512(s1 + 7 * cout); b8 = Avx512F.LoadVector512(s1 + 8 * cout);
            }
        }
        for (var j = 0; j < count; j++)
        {
            var d = dyT + j * dyImageStride;
            var image = planes + j * imageStride;
            for (var y = 0; y < oh; y++)
            {
                var p = image + (long)y * pw;
                var q = p + planeSize;
                for (var x = 0; x < ow; x++, p++, q++, d += cout)
                {
                    var g = Avx512F.LoadVector512(d);
                    a0 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[0]), g, a0);
                    a1 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[1]), g, a1);
                    a2 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[2]), g, a2);
                    a3 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[pw]), g, a3);
                    a4 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[pw + 1]), g, a4);
                    a5 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[pw + 2]), g, a5);
                    a6 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[2 * pw]), g, a6);
                    a7 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[2 * pw + 1]), g, a7);
                    a8 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[2 * pw + 2]), g, a8);
                    if (!two) continue;
                    b0 = Avx512F.FusedMultiplyAdd(Vector512.Create(q[0]), g, b0);
                    b1 = Avx512F.FusedMultiplyAdd(Vector512.Create(q[1]), g, b1);
                    b2 = Avx512F.FusedMultiplyAdd(Vector512.Create(q[2]), g, b2);
                    b3 = Avx512F.FusedMultiplyAdd(Vector512.Create(q[pw]), g, b3);
                    b4 = Avx512F.FusedMultiplyAdd(Vector512.Create(q[pw + 1]), g, b4);
                    b5 = Avx512F.FusedMultiplyAdd(Vector512.Create(q[pw + 2]), g, b5);
                    b6 = Avx512F.FusedMultiplyAdd(Vector512.Create(q[2 * pw]), g, b6);
                    b7 = Avx512F.FusedMultiplyAdd(Vector512.Create(q[2 * pw + 1]), g, b7);
                    b8 = Avx512F.FusedMultiplyAdd(Vector512.Create(q[2 * pw + 2]), g, b8);
                }
            }
        }
        Avx512F.Store(sums, a0); Avx512F.Store(sums + cout, a1); Avx512F.Store(sums + 2 * cout, a2);
        Avx512F.Store(sums + 3 * cout, a3); Avx512F.Store(sums + 4 * cout, a4); Avx512F.Store(sums + 5 * cout, a5);
        Avx512F.Store(sums + 6 * cout, a6); Avx512F.Store(sums + 7 * cout, a7); Avx512F.Store(sums + 8 * cout, a8);
        if (!two) return;
        var t1 = sums + 9 * cout;
        Avx512F.Store(t1, b0); Avx512F.Store(t1 + cout, b1); Avx512F.Store(t1 + 2 * cout, b2);
        Avx512F.Store(t1 + 3 * cout, b3); Avx512F.Store(t1 + 4 * cout, b4); Avx512F.Store(t1 + 5 * cout, b5);
        Avx512F.Store(t1 + 6 * cout, b6); Avx512F.Store(t1 + 7 * cout, b7); Avx512F.Store(t1 + 8 * cout, b8);
    }
}

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

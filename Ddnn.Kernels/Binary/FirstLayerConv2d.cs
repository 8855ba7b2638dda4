using System.Runtime.Intrinsics;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// First eBNN layer: float NCHW input cross-correlated with packed ±1 weights <c>(Cout, kH, kW, WordsPerPixel)</c>
/// plus a float bias, giving float output <c>(N, Cout, Ho, Wo)</c>; zero padding (padded taps are skipped).
/// </summary>
/// <remarks>
/// Summation order, identical on every kernel path: each output starts at +0, then adds ±x for input channel ci
/// ascending, kernel row ky ascending, kernel column kx ascending (padded taps skipped), and finally adds the bias
/// once. SIMD paths only vectorise across neighbouring outputs, never change that order, so results are bit-identical
/// across paths and equal a float conv that sums in the same order; with dyadic inputs whose partial sums are exact
/// they equal any float conv.
/// </remarks>
public static unsafe class FirstLayerConv2d
{
    /// <summary>Below this many multiply-accumulates a call stays on one thread.</summary>
    private const long MinTapsPerThread = 1 << 17;

    /// <summary>Computes the float output of the first layer; see the type remarks for the summation order.</summary>
    public static void Forward(ReadOnlySpan<float> input, ReadOnlySpan<ulong> weights, ReadOnlySpan<float> bias,
        BinaryConvGeometry geometry, Span<float> output)
    {
        CheckInputs(input, weights, bias, geometry);
        BinaryArgs.Length(output, geometry.OutputLength, nameof(output),
            $"(N={geometry.Batch}, Cout={geometry.OutChannels}, Ho={geometry.OutHeight}, Wo={geometry.OutWidth})");
        fixed (float* pin = input)
        fixed (ulong* pw = weights)
        fixed (float* pb = bias)
        fixed (float* pout = output)
            Run(pin, pw, pb, geometry, pout, KernelDispatch.Active);
    }

    internal static void CheckInputs(ReadOnlySpan<float> input, ReadOnlySpan<ulong> weights, ReadOnlySpan<float> bias,
        BinaryConvGeometry geometry)
    {
        BinaryConv2d.CheckGeometry(geometry);
        BinaryArgs.Length(input, geometry.InputLength, nameof(input),
            $"(N={geometry.Batch}, C={geometry.InChannels}, H={geometry.Height}, W={geometry.Width})");
        BinaryConv2d.CheckWeights(weights, geometry);
        BinaryArgs.Length(bias, geometry.OutChannels, nameof(bias), $"(Cout={geometry.OutChannels})");
    }

    /// <summary>All images and output channels; independent (image, channel) planes are split across threads.</summary>
    internal static void Run(float* input, ulong* weights, float* bias, BinaryConvGeometry g, float* output, KernelPath path)
    {
        var planes = g.Batch * g.OutChannels;
        var work = (long)g.OutputLength * g.Taps * g.InChannels;
        var parts = (int)Math.Min(Math.Min(KernelParallelism.MaxThreads, planes), Math.Max(1, work / MinTapsPerThread));
        var planeLength = g.OutHeight * g.OutWidth;
        var imageLength = g.InChannels * g.Height * g.Width;
        if (parts <= 1)
        {
            for (var p = 0; p < planes; p++)
                Plane(input + (long)(p / g.OutChannels) * imageLength, weights, bias, g, p % g.OutChannels,
                    output + (long)p * planeLength, path);
            return;
        }
        nint pin = (nint)input, pw = (nint)weights, pb = (nint)bias, pout = (nint)output;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
        {
            var end = (int)((long)planes * (part + 1) / parts);
            for (var p = (int)((long)planes * part / parts); p < end; p++)
                Plane((float*)pin + (long)(p / g.OutChannels) * imageLength, (ulong*)pw, (float*)pb, g, p % g.OutChannels,
                    (float*)pout + (long)p * planeLength, path);
        });
    }

    /// <summary>One output plane <c>(Ho, Wo)</c> of channel <paramref name="co"/> for one image <c>(C, H, W)</c>.</summary>
    internal static void Plane(float* image, ulong* weights, float* bias, BinaryConvGeometry g, int co, float* plane,
        KernelPath path)
    {
        int ho = g.OutHeight, wo = g.OutWidth, s = g.Stride, pad = g.Padding, words = g.WordsPerPixel;
        new Span<float>(plane, ho * wo).Clear();
        for (var ci = 0; ci < g.InChannels; ci++)
        {
            var channel = image + (long)ci * g.Height * g.Width;
            for (var ky = 0; ky < g.KernelH; ky++)
            for (var kx = 0; kx < g.KernelW; kx++)
            {
                var tap = weights + ((long)(co * g.KernelH + ky) * g.KernelW + kx) * words;
                var positive = ((tap[ci >> 6] >> (ci & 63)) & 1UL) != 0;
                // Outputs whose column ox*s - pad + kx falls inside the input.
                var oxStart = Math.Max(0, (pad - kx + s - 1) / s);
                var lastColumn = g.Width - 1 + pad - kx;
                var oxEnd = lastColumn < 0 ? 0 : Math.Min(wo, lastColumn / s + 1);
                if (oxEnd <= oxStart) continue;
                for (var oy = 0; oy < ho; oy++)
                {
                    var iy = oy * s - pad + ky;
                    if (iy < 0 || iy >= g.Height) continue;
                    var src = channel + (long)iy * g.Width + oxStart * s - pad + kx;
                    var dst = plane + oy * wo + oxStart;
                    var count = oxEnd - oxStart;
                    if (s == 1) AddRow(dst, src, count, positive, path);
                    else if (positive) for (var i = 0; i < count; i++) dst[i] += src[i * s];
                    else for (var i = 0; i < count; i++) dst[i] -= src[i * s];
                }
            }
        }
        var b = bias[co];
        for (var i = 0; i < ho * wo; i++) plane[i] += b;
    }

    /// <summary>dst[i] ±= src[i]; element-wise, so every path rounds identically.</summary>
    private static void AddRow(float* dst, float* src, int count, bool positive, KernelPath path)
    {
        var i = 0;
        if (path == KernelPath.Avx2 && Vector256.IsHardwareAccelerated)
        {
            for (; i <= count - 8; i += 8)
            {
                var d = Vector256.Load(dst + i);
                var x = Vector256.Load(src + i);
                (positive ? d + x : d - x).Store(dst + i);
            }
        }
        if (path != KernelPath.Scalar && Vector128.IsHardwareAccelerated)
        {
            for (; i <= count - 4; i += 4)
            {
                var d = Vector128.Load(dst + i);
                var x = Vector128.Load(src + i);
                (positive ? d + x : d - x).Store(dst + i);
            }
        }
        if (positive) for (; i < count; i++) dst[i] += src[i];
        else for (; i < count; i++) dst[i] -= src[i];
    }
}

using System.Buffers;
using System.Runtime.Intrinsics;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// First eBNN layer: float NCHW input cross-correlated with packed ±1 weights <c>(Cout, kH, kW, WordsPerPixel)</c>
/// plus a float bias, giving float output <c>(N, Cout, Ho, Wo)</c>; zero padding (padded taps are skipped).
/// </summary>
/// <remarks>
/// Summation order, identical on every kernel path: each output starts at +0, then adds ±x for input channel ci
/// ascending, kernel row ky ascending, kernel column kx ascending, and finally adds the bias once. Padded taps add
/// ±0, which leaves every partial sum unchanged (a sum that starts at +0 never becomes −0 in round-to-nearest), so
/// the result equals skipping them. SIMD paths only vectorise across neighbouring outputs, never change that order, so results are bit-identical
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
            "(N={0}, Cout={1}, Ho={2}, Wo={3})", geometry.Batch, geometry.OutChannels, geometry.OutHeight, geometry.OutWidth);
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
            "(N={0}, C={1}, H={2}, W={3})", geometry.Batch, geometry.InChannels, geometry.Height, geometry.Width);
        BinaryConv2d.CheckWeights(weights, geometry);
        BinaryArgs.Length(bias, geometry.OutChannels, nameof(bias), "(Cout={0})", geometry.OutChannels);
    }

    /// <summary>All images and output channels; independent (image, channel) planes are split across threads.</summary>
    internal static void Run(float* input, ulong* weights, float* bias, BinaryConvGeometry g, float* output, KernelPath path)
    {
        int paddedH = g.Height + 2 * g.Padding, paddedW = g.Width + 2 * g.Padding;
        var paddedLength = BinaryArgs.Product("zero-padded input", g.Batch, g.InChannels, paddedH, paddedW);
        var tapCount = g.InChannels * g.Taps;
        var padded = ArrayPool<float>.Shared.Rent(paddedLength);
        var signs = ArrayPool<uint>.Shared.Rent(g.OutChannels * tapCount);
        try
        {
            fixed (float* pp = padded)
            fixed (uint* ps = signs)
            {
                ZeroPad(input, g, pp);
                SignMasks(weights, g, ps);
                var planes = g.Batch * g.OutChannels;
                var work = (long)g.OutputLength * tapCount;
                var parts = (int)Math.Min(Math.Min(KernelParallelism.MaxThreads, planes), Math.Max(1, work / MinTapsPerThread));
                var planeLength = g.OutHeight * g.OutWidth;
                var imageLength = g.InChannels * paddedH * paddedW;
                nint pin = (nint)pp, pm = (nint)ps, pb = (nint)bias, pout = (nint)output;
                void Planes(int first, int end)
                {
                    for (var p = first; p < end; p++)
                    {
                        var co = p % g.OutChannels;
                        Plane((float*)pin + (long)(p / g.OutChannels) * imageLength, (uint*)pm + (long)co * tapCount,
                            ((float*)pb)[co], g, (float*)pout + (long)p * planeLength, path);
                    }
                }
                if (parts <= 1) Planes(0, planes);
                else
                    Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts },
                        part => Planes((int)((long)planes * part / parts), (int)((long)planes * (part + 1) / parts)));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(padded);
            ArrayPool<uint>.Shared.Return(signs);
        }
    }

    /// <summary>Copies the input into <c>(N, C, H + 2p, W + 2p)</c> with zero borders, so every tap is a plain load.</summary>
    private static void ZeroPad(float* input, BinaryConvGeometry g, float* padded)
    {
        int paddedH = g.Height + 2 * g.Padding, paddedW = g.Width + 2 * g.Padding;
        new Span<float>(padded, g.Batch * g.InChannels * paddedH * paddedW).Clear();
        for (var plane = 0; plane < g.Batch * g.InChannels; plane++)
        for (var y = 0; y < g.Height; y++)
            new ReadOnlySpan<float>(input + ((long)plane * g.Height + y) * g.Width, g.Width)
                .CopyTo(new Span<float>(padded + ((long)plane * paddedH + y + g.Padding) * paddedW + g.Padding, g.Width));
    }

    /// <summary>Per output channel and tap (ci, ky, kx order): 0 for a +1 weight, the float sign bit for −1.</summary>
    private static void SignMasks(ulong* weights, BinaryConvGeometry g, uint* masks)
    {
        var words = g.WordsPerPixel;
        for (var co = 0; co < g.OutChannels; co++)
        for (var ci = 0; ci < g.InChannels; ci++)
        for (var t = 0; t < g.Taps; t++)
        {
            var bit = (weights[((long)co * g.Taps + t) * words + (ci >> 6)] >> (ci & 63)) & 1UL;
            masks[((long)co * g.InChannels + ci) * g.Taps + t] = bit != 0 ? 0u : 0x8000_0000u;
        }
    }

    /// <summary>
    /// One output plane <c>(Ho, Wo)</c> from one zero-padded image <c>(C, H + 2p, W + 2p)</c>: output rows are
    /// register-blocked in chunks while the taps run in (ci, ky, kx) order; padded taps add ±0, which leaves every
    /// partial sum unchanged.
    /// </summary>
    private static void Plane(float* image, uint* signs, float bias, BinaryConvGeometry g, float* plane, KernelPath path)
    {
        int ho = g.OutHeight, wo = g.OutWidth, s = g.Stride, kh = g.KernelH, kw = g.KernelW;
        int paddedH = g.Height + 2 * g.Padding, paddedW = g.Width + 2 * g.Padding;
        var channelLength = paddedH * paddedW;
        var vectorWidth = s != 1 ? 0
            : path == KernelPath.Avx2 && Vector256.IsHardwareAccelerated ? 8
            : path != KernelPath.Scalar && Vector128.IsHardwareAccelerated ? 4
            : 0;
        for (var oy = 0; oy < ho; oy++)
        {
            var row = plane + oy * wo;
            var top = image + (long)oy * s * paddedW;
            var ox = 0;
            if (vectorWidth == 8)
                for (; ox + 32 <= wo; ox += 32) Chunk256(top + ox, signs, g.InChannels, kh, kw, channelLength, paddedW, bias, row + ox);
            if (vectorWidth >= 4)
                for (; ox + 4 <= wo; ox += 4) Chunk128(top + ox, signs, g.InChannels, kh, kw, channelLength, paddedW, bias, row + ox);
            for (; ox < wo; ox++)
            {
                var sum = 0f;
                var sign = signs;
                for (var ci = 0; ci < g.InChannels; ci++)
                for (var ky = 0; ky < kh; ky++)
                {
                    var src = top + (long)ci * channelLength + ky * paddedW + ox * s;
                    for (var kx = 0; kx < kw; kx++, sign++)
                        sum += BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(src[kx]) ^ *sign);
                }
                row[ox] = sum + bias;
            }
        }
    }

    /// <summary>32 neighbouring outputs of a stride-1 row in four 256-bit accumulators.</summary>
    private static void Chunk256(float* top, uint* signs, int channels, int kh, int kw, int channelLength, int paddedW,
        float bias, float* dst)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        var sign = signs;
        for (var ci = 0; ci < channels; ci++)
        for (var ky = 0; ky < kh; ky++)
        {
            var src = top + (long)ci * channelLength + ky * paddedW;
            for (var kx = 0; kx < kw; kx++, sign++)
            {
                var m = Vector256.Create(*sign).AsSingle();
                var p = src + kx;
                a0 += Vector256.Load(p) ^ m;
                a1 += Vector256.Load(p + 8) ^ m;
                a2 += Vector256.Load(p + 16) ^ m;
                a3 += Vector256.Load(p + 24) ^ m;
            }
        }
        var b = Vector256.Create(bias);
        (a0 + b).Store(dst);
        (a1 + b).Store(dst + 8);
        (a2 + b).Store(dst + 16);
        (a3 + b).Store(dst + 24);
    }

    /// <summary>4 neighbouring outputs of a stride-1 row in one 128-bit accumulator.</summary>
    private static void Chunk128(float* top, uint* signs, int channels, int kh, int kw, int channelLength, int paddedW,
        float bias, float* dst)
    {
        Vector128<float> acc = default;
        var sign = signs;
        for (var ci = 0; ci < channels; ci++)
        for (var ky = 0; ky < kh; ky++)
        {
            var src = top + (long)ci * channelLength + ky * paddedW;
            for (var kx = 0; kx < kw; kx++, sign++)
                acc += Vector128.Load(src + kx) ^ Vector128.Create(*sign).AsSingle();
        }
        (acc + Vector128.Create(bias)).Store(dst);
    }
}

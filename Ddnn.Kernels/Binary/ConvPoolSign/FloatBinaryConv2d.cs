using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// Float NCHW input cross-correlated with packed ±1 weights <c>(Cout, kH, kW, WordsPerPixel)</c>
/// plus a float bias, giving float output <c>(N, Cout, Ho, Wo)</c>; zero padding (padded taps are skipped).
/// </summary>
/// <remarks>
/// Summation order, identical on every kernel path: each output starts at +0, then adds ±x for input channel ci
/// ascending, kernel row ky ascending, kernel column kx ascending, and finally adds the bias once. Padded taps add
/// ±0, which leaves every partial sum unchanged (a sum that starts at +0 never becomes −0 in round-to-nearest), so
/// the result equals skipping them. SIMD paths only vectorise across neighbouring outputs of a row and across a group
/// of four output channels (which share every input load), never change that order, so results are bit-identical
/// across paths and equal a float conv that sums in the same order; with dyadic inputs whose partial sums are exact
/// they equal any float conv. A row is covered by vectors of 16 (Avx512), 8 (AVX2) or 4 lanes, the widest that fits
/// the row; a last partial vector is moved back to end at the row's end and recomputes a few outputs to the same
/// values, so narrow rows (e.g. 16) stay vectorised.
/// Weights prepared once as <see cref="FloatBinaryConvWeights"/> and a caller-owned scratch make a call allocation-free.
/// </remarks>
internal static unsafe class FloatBinaryConv2d
{
    /// <summary>Below this many multiply-accumulates a call stays on one thread.</summary>
    private const long MinTapsPerThread = 1 << 17;

    /// <summary>Scratch floats a call needs: the zero-padded copy of the input (none without padding).</summary>
    public static int ScratchLength(BinaryConvGeometry geometry)
    {
        BinaryConv2d.CheckGeometry(geometry);
        return geometry.Padding == 0 ? 0 : BlockSizes.PaddedImageLength(geometry) * geometry.Batch;
    }

    internal static void CheckOutput(Span<float> output, BinaryConvGeometry geometry) =>
        BinaryArgs.Length(output, geometry.OutputLength, nameof(output),
            "(N={0}, Cout={1}, Ho={2}, Wo={3})", geometry.Batch, geometry.OutChannels, geometry.OutHeight, geometry.OutWidth);

    /// <summary>
    /// The float output of every image and output channel (arguments already checked); independent (image, channel
    /// group) units are split across threads when the work is large. <paramref name="scratch"/> holds <see cref="ScratchLength"/> floats.
    /// </summary>
    internal static void Forward(float* input, uint* masks, float* bias, BinaryConvGeometry g, float* scratch, float* output, KernelPath path)
    {
        var images = PadImages(input, g, scratch);
        var groups = (g.OutChannels + BlockSizes.ChannelGroup - 1) / BlockSizes.ChannelGroup;
        var units = g.Batch * groups;
        var work = (long)g.OutputLength * g.InChannels * g.Taps;
        var parts = (int)Math.Min(Math.Min(KernelParallelism.MaxThreads, units), Math.Max(1, work / MinTapsPerThread));
        if (parts <= 1) Units(images, masks, bias, g, output, path, 0, units);
        else RunParallel((nint)images, (nint)masks, (nint)bias, g, (nint)output, path, units, parts);
    }

    /// <summary>The parallel split lives apart from <see cref="Forward"/> so the single-thread call allocates no closure.</summary>
    private static void RunParallel(nint images, nint masks, nint bias, BinaryConvGeometry g, nint output, KernelPath path,
        int units, int parts) =>
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            Units((float*)images, (uint*)masks, (float*)bias, g, (float*)output, path,
                (int)((long)units * part / parts), (int)((long)units * (part + 1) / parts)));

    private static void Units(float* images, uint* masks, float* bias, BinaryConvGeometry g, float* output, KernelPath path,
        int first, int end)
    {
        var groups = (g.OutChannels + BlockSizes.ChannelGroup - 1) / BlockSizes.ChannelGroup;
        var planeLength = g.OutHeight * g.OutWidth;
        var imageLength = g.InChannels * (g.Height + 2 * g.Padding) * (g.Width + 2 * g.Padding);
        var tapCount = g.InChannels * g.Taps;
        for (var u = first; u < end; u++)
        {
            int n = u / groups, c0 = u % groups * BlockSizes.ChannelGroup;
            var count = Math.Min(BlockSizes.ChannelGroup, g.OutChannels - c0);
            Group(images + (long)n * imageLength, masks + (long)c0 * tapCount, bias + c0, count, g,
                output + ((long)n * g.OutChannels + c0) * planeLength, path);
        }
    }

    /// <summary>
    /// The input images as the kernels read them: <c>(N, C, H + 2p, W + 2p)</c> with zero borders copied into
    /// <paramref name="scratch"/>, or the input itself without padding.
    /// </summary>
    internal static float* PadImages(float* input, BinaryConvGeometry g, float* scratch) =>
        PadImages(input, g, scratch, measure: false, out _);

    /// <summary>
    /// <see cref="PadImages(float*, BinaryConvGeometry, float*)"/> that also returns, in <paramref name="largest"/>, the
    /// largest |x| of the input as a bit pattern (integer order = magnitude order; NaN and ∞ lie above every finite
    /// value), read while copying.
    /// </summary>
    internal static float* PadImages(float* input, BinaryConvGeometry g, float* scratch, out uint largest) =>
        PadImages(input, g, scratch, measure: true, out largest);

    private static float* PadImages(float* input, BinaryConvGeometry g, float* scratch, bool measure, out uint largest)
    {
        largest = 0;
        if (g.Padding == 0)
        {
            if (measure) largest = LargestMagnitude(input, g.InputLength);
            return input;
        }
        var most = Vector256<uint>.Zero;
        int p = g.Padding, paddedH = g.Height + 2 * p, paddedW = g.Width + 2 * p;
        // Only the border cells are cleared (the interior is overwritten), with plain stores: at device sizes (16x16)
        // span Clear/CopyTo calls per row cost more than the copy itself.
        for (var plane = 0; plane < g.Batch * g.InChannels; plane++)
        {
            var padded = scratch + (long)plane * paddedH * paddedW;
            Zero(padded, p * paddedW);
            Zero(padded + (long)(p + g.Height) * paddedW, p * paddedW);
            var source = input + (long)plane * g.Height * g.Width;
            for (var y = 0; y < g.Height; y++)
            {
                var row = padded + (long)(y + p) * paddedW;
                Zero(row, p);
                if (measure) CopyRow(source + (long)y * g.Width, row + p, g.Width, measure: true, ref most);
                else CopyRow(source + (long)y * g.Width, row + p, g.Width, measure: false, ref most);
                Zero(row + p + g.Width, p);
            }
        }
        if (measure) largest = MaxLane(Vector128.Max(most.GetLower(), most.GetUpper()));
        return scratch;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Zero(float* destination, int count)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + Vector256<float>.Count <= count; i += Vector256<float>.Count) Vector256<float>.Zero.Store(destination + i);
        for (; i < count; i++) destination[i] = 0;
    }

    /// <summary>
    /// Copies a row; with <paramref name="measure"/> also folds the magnitude bit patterns into
    /// <paramref name="largest"/> (lane-wise maxima, reduced once per image by the caller).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow(float* source, float* destination, int count, bool measure, ref Vector256<uint> largest)
    {
        var i = 0;
        var magnitude = Vector256.Create(0x7FFF_FFFFu);
        if (Vector256.IsHardwareAccelerated)
            for (; i + Vector256<float>.Count <= count; i += Vector256<float>.Count)
            {
                var v = Vector256.Load(source + i);
                v.Store(destination + i);
                if (measure) largest = Vector256.Max(largest, v.AsUInt32() & magnitude);
            }
        if (Vector128.IsHardwareAccelerated)
            for (; i + Vector128<float>.Count <= count; i += Vector128<float>.Count)
            {
                var v = Vector128.Load(source + i);
                v.Store(destination + i);
                if (measure) largest = Vector256.Max(largest, Vector256.Create(v.AsUInt32() & magnitude.GetLower(), Vector128<uint>.Zero));
            }
        for (; i < count; i++)
        {
            destination[i] = source[i];
            if (measure) largest = Vector256.Max(largest, Vector256.CreateScalar(BitConverter.SingleToUInt32Bits(source[i]) & 0x7FFF_FFFFu));
        }
    }

    /// <summary>Largest magnitude bit pattern of <paramref name="count"/> floats (see <see cref="CopyRow"/>), without copying.</summary>
    private static uint LargestMagnitude(float* x, int count)
    {
        uint largest = 0;
        for (var i = 0; i < count; i++) largest = Math.Max(largest, BitConverter.SingleToUInt32Bits(x[i]) & 0x7FFF_FFFFu);
        return largest;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint MaxLane(Vector128<uint> v) =>
        Math.Max(Math.Max(v.GetElement(0), v.GetElement(1)), Math.Max(v.GetElement(2), v.GetElement(3)));

    /// <summary>
    /// Output planes <c>(count, Ho, Wo)</c> (count ≤ 4 consecutive output channels whose masks start at
    /// <paramref name="masks"/> and biases at <paramref name="bias"/>) of one image as returned by <see cref="PadImages(float*, BinaryConvGeometry, float*)"/>.
    /// </summary>
    internal static void Group(float* image, uint* masks, float* bias, int count, BinaryConvGeometry g, float* planes, KernelPath path)
    {
        if (UsesLanes512(g, path))
        {
            var sink = new PlaneSink<Lanes512, Vector512<float>>(planes, bias, g.OutWidth, g.OutHeight * g.OutWidth);
            Rows<Lanes512, Vector512<float>, PlaneSink<Lanes512, Vector512<float>>>(image, masks, count, g, ref sink);
        }
        else if (UsesLanes256(g, path))
        {
            var sink = new PlaneSink<Lanes256, Vector256<float>>(planes, bias, g.OutWidth, g.OutHeight * g.OutWidth);
            Rows<Lanes256, Vector256<float>, PlaneSink<Lanes256, Vector256<float>>>(image, masks, count, g, ref sink);
        }
        else if (UsesLanes128(g, path))
        {
            var sink = new PlaneSink<Lanes128, Vector128<float>>(planes, bias, g.OutWidth, g.OutHeight * g.OutWidth);
            Rows<Lanes128, Vector128<float>, PlaneSink<Lanes128, Vector128<float>>>(image, masks, count, g, ref sink);
        }
        else
            ScalarRows(image, masks, bias, count, g, planes);
    }

    /// <summary>
    /// The group's conv rows as row bit masks instead of planes, on the SIMD paths only (stride 1, rows of 16, 8 or 4 to 64
    /// outputs): bit x of <paramref name="fire"/>[y·4 + c] is set where output (y, x) of channel c, bias included, XOR
    /// <paramref name="signs"/>[c] is ≥ <paramref name="keys"/>[c] (so v ≥ bound with sign 0, v ≤ bound with the sign
    /// bit and key = bound XOR sign), bit x of <paramref name="nan"/>[y·4 + c] where it is NaN; channels past count get
    /// zero masks. The outputs are the sums <see cref="Group"/> stores, compared while still in registers. Returns false
    /// (writing nothing) where only the scalar twin — planes, then the same tests — applies.
    /// </summary>
    internal static bool GroupRowMasks(float* image, uint* masks, float* bias, int count, BinaryConvGeometry g,
        uint* signs, float* keys, ulong* fire, ulong* nan, KernelPath path)
    {
        if (!TunedShape.RowFitsMask(g)) return false;
        if (UsesLanes512(g, path))
        {
            var sink = new MaskSink<Lanes512, Vector512<float>>(bias, signs, keys, fire, nan);
            Rows<Lanes512, Vector512<float>, MaskSink<Lanes512, Vector512<float>>>(image, masks, count, g, ref sink);
            return true;
        }
        if (UsesLanes256(g, path))
        {
            var sink = new MaskSink<Lanes256, Vector256<float>>(bias, signs, keys, fire, nan);
            Rows<Lanes256, Vector256<float>, MaskSink<Lanes256, Vector256<float>>>(image, masks, count, g, ref sink);
            return true;
        }
        if (UsesLanes128(g, path))
        {
            var sink = new MaskSink<Lanes128, Vector128<float>>(bias, signs, keys, fire, nan);
            Rows<Lanes128, Vector128<float>, MaskSink<Lanes128, Vector128<float>>>(image, masks, count, g, ref sink);
            return true;
        }
        return false;
    }

    private static bool UsesLanes512(BinaryConvGeometry g, KernelPath path) =>
        path >= KernelPath.Avx512 && Vector512.IsHardwareAccelerated && TunedShape.VectorRows(g, Lanes512.Count);

    private static bool UsesLanes256(BinaryConvGeometry g, KernelPath path) =>
        path >= KernelPath.Avx2 && Vector256.IsHardwareAccelerated && TunedShape.VectorRows(g, Lanes256.Count);

    private static bool UsesLanes128(BinaryConvGeometry g, KernelPath path) =>
        path != KernelPath.Scalar && Vector128.IsHardwareAccelerated && TunedShape.VectorRows(g, Lanes128.Count);

    /// <summary>The reference: every output of the group's planes on its own, in the documented order.</summary>
    private static void ScalarRows(float* image, uint* masks, float* bias, int count, BinaryConvGeometry g, float* planes)
    {
        int ho = g.OutHeight, wo = g.OutWidth, s = g.Stride, kh = g.KernelH, kw = g.KernelW;
        int paddedW = g.Width + 2 * g.Padding, channelLength = (g.Height + 2 * g.Padding) * paddedW;
        var tapCount = g.InChannels * g.Taps;
        for (var c = 0; c < count; c++)
        for (var oy = 0; oy < ho; oy++)
        {
            var row = planes + ((long)c * ho + oy) * wo;
            var top = image + (long)oy * s * paddedW;
            for (var ox = 0; ox < wo; ox++)
            {
                var sum = 0f;
                var sign = masks + (long)c * tapCount;
                for (var ci = 0; ci < g.InChannels; ci++)
                for (var ky = 0; ky < kh; ky++)
                {
                    var src = top + (long)ci * channelLength + ky * paddedW + ox * s;
                    for (var kx = 0; kx < kw; kx++, sign++)
                        sum += BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(src[kx]) ^ *sign);
                }
                row[ox] = sum + bias[c];
            }
        }
    }

    /// <summary>
    /// Stride-1 rows of up to four channels in vectors of <typeparamref name="TLanes"/>, handed to <paramref name="sink"/>:
    /// two vectors per step, then single vectors, the last one moved back to end at the row's end (the row must be at
    /// least one vector wide; the moved-back vector repeats a few outputs with the same values).
    /// </summary>
    private static void Rows<TLanes, TVector, TSink>(float* image, uint* masks, int count, BinaryConvGeometry g, ref TSink sink)
        where TLanes : IFloatLanes<TVector>
        where TVector : unmanaged
        where TSink : struct, IQuadSink<TVector>
    {
        int ho = g.OutHeight, wo = g.OutWidth, lanes = TLanes.Count;
        var paddedW = g.Width + 2 * g.Padding;
        var tapCount = g.InChannels * g.Taps;
        var shape = new RowShape(g.InChannels, g.KernelH, g.KernelW, (g.Height + 2 * g.Padding) * paddedW, paddedW, count);
        // Channels past count reuse channel 0's masks (valid memory); their sums are never handed on.
        var m1 = masks + (count > 1 ? tapCount : 0);
        var m2 = masks + (count > 2 ? 2L * tapCount : 0);
        var m3 = masks + (count > 3 ? 3L * tapCount : 0);
        for (var oy = 0; oy < ho; oy++)
        {
            var top = image + (long)oy * paddedW;
            sink.BeginRow(oy);
            var ox = 0;
            for (; ox + 2 * lanes <= wo; ox += 2 * lanes)
                Quad<TLanes, TVector, TSink>(top + ox, masks, m1, m2, m3, shape, ox, 2, ref sink);
            for (; ox < wo; ox += lanes)
            {
                var start = Math.Min(ox, wo - lanes);
                Quad<TLanes, TVector, TSink>(top + start, masks, m1, m2, m3, shape, start, 1, ref sink);
            }
        }
    }

    /// <summary>Sizes a vector step needs, bundled to keep the kernel's argument list short.</summary>
    private readonly record struct RowShape(int Channels, int KernelH, int KernelW, int ChannelLength, int PaddedWidth, int Count);

    /// <summary>
    /// <paramref name="vectors"/> (1 or 2) neighbouring vectors of outputs (from column <paramref name="ox"/>) of four
    /// channels at once: every tap loads the input vectors once and adds them, sign-flipped by each channel's mask, into
    /// that channel's accumulators, which then go to <paramref name="sink"/> (bias not yet added).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quad<TLanes, TVector, TSink>(float* top, uint* m0, uint* m1, uint* m2, uint* m3, RowShape shape,
        int ox, int vectors, ref TSink sink)
        where TLanes : IFloatLanes<TVector>
        where TVector : unmanaged
        where TSink : struct, IQuadSink<TVector>
    {
        var lanes = TLanes.Count;
        TVector a0 = TLanes.Zero, a1 = TLanes.Zero, a2 = TLanes.Zero, a3 = TLanes.Zero;
        TVector b0 = TLanes.Zero, b1 = TLanes.Zero, b2 = TLanes.Zero, b3 = TLanes.Zero;
        var t = 0;
        for (var ci = 0; ci < shape.Channels; ci++)
        for (var ky = 0; ky < shape.KernelH; ky++)
        {
            var src = top + (long)ci * shape.ChannelLength + ky * shape.PaddedWidth;
            for (var kx = 0; kx < shape.KernelW; kx++, t++)
            {
                var x = TLanes.Load(src + kx);
                TVector k0 = TLanes.BroadcastBits(m0[t]), k1 = TLanes.BroadcastBits(m1[t]);
                TVector k2 = TLanes.BroadcastBits(m2[t]), k3 = TLanes.BroadcastBits(m3[t]);
                a0 = TLanes.AddSigned(a0, x, k0);
                a1 = TLanes.AddSigned(a1, x, k1);
                a2 = TLanes.AddSigned(a2, x, k2);
                a3 = TLanes.AddSigned(a3, x, k3);
                if (vectors == 2)
                {
                    var y = TLanes.Load(src + kx + lanes);
                    b0 = TLanes.AddSigned(b0, y, k0);
                    b1 = TLanes.AddSigned(b1, y, k1);
                    b2 = TLanes.AddSigned(b2, y, k2);
                    b3 = TLanes.AddSigned(b3, y, k3);
                }
            }
        }
        sink.Emit(0, a0, b0, ox, vectors);
        if (shape.Count > 1) sink.Emit(1, a1, b1, ox, vectors);
        if (shape.Count > 2) sink.Emit(2, a2, b2, ox, vectors);
        if (shape.Count > 3) sink.Emit(3, a3, b3, ox, vectors);
    }
}

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// Per-channel range test of an NCHW tensor into NHWC-packed sign bits, shared by int thresholds, float thresholds and
/// plain sign packing (<see cref="BitPacking.PackNchw"/> is the test 0 ≤ x ≤ +∞).
/// </summary>
/// <remarks>
/// The vector paths compare one vector of neighbouring pixels of each channel plane against the channel's bounds and
/// shift the resulting all-ones/zero lanes into per-pixel 32-bit accumulators (acc = 2·acc − mask, channels taken from
/// the highest down), two accumulators per 64-channel word. Each plane is read sequentially, so no strided gathers.
/// The Avx512 path covers 16 pixels with one vector per channel: the two compares give k-masks, and the accumulator
/// adds one only in the lanes the masks select.
/// The scalar twin handles the pixels left over after the last full vector block and is the reference of the tests.
/// </remarks>
internal static unsafe class ThresholdPacking
{
    /// <summary>Pixels packed together by the scalar twin: one 64-byte line of each channel plane per block.</summary>
    private const int PixelBlock = 16;

    public static void Apply<T, TTest>(ReadOnlySpan<T> values, int batch, int channels, int height, int width,
        ReadOnlySpan<TTest> thresholds, Span<ulong> packed, string valuesName)
        where T : unmanaged, IComparisonOperators<T, T, bool>
        where TTest : unmanaged, ISignTest<T>
    {
        BinaryArgs.Positive(channels, nameof(channels));
        BinaryArgs.Length(thresholds, channels, nameof(thresholds), "(channels={0})", channels);
        fixed (TTest* ptests = thresholds)
            Run(values, batch, channels, height, width, ptests, 1, packed, valuesName);
    }

    /// <summary>
    /// Checks the shapes and packs every image; channel c uses <c>tests[c * testStride]</c>, so a stride of 0 applies one
    /// test to every channel.
    /// </summary>
    public static void Run<T, TTest>(ReadOnlySpan<T> values, int batch, int channels, int height, int width,
        TTest* tests, int testStride, Span<ulong> packed, string valuesName)
        where T : unmanaged, IComparisonOperators<T, T, bool>
        where TTest : unmanaged, ISignTest<T>
    {
        BinaryArgs.Positive(batch, nameof(batch));
        BinaryArgs.Positive(channels, nameof(channels));
        BinaryArgs.Positive(height, nameof(height));
        BinaryArgs.Positive(width, nameof(width));
        var words = BitPacking.WordsFor(channels);
        BinaryArgs.Length(values, BinaryArgs.Product(valuesName, batch, channels, height, width), valuesName,
            "({0}, {1}, {2}, {3})", batch, channels, height, width);
        BinaryArgs.Length(packed, BinaryArgs.Product(nameof(packed), batch, height, width, words), nameof(packed),
            "(N={0}, H={1}, W={2}, words={3})", batch, height, width, words);

        var plane = height * width;
        var blocks = (plane + PixelBlock - 1) / PixelBlock;
        var units = (long)batch * blocks;
        var parts = Parts(units, (long)batch * channels * plane);
        var path = KernelDispatch.Active;
        fixed (T* pin = values)
        fixed (ulong* pout = packed)
            if (parts <= 1)
                RunUnits(pin, channels, plane, words, tests, testStride, 0, units, pout, path);
            else
                RunParallel(pin, channels, plane, words, tests, testStride, units, parts, pout, path);
    }

    /// <summary>Values below which a part is not worth a thread (about 10 µs of packing; Parallel.For costs a few).</summary>
    private const long MinValuesPerPart = 1 << 16;

    /// <summary>
    /// Parts of one call: one per <see cref="MinValuesPerPart"/> values, at most <see cref="KernelParallelism.MaxThreads"/>
    /// and one per unit, so the split depends only on the shape and the setting.
    /// </summary>
    private static int Parts(long units, long values) =>
        (int)Math.Min(Math.Min(KernelParallelism.MaxThreads, units), Math.Max(1, values / MinValuesPerPart));

    /// <summary>
    /// Kept apart so its closure is only allocated when threads are actually used. Part k takes the units
    /// [units · k / parts, units · (k + 1) / parts); every pixel's word depends on that pixel alone, so the bits do not
    /// depend on the split.
    /// </summary>
    private static void RunParallel<T, TTest>(T* values, int channels, int plane, int words, TTest* tests, int testStride,
        long units, int parts, ulong* packed, KernelPath path)
        where T : unmanaged, IComparisonOperators<T, T, bool>
        where TTest : unmanaged, ISignTest<T>
    {
        nint pv = (nint)values, pt = (nint)tests, pp = (nint)packed;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            RunUnits((T*)pv, channels, plane, words, (TTest*)pt, testStride, units * part / parts, units * (part + 1) / parts,
                (ulong*)pp, path));
    }

    /// <summary>
    /// Packs units [<paramref name="u0"/>, <paramref name="u1"/>) of the batch: unit u is the block of
    /// <see cref="PixelBlock"/> pixels u % blocks of image u / blocks (the last block of an image may be shorter).
    /// </summary>
    private static void RunUnits<T, TTest>(T* values, int channels, int plane, int words, TTest* tests, int testStride,
        long u0, long u1, ulong* packed, KernelPath path)
        where T : unmanaged, IComparisonOperators<T, T, bool>
        where TTest : unmanaged, ISignTest<T>
    {
        var blocks = (plane + PixelBlock - 1) / PixelBlock;
        var bounds = stackalloc T[2 * 64];
        for (var n = u0 / blocks; n * blocks < u1; n++)
        {
            var p0 = (int)Math.Max(0, u0 - n * blocks) * PixelBlock;
            var p1 = (int)Math.Min(plane, (u1 - n * blocks) * PixelBlock);
            var image = values + n * channels * plane;
            var output = packed + n * plane * words;
            for (var w = 0; w < words; w++)
            {
                var first = w << 6;
                var count = Math.Min(64, channels - first);
                for (var b = 0; b < count; b++)
                {
                    var test = tests[(long)(first + b) * testStride];
                    bounds[b] = test.Lower;
                    bounds[64 + b] = test.Upper;
                }
                var src = image + (long)first * plane;
                var done = p0;
                if (sizeof(T) == 4 && path >= KernelPath.Avx512 && Vector512.IsHardwareAccelerated)
                    done = PackVector512(src, bounds, count, plane, p0, p1, output + w, words);
                else if (sizeof(T) == 4 && path >= KernelPath.Avx2 && Vector256.IsHardwareAccelerated)
                    done = PackVector256(src, bounds, count, plane, p0, p1, output + w, words);
                else if (sizeof(T) == 4 && path != KernelPath.Scalar && Vector128.IsHardwareAccelerated)
                    done = PackVector128(src, bounds, count, plane, p0, p1, output + w, words);
                PackScalar(src, bounds, count, plane, done, p1, output + w, words);
            }
        }
    }

    /// <summary>
    /// The reference: word bits of pixels [start, end) for <paramref name="count"/> channels whose bounds are
    /// <c>bounds[b]</c> (lower) and <c>bounds[64 + b]</c> (upper); the word of pixel p goes to <c>packed[p · stride]</c>.
    /// </summary>
    private static void PackScalar<T>(T* src, T* bounds, int count, int plane, int start, int end, ulong* packed, int stride)
        where T : unmanaged, IComparisonOperators<T, T, bool>
    {
        var block = stackalloc ulong[PixelBlock];
        for (var p0 = start; p0 < end; p0 += PixelBlock)
        {
            var pixels = Math.Min(PixelBlock, end - p0);
            new Span<ulong>(block, PixelBlock).Clear();
            for (var b = 0; b < count; b++)
            {
                T lower = bounds[b], upper = bounds[64 + b];
                var channel = src + ((long)b * plane + p0);
                for (var i = 0; i < pixels; i++)
                {
                    var v = channel[i];
                    // Non-short-circuit & and a bool-to-byte cast keep this branch-free; IEEE: NaN never fires.
                    var fires = (v >= lower) & (v <= upper);
                    block[i] |= (ulong)Unsafe.BitCast<bool, byte>(fires) << b;
                }
            }
            for (var i = 0; i < pixels; i++) packed[(long)(p0 + i) * stride] = block[i];
        }
    }

    /// <summary>Avx512 twin of <see cref="PackScalar"/> for 4-byte values, 16 pixels per step from <paramref name="start"/> on while a whole step fits before <paramref name="stop"/>; returns where it stopped.</summary>
    private static int PackVector512<T>(T* src, T* bounds, int count, int plane, int start, int stop, ulong* packed, int stride)
        where T : unmanaged
    {
        var end = start + ((stop - start) & ~15);
        var low = Math.Min(count, 32);
        for (var p = start; p < end; p += 16)
        {
            Vector512<uint> lo = default, hi = default;
            for (var b = count - 1; b >= 32; b--)
                Accumulate(src + (long)b * plane + p, bounds[b], bounds[64 + b], ref hi);
            for (var b = low - 1; b >= 0; b--)
                Accumulate(src + (long)b * plane + p, bounds[b], bounds[64 + b], ref lo);
            Store(Vector512.WidenLower(lo) | (Vector512.WidenLower(hi) << 32), packed, p, stride);
            Store(Vector512.WidenUpper(lo) | (Vector512.WidenUpper(hi) << 32), packed, p + 8, stride);
        }
        return end;
    }

    /// <summary>acc = 2·acc, plus one in the lanes whose value lies in [lower, upper] (a masked add on the k-mask of both compares).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate<T>(T* channel, T lower, T upper, ref Vector512<uint> acc)
        where T : unmanaged
    {
        var v = Vector512.Load(channel);
        var fires = Vector512.GreaterThanOrEqual(v, Vector512.Create(lower)) & Vector512.LessThanOrEqual(v, Vector512.Create(upper));
        var doubled = acc + acc;
        acc = Vector512.ConditionalSelect(fires.AsUInt32(), doubled + Vector512<uint>.One, doubled);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<ulong> words, ulong* packed, int pixel, int stride)
    {
        if (stride == 1)
        {
            words.Store(packed + pixel);
            return;
        }
        for (var i = 0; i < 8; i++) packed[(long)(pixel + i) * stride] = words.GetElement(i);
    }

    /// <summary>AVX2 twin of <see cref="PackScalar"/> for 4-byte values, 16 pixels per step from <paramref name="start"/> on while a whole step fits before <paramref name="stop"/>; returns where it stopped.</summary>
    private static int PackVector256<T>(T* src, T* bounds, int count, int plane, int start, int stop, ulong* packed, int stride)
        where T : unmanaged
    {
        var end = start + ((stop - start) & ~15);
        var low = Math.Min(count, 32);
        for (var p = start; p < end; p += 16)
        {
            Vector256<uint> lo0 = default, lo1 = default, hi0 = default, hi1 = default;
            for (var b = count - 1; b >= 32; b--)
                Accumulate(src + (long)b * plane + p, bounds[b], bounds[64 + b], ref hi0, ref hi1);
            for (var b = low - 1; b >= 0; b--)
                Accumulate(src + (long)b * plane + p, bounds[b], bounds[64 + b], ref lo0, ref lo1);
            Store(Vector256.WidenLower(lo0) | (Vector256.WidenLower(hi0) << 32), packed, p, stride);
            Store(Vector256.WidenUpper(lo0) | (Vector256.WidenUpper(hi0) << 32), packed, p + 4, stride);
            Store(Vector256.WidenLower(lo1) | (Vector256.WidenLower(hi1) << 32), packed, p + 8, stride);
            Store(Vector256.WidenUpper(lo1) | (Vector256.WidenUpper(hi1) << 32), packed, p + 12, stride);
        }
        return end;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate<T>(T* channel, T lower, T upper, ref Vector256<uint> acc0, ref Vector256<uint> acc1)
        where T : unmanaged
    {
        Vector256<T> l = Vector256.Create(lower), u = Vector256.Create(upper);
        var v0 = Vector256.Load(channel);
        var v1 = Vector256.Load(channel + Vector256<T>.Count);
        acc0 = acc0 + acc0 - (Vector256.GreaterThanOrEqual(v0, l) & Vector256.LessThanOrEqual(v0, u)).AsUInt32();
        acc1 = acc1 + acc1 - (Vector256.GreaterThanOrEqual(v1, l) & Vector256.LessThanOrEqual(v1, u)).AsUInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<ulong> words, ulong* packed, int pixel, int stride)
    {
        if (stride == 1)
        {
            words.Store(packed + pixel);
            return;
        }
        for (var i = 0; i < 4; i++) packed[(long)(pixel + i) * stride] = words.GetElement(i);
    }

    /// <summary>128-bit twin of <see cref="PackVector256{T}"/>, 8 pixels per step; returns where it stopped.</summary>
    private static int PackVector128<T>(T* src, T* bounds, int count, int plane, int start, int stop, ulong* packed, int stride)
        where T : unmanaged
    {
        var end = start + ((stop - start) & ~7);
        var low = Math.Min(count, 32);
        for (var p = start; p < end; p += 8)
        {
            Vector128<uint> lo0 = default, lo1 = default, hi0 = default, hi1 = default;
            for (var b = count - 1; b >= 32; b--)
                Accumulate(src + (long)b * plane + p, bounds[b], bounds[64 + b], ref hi0, ref hi1);
            for (var b = low - 1; b >= 0; b--)
                Accumulate(src + (long)b * plane + p, bounds[b], bounds[64 + b], ref lo0, ref lo1);
            Store(Vector128.WidenLower(lo0) | (Vector128.WidenLower(hi0) << 32), packed, p, stride);
            Store(Vector128.WidenUpper(lo0) | (Vector128.WidenUpper(hi0) << 32), packed, p + 2, stride);
            Store(Vector128.WidenLower(lo1) | (Vector128.WidenLower(hi1) << 32), packed, p + 4, stride);
            Store(Vector128.WidenUpper(lo1) | (Vector128.WidenUpper(hi1) << 32), packed, p + 6, stride);
        }
        return end;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate<T>(T* channel, T lower, T upper, ref Vector128<uint> acc0, ref Vector128<uint> acc1)
        where T : unmanaged
    {
        Vector128<T> l = Vector128.Create(lower), u = Vector128.Create(upper);
        var v0 = Vector128.Load(channel);
        var v1 = Vector128.Load(channel + Vector128<T>.Count);
        acc0 = acc0 + acc0 - (Vector128.GreaterThanOrEqual(v0, l) & Vector128.LessThanOrEqual(v0, u)).AsUInt32();
        acc1 = acc1 + acc1 - (Vector128.GreaterThanOrEqual(v1, l) & Vector128.LessThanOrEqual(v1, u)).AsUInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector128<ulong> words, ulong* packed, int pixel, int stride)
    {
        if (stride == 1)
        {
            words.Store(packed + pixel);
            return;
        }
        packed[(long)pixel * stride] = words.GetElement(0);
        packed[(long)(pixel + 1) * stride] = words.GetElement(1);
    }
}

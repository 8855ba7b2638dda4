using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// Every way a block pools conv rows over the max-pool windows and applies the channel's sign test, each vector or
/// bit-instruction step next to its scalar twin: <see cref="PoolPlane{T}"/> (window maxima, any test),
/// <see cref="PoolMasks{T}"/> (one-sided test on row bit masks), <see cref="PoolDecisiveMasks"/> (a float channel
/// group's decisive row masks), <see cref="PoolWindowRows"/> (rows already pooled across by the split-sum shortcut)
/// and its eight-pixel device map; the row masks come from <see cref="RowMask{T}"/>, <see cref="PlanesToDecisive"/>
/// or <see cref="FiringToDecisive"/>.
/// </summary>
internal static unsafe class WindowPooling
{
    /// <summary>
    /// Max over each window of one channel's pre-activations <c>(Ho, Wo)</c>, then the channel's test reduced to
    /// lower ≤ max ≤ upper, ORed into bit <paramref name="channel"/> of the (cleared) packed image <c>(Hp, Wp, words)</c>.
    /// Per pooled row: the column maxima of the window rows go into a row with <paramref name="lowest"/> borders
    /// (<paramref name="row"/> holds <see cref="BlockSizes.PoolRowLength"/> cells: that row, then the sliding maximum over k of its
    /// columns), and window px is sliding cell px·stride. Both steps are vectorised on the SIMD paths. Max is exact and order-free (<c>T.Max</c> and the
    /// vector maxima propagate NaN, which never fires), and the borders never win, so this equals the max over the
    /// window's real cells.
    /// </summary>
    internal static void PoolPlane<T>(T* plane, int ho, int wo, PoolGeometry pool, T lower, T upper, ulong* image, int words,
        int channel, T* row, bool vectorised, T lowest)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        int k = pool.Kernel, s = pool.Stride, p = pool.Padding;
        if (TunedShape.NarrowRows(wo, p))
        {
            // One-sided tests (every threshold but "never fires" with a NaN bound) pool on row bit masks instead.
            if (upper == Highest<T>())
            {
                PoolMasks(plane, ho, wo, pool, lower, atLeast: true, image, words, channel, vectorised);
                return;
            }
            if (lower == lowest)
            {
                PoolMasks(plane, ho, wo, pool, upper, atLeast: false, image, words, channel, vectorised);
                return;
            }
        }
        int hp = pool.OutputSize(ho), wp = pool.OutputSize(wo);
        var word = channel >> 6;
        var shift = channel & 63;
        var padded = new Span<T>(row, wo + 2 * p);
        padded[..p].Fill(lowest);
        padded[(p + wo)..].Fill(lowest);
        var maxima = padded.Slice(p, wo);
        var windows = wo + 2 * p - k + 1;
        var sliding = new Span<T>(row + wo + 2 * p, windows);
        for (var py = 0; py < hp; py++)
        {
            var y0 = Math.Max(0, py * s - p);
            var y1 = Math.Min(ho, py * s - p + k);
            new ReadOnlySpan<T>(plane + (long)y0 * wo, wo).CopyTo(maxima);
            for (var y = y0 + 1; y < y1; y++)
                MaxInto(maxima, new ReadOnlySpan<T>(plane + (long)y * wo, wo), vectorised);
            padded[..windows].CopyTo(sliding);
            for (var dx = 1; dx < k; dx++)
                MaxInto(sliding, padded.Slice(dx, windows), vectorised);
            var bits = image + (long)py * wp * words + word;
            for (var px = 0; px < wp; px++)
            {
                var max = sliding[px * s];
                var fires = (max >= lower) & (max <= upper);
                bits[(long)px * words] |= (ulong)Unsafe.BitCast<bool, byte>(fires) << shift;
            }
        }
    }

    /// <summary>dst[i] = max(dst[i], src[i]); exact on every path.</summary>
    private static void MaxInto<T>(Span<T> dst, ReadOnlySpan<T> src, bool vectorised) where T : unmanaged, INumber<T>
    {
        var i = 0;
        if (vectorised && Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
            for (; i + Vector256<T>.Count <= dst.Length; i += Vector256<T>.Count)
                Vector256.Max(Vector256.Create((ReadOnlySpan<T>)dst.Slice(i)), Vector256.Create(src.Slice(i))).CopyTo(dst.Slice(i));
        if (vectorised && Vector128<T>.IsSupported)
            for (; i + Vector128<T>.Count <= dst.Length; i += Vector128<T>.Count)
                Vector128.Max(Vector128.Create((ReadOnlySpan<T>)dst.Slice(i)), Vector128.Create(src.Slice(i))).CopyTo(dst.Slice(i));
        for (; i < dst.Length; i++) dst[i] = T.Max(dst[i], src[i]);
    }

    /// <summary>+∞ for floats, the largest value for integers: the upper bound of a test that only has a lower one.</summary>
    private static T Highest<T>() where T : unmanaged, INumber<T>, IMinMaxValue<T> =>
        typeof(T) == typeof(float) ? (T)(object)float.PositiveInfinity : T.MaxValue;

    /// <summary>
    /// <see cref="PoolPlane{T}"/> for a one-sided test on rows of at most 64 cells with their padding. With
    /// <paramref name="atLeast"/> (test v ≥ bound) the window's max fires exactly when some cell fires and no cell is NaN
    /// (a NaN max never fires); otherwise (v ≤ bound) exactly when every cell fires (NaN fails it). So each conv row
    /// becomes a bit mask of firing cells (and of NaN cells), and <see cref="PooledRowBits"/> pools the masks.
    /// </summary>
    private static void PoolMasks<T>(T* plane, int ho, int wo, PoolGeometry pool, T bound, bool atLeast, ulong* image, int words,
        int channel, bool vectorised)
        where T : unmanaged, INumber<T>
    {
        int k = pool.Kernel, s = pool.Stride, p = pool.Padding;
        int hp = pool.OutputSize(ho), wp = pool.OutputSize(wo);
        var word = channel >> 6;
        var shift = channel & 63;
        var strideMask = StrideMask(s, wp);
        // Every conv row's masks once: overlapping windows (stride below the kernel) share rows, and on the cloud's
        // 8×8 maps computing them per window row tripled the block's pooling time.
        Span<ulong> masks = ho <= 256 ? stackalloc ulong[2 * ho] : new ulong[2 * ho];
        fixed (ulong* fire = masks)
        {
            var nan = fire + ho;
            for (var y = 0; y < ho; y++) fire[y] = RowMask(plane + (long)y * wo, wo, bound, atLeast, vectorised, out nan[y]);
            for (var py = 0; py < hp; py++)
            {
                var y0 = Math.Max(0, py * s - p);
                var y1 = Math.Min(ho, py * s - p + k);
                var windows = PooledRowBits(fire + y0, nan + y0, y1 - y0, wo, wp, strideMask, pool, atLeast, vectorised);
                var bits = image + (long)py * wp * words + word;
                for (var px = 0; px < wp; px++)
                    bits[(long)px * words] |= ((windows >> px) & 1UL) << shift;
            }
        }
    }

    /// <summary>
    /// Bit x set where cell x of a row of <paramref name="width"/> ≤ 64 cells fires (v ≥ bound, or v ≤ bound), and in
    /// <paramref name="nan"/> where it is NaN; vector compares on the SIMD paths, the scalar loop for the rest.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong RowMask<T>(T* row, int width, T bound, bool atLeast, bool vectorised, out ulong nan)
        where T : unmanaged, INumber<T>
    {
        ulong fire = 0;
        nan = 0;
        var x = 0;
        if (vectorised && Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            var b = Vector256.Create(bound);
            for (; x + Vector256<T>.Count <= width; x += Vector256<T>.Count)
            {
                var v = Vector256.Load(row + x);
                var hit = atLeast ? Vector256.GreaterThanOrEqual(v, b) : Vector256.LessThanOrEqual(v, b);
                fire |= (ulong)hit.ExtractMostSignificantBits() << x;
                nan |= (ulong)(~Vector256.Equals(v, v)).ExtractMostSignificantBits() << x;
            }
        }
        if (vectorised && Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            var b = Vector128.Create(bound);
            for (; x + Vector128<T>.Count <= width; x += Vector128<T>.Count)
            {
                var v = Vector128.Load(row + x);
                var hit = atLeast ? Vector128.GreaterThanOrEqual(v, b) : Vector128.LessThanOrEqual(v, b);
                fire |= (ulong)hit.ExtractMostSignificantBits() << x;
                nan |= (ulong)(~Vector128.Equals(v, v)).ExtractMostSignificantBits() << x;
            }
        }
        for (; x < width; x++)
        {
            var v = row[x];
            fire |= (ulong)Unsafe.BitCast<bool, byte>(atLeast ? v >= bound : v <= bound) << x;
            nan |= (ulong)Unsafe.BitCast<bool, byte>(T.IsNaN(v)) << x;
        }
        return fire;
    }

    /// <summary>
    /// One pooled row of a one-sided test from the masks of its window rows (<paramref name="rows"/> of them, at
    /// <paramref name="fire"/>[i], NaN cells likewise): rows are ORed (v ≥ bound; a NaN cell
    /// vetoes its windows as a NaN max would) or ANDed (v ≤ bound), window columns likewise by shifts of the padded mask
    /// (padding neutral: 0 for OR, 1 for AND), and bit px of the result is window px (bit px·stride before compaction);
    /// <paramref name="wp"/> windows, picked by <paramref name="strideMask"/> = <see cref="StrideMask"/>(stride, wp).
    /// </summary>
    private static ulong PooledRowBits(ulong* fire, ulong* nan, int rows, int wo, int wp, ulong strideMask, PoolGeometry pool,
        bool atLeast, bool vectorised)
    {
        int k = pool.Kernel, s = pool.Stride, p = pool.Padding;
        ulong rowFire = atLeast ? 0 : ulong.MaxValue, rowNan = 0;
        for (var i = 0; i < rows; i++)
        {
            rowFire = atLeast ? rowFire | fire[i] : rowFire & fire[i];
            rowNan |= nan[i];
        }
        ulong windows;
        if (atLeast)
        {
            ulong paddedFire = rowFire << p, paddedNan = rowNan << p, anyFire = 0, anyNan = 0;
            for (var dx = 0; dx < k; dx++)
            {
                anyFire |= paddedFire >> dx;
                anyNan |= paddedNan >> dx;
            }
            windows = anyFire & ~anyNan;
        }
        else
        {
            var padding = ~(((wo == 64 ? 0UL : 1UL << wo) - 1) << p);
            var paddedFire = (rowFire << p) | padding;
            windows = ulong.MaxValue;
            for (var dx = 0; dx < k; dx++) windows &= paddedFire >> dx;
        }
        return Compact(windows, strideMask, s, wp, vectorised);
    }

    /// <summary>
    /// Pool + one-sided threshold of a channel group from its row masks: every conv row is, per channel of the group, a
    /// mask X of cells that decide (v ≥ bound: firing cells, with NaN cells in a second mask N; v ≤ bound: failing cells,
    /// NaN included, N empty) in <paramref name="decide"/> and <paramref name="nan"/> (row-major over the group's 4
    /// lanes, from <see cref="FiringToDecisive"/> or <see cref="PlanesToDecisive"/>; unused lanes are zero). A window's max then fires exactly when
    /// (any X and no N) — for v ≥ bound — or when no X — for v ≤ bound —, so both kinds pool the same way: OR over the
    /// window rows and over shifts of the padded row (padding 0 is neutral), then (anyX AND NOT anyN) XOR flip. Window
    /// bits are compacted (pext, or its scalar twin), and the group's (≤ 4) bits of each pixel written at once
    /// (<see cref="PixelWriter.WritePixels"/>): the channels' window bits spread to one byte per pixel (pdep, or its scalar twin).
    /// </summary>
    internal static void PoolDecisiveMasks(ulong* decide, ulong* nan, ulong* flip, in FloatBlockLayout layout,
        ulong* image, int c0, bool firstWriter, bool vectorised)
    {
        int k = layout.Pool.Kernel, s = layout.Pool.Stride, p = layout.Pool.Padding;
        int ho = layout.OutHeight, hp = layout.PooledHeight, wp = layout.PooledWidth, words = layout.Words;
        var strideMask = StrideMask(s, wp);
        var word = c0 >> 6;
        var shift = c0 & 63;
        for (var py = 0; py < hp; py++)
        {
            var y0 = Math.Max(0, py * s - p);
            var y1 = Math.Min(ho, py * s - p + k);
            // Word by word on every path: the masks were just written as single words, and a vector load across
            // four fresh word stores cannot be forwarded from them (it waits for the stores to retire).
            var p0 = PoolLane(decide, nan, flip, 0, y0, y1, k, p, strideMask, s, wp, vectorised);
            var p1 = PoolLane(decide, nan, flip, 1, y0, y1, k, p, strideMask, s, wp, vectorised);
            var p2 = PoolLane(decide, nan, flip, 2, y0, y1, k, p, strideMask, s, wp, vectorised);
            var p3 = PoolLane(decide, nan, flip, 3, y0, y1, k, p, strideMask, s, wp, vectorised);
            PixelWriter.WritePixels(image + (long)py * wp * words + word, words, shift, wp, p0, p1, p2, p3, firstWriter, vectorised);
        }
    }

    /// <summary>
    /// One lane's pooled row: OR of the window rows' decisive and NaN masks, shifted by the padding, ORed over the k
    /// window columns, (anyX AND NOT anyN) XOR flip, then the window starts compacted to bits 0, 1, ….
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong PoolLane(ulong* decide, ulong* nan, ulong* flip, int lane, int y0, int y1, int k, int p,
        ulong strideMask, int s, int wp, bool vectorised)
    {
        const int group = BlockSizes.ChannelGroup;
        ulong x = 0, n = 0;
        for (var y = y0; y < y1; y++)
        {
            x |= decide[(long)y * group + lane];
            n |= nan[(long)y * group + lane];
        }
        x <<= p;
        n <<= p;
        ulong anyX = x, anyN = n;
        for (var dx = 1; dx < k; dx++)
        {
            anyX |= x >> dx;
            anyN |= n >> dx;
        }
        return Compact((anyX & ~anyN) ^ flip[lane], strideMask, s, wp, vectorised);
    }

    /// <summary>
    /// Row masks of firing cells (as <see cref="FloatBinaryConv2d.GroupRowMasks"/> writes them) made decisive in place:
    /// for v ≤ bound lanes the failing cells (NaN included) and no NaN mask.
    /// </summary>
    internal static void FiringToDecisive(uint* signs, ulong* decide, ulong* nan, int ho, int wo)
    {
        var rowBits = wo == 64 ? ulong.MaxValue : (1UL << wo) - 1;
        for (var c = 0; c < BlockSizes.ChannelGroup; c++)
        {
            if (signs[c] == 0) continue;
            for (var y = 0; y < ho; y++)
            {
                var i = (long)y * BlockSizes.ChannelGroup + c;
                decide[i] = ~decide[i] & rowBits;
                nan[i] = 0;
            }
        }
    }

    /// <summary>
    /// The scalar twin of the register path: the decisive row masks of the channels in <paramref name="channels"/> from
    /// the group's float planes (zeros for the other lanes), with the same tests.
    /// </summary>
    internal static void PlanesToDecisive(float* planes, int channels, uint* signs, float* keys, int ho, int wo,
        ulong* decide, ulong* nan, bool vectorised)
    {
        const int group = BlockSizes.ChannelGroup;
        var rowBits = wo == 64 ? ulong.MaxValue : (1UL << wo) - 1;
        for (var c = 0; c < group; c++)
        {
            var inGroup = (channels & (1 << c)) != 0;
            var atLeast = signs[c] == 0;
            var bound = BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(keys[c]) ^ signs[c]);
            var plane = planes + (long)c * ho * wo;
            for (var y = 0; y < ho; y++)
            {
                ulong fire = 0, rowNan = 0;
                if (inGroup) fire = RowMask(plane + (long)y * wo, wo, bound, atLeast, vectorised, out rowNan);
                decide[(long)y * group + c] = !inGroup ? 0 : atLeast ? fire : ~fire & rowBits;
                nan[(long)y * group + c] = inGroup && atLeast ? rowNan : 0;
            }
        }
    }

    /// <summary>
    /// Pool + one-sided threshold of a channel group from rows already pooled across (the split-sum shortcut's
    /// <see cref="SplitSumPlan.TryGroupWindows"/>, NaN-free, lane-major): per pooled row and lane, the OR of its window rows XOR flip,
    /// window starts compacted, pixels written as in <see cref="PoolDecisiveMasks"/>.
    /// </summary>
    /// <returns>True when it also wrote the image's tight packing into <paramref name="tight"/> (a 4-channel device map).</returns>
    internal static bool PoolWindowRows(ulong* windows, ReadOnlySpan<ulong> flip, in FloatBlockLayout layout, ulong* image, int c0,
        bool vectorised, ulong* tight)
    {
        int k = layout.Pool.Kernel, s = layout.Pool.Stride, p = layout.Pool.Padding;
        int ho = layout.OutHeight, hp = layout.PooledHeight, wp = layout.PooledWidth, words = layout.Words;
        var strideMask = StrideMask(s, wp);
        ulong f0 = flip[0], f1 = flip[1], f2 = flip[2], f3 = flip[3];
        // The device's map (one word per pixel, eight pooled columns, first group): pext compacts each lane's windows
        // and pdep drops them straight into the lane's bit of every pixel byte, as the general path does.
        var deviceMap = vectorised && Bmi2.X64.IsSupported && Avx2.IsSupported && TunedShape.EightPixelMap(words, wp, c0);
        var writesTight = deviceMap && tight != null && TunedShape.TightFromPixelNibbles(layout.Conv.OutChannels, hp);
        const ulong pixelBits = 0x0101_0101_0101_0101UL;
        for (var py = 0; py < hp; py++)
        {
            int y0 = Math.Max(0, py * s - p), y1 = Math.Min(ho, py * s - p + k);
            ulong x0 = 0, x1 = 0, x2 = 0, x3 = 0;
            for (var y = y0; y < y1; y++)
            {
                x0 |= windows[y];
                x1 |= windows[ho + y];
                x2 |= windows[2 * ho + y];
                x3 |= windows[3 * ho + y];
            }
            if (!deviceMap)
            {
                PixelWriter.WritePixels(image + (long)py * wp * words + (c0 >> 6), words, c0 & 63, wp,
                    Compact(x0 ^ f0, strideMask, s, wp, vectorised), Compact(x1 ^ f1, strideMask, s, wp, vectorised),
                    Compact(x2 ^ f2, strideMask, s, wp, vectorised), Compact(x3 ^ f3, strideMask, s, wp, vectorised),
                    firstWriter: true, vectorised);
                continue;
            }
            var pixels = Bmi2.X64.ParallelBitDeposit(Bmi2.X64.ParallelBitExtract(x0 ^ f0, strideMask), pixelBits)
                | Bmi2.X64.ParallelBitDeposit(Bmi2.X64.ParallelBitExtract(x1 ^ f1, strideMask), pixelBits << 1)
                | Bmi2.X64.ParallelBitDeposit(Bmi2.X64.ParallelBitExtract(x2 ^ f2, strideMask), pixelBits << 2)
                | Bmi2.X64.ParallelBitDeposit(Bmi2.X64.ParallelBitExtract(x3 ^ f3, strideMask), pixelBits << 3);
            PixelWriter.StoreEightPixels(image + 8L * py, pixels);
            // Four channels: the row's eight pixel nibbles are its 32 tight bits (pixel p, channel c at bit 4p + c).
            if (writesTight)
            {
                var half = Bmi2.X64.ParallelBitExtract(pixels, 0x0F0F_0F0F_0F0F_0F0FUL) << (32 * (py & 1));
                tight[py >> 1] = (py & 1) == 0 ? half : tight[py >> 1] | half;
            }
        }
        return writesTight;
    }

    /// <summary>
    /// Bits 0, n, 2n, … of <paramref name="bits"/> (<paramref name="count"/> of them, picked by <paramref name="strideMask"/>
    /// = <see cref="StrideMask"/>) moved to bits 0, 1, 2, …; pext when BMI2 is there, else the scalar twin.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Compact(ulong bits, ulong strideMask, int n, int count, bool vectorised)
    {
        if (n == 1) return bits & strideMask;
        if (vectorised && Bmi2.X64.IsSupported) return Bmi2.X64.ParallelBitExtract(bits, strideMask);
        ulong compact = 0;
        for (var i = 0; i < count; i++) compact |= ((bits >> (i * n)) & 1UL) << i;
        return compact;
    }

    /// <summary>Bits 0, n, 2n, … (<paramref name="count"/> of them, all below 64).</summary>
    private static ulong StrideMask(int n, int count)
    {
        if (n == 1) return count == 64 ? ulong.MaxValue : (1UL << count) - 1;
        ulong mask = 0;
        for (var i = 0; i < count; i++) mask |= 1UL << (i * n);
        return mask;
    }
}

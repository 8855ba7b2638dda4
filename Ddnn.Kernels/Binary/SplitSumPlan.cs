using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// A shortcut to the first layer's one-sided row masks (<see cref="FirstLayerConv2d.GroupRowMasks"/>) that gives the
/// same bits with about a third of the additions, or says it cannot vouch for them and leaves the group to the
/// exact-order kernel.
/// </summary>
/// <remarks>
/// <para>With ±1 weights a channel's sum is P − N (taps of weight +1 minus taps of weight −1) = S − 2N = 2P − S, where
/// S, the plain sum of the window, is shared by every channel and is itself built from row sums shared by neighbouring
/// windows (H = Σ over kx, then S = Σ over ci and ky of H). Each channel then only adds its minority taps M (at most
/// half of them): with σ = +1 when M are the −1 taps and −1 when they are the +1 taps, the threshold test
/// "v = b + σ(S − 2M) above t" becomes d = t − v = 2σ·Q with Q = M + (g − S/2), g = (t − b)/(2σ), so a cell is above
/// its bound exactly when sign(Q) differs from σ's (<see cref="EbnnBlock"/>'s decisive masks: firing cells of v ≥ t,
/// failing cells of v ≤ t).</para>
/// <para>This regrouping rounds differently from the documented order, so it is only trusted with a margin: with
/// n = Cin·kH·kW taps, A = n·max|x| (a bound on every window's Σ|x|), B = |t| + |b| and u = 2^−24, the exact-order value
/// G = fl(s + b) is within (1.01n)uA + uB of the real v, and 2Q is within (2.06n + 2.1 + 1.54n)uA + (2 + 0.51n)uB of the
/// real t − v (S passes ≤ kW + Cin·kH − 2 ≤ n − 1 roundings, g and g − S/2 one each, the ≤ n/2 minority adds one each
/// on partial sums below B/2 + 1.52A). Every |Q| at or above δ = (4n + 4)·u·(A + B) + 1e−30 — twice the sum of both
/// errors, plus room for halving subnormals — therefore has the sign of t − G and G ≠ t, so its bit equals the exact
/// order's. A group with any |Q| below δ (rare: the real value lies within ~10^−4 of the threshold) is recomputed in
/// the exact order. Non-finite inputs, inputs above 1e30 (no overflow anywhere) and non-finite bounds or biases never
/// take the shortcut.</para>
/// <para>The SIMD paths do, lane by lane, exactly the scalar twin's operations in the same order, so masks and the
/// margin test agree on every path.</para>
/// </remarks>
internal sealed unsafe class SplitSumPlan
{
    /// <summary>Largest input magnitude the shortcut accepts; far below float overflow after n·(3 + n) growth.</summary>
    private const float MaxInput = 1e30f;

    /// <summary>u = 2^−24, the unit roundoff of float32.</summary>
    private const double Unit = 1.0 / (1 << 24);

    private const int Group = FirstLayerConv2d.ChannelGroup;

    private readonly int[] _offsets;
    private readonly int[] _counts;
    private readonly float[] _starts;
    private readonly ulong[] _sigmaFlips;
    private readonly double[] _magnitudes;
    private readonly bool[] _eligible;
    private readonly int _maxMinority;
    private readonly int _taps;
    private readonly int _kernelW;
    private readonly int _rowsPerSum;
    private readonly int _paddedWidth;
    private readonly int _paddedHeight;
    private readonly int _channelLength;
    private readonly int _outHeight;
    private readonly int _outWidth;
    private readonly ulong _rowBits;

    /// <summary>Offsets (floats, from a cell's first row sum) of the row sums that make up S, in summation order.</summary>
    private readonly int[] _sumOffsets;

    private SplitSumPlan(FloatBlockLayout layout, ReadOnlySpan<uint> signMasks, ReadOnlySpan<float> bias,
        ReadOnlySpan<FloatSignThreshold> thresholds)
    {
        var conv = layout.Conv;
        _taps = layout.TapCount;
        _kernelW = conv.KernelW;
        _rowsPerSum = conv.KernelH;
        _paddedWidth = conv.Width + 2 * conv.Padding;
        _paddedHeight = conv.Height + 2 * conv.Padding;
        _channelLength = _paddedHeight * _paddedWidth;
        _outHeight = layout.OutHeight;
        _outWidth = layout.OutWidth;
        _rowBits = _outWidth == 64 ? ulong.MaxValue : (1UL << _outWidth) - 1;
        _maxMinority = _taps / 2;
        _sumOffsets = new int[conv.InChannels * conv.KernelH];
        for (var ci = 0; ci < conv.InChannels; ci++)
        for (var ky = 0; ky < conv.KernelH; ky++)
            _sumOffsets[ci * conv.KernelH + ky] = (ci * _paddedHeight + ky) * _outWidth;
        var groups = (conv.OutChannels + Group - 1) / Group;
        _offsets = new int[groups * Group * Math.Max(1, _maxMinority)];
        _counts = new int[groups * Group];
        _starts = new float[groups * Group];
        _sigmaFlips = new ulong[groups * Group];
        _magnitudes = new double[groups];
        _eligible = new bool[groups];
        for (var group = 0; group < groups; group++)
        {
            _eligible[group] = true;
            for (var lane = 0; lane < Group; lane++)
            {
                var c = group * Group + lane;
                if (c >= conv.OutChannels) break;
                var (lower, upper) = EbnnBlock.Bounds<FloatSignThreshold, float>(thresholds[c]);
                var atLeast = upper == float.PositiveInfinity;
                var bound = atLeast ? lower : upper;
                if (!(atLeast || lower == float.NegativeInfinity) || !float.IsFinite(bound) || !float.IsFinite(bias[c])
                    || Math.Abs((double)bound) + Math.Abs((double)bias[c]) > MaxInput)
                {
                    _eligible[group] = false;
                    break;
                }
                Describe(c, signMasks.Slice(c * _taps, _taps), bias[c], bound);
                _magnitudes[group] = Math.Max(_magnitudes[group], Math.Abs((double)bound) + Math.Abs((double)bias[c]));
            }
        }
    }

    /// <summary>
    /// The plan for a block, or null when no channel group can take the shortcut (stride ≠ 1, rows wider than a
    /// 64-bit mask with the pool padding, or no group whose tests are all one-sided with finite bounds and biases).
    /// </summary>
    public static SplitSumPlan? TryCreate(FloatBlockLayout layout, ReadOnlySpan<uint> signMasks, ReadOnlySpan<float> bias,
        ReadOnlySpan<FloatSignThreshold> thresholds)
    {
        if (layout.Conv.Stride != 1 || !layout.Narrow) return null;
        var plan = new SplitSumPlan(layout, signMasks, bias, thresholds);
        return Array.IndexOf(plan._eligible, true) >= 0 ? plan : null;
    }

    /// <summary>Scratch floats of the row sums H <c>(Cin, H + 2p, Wo)</c> (see <see cref="FloatBlockLayout"/>).</summary>
    public static int SumsLength(BinaryConvGeometry conv) =>
        BinaryArgs.Product("row sums", conv.InChannels, conv.Height + 2 * conv.Padding, conv.OutWidth);

    /// <summary>True when channel group <paramref name="group"/> (channels 4·group …) can take the shortcut.</summary>
    public bool Eligible(int group) => _eligible[group];

    /// <summary>Minority taps, their side (σ) and the start value g of channel <paramref name="c"/>.</summary>
    private void Describe(int c, ReadOnlySpan<uint> masks, float bias, float bound)
    {
        var negatives = 0;
        foreach (var mask in masks) if (mask != 0) negatives++;
        var sigma = negatives <= _taps - negatives ? 1 : -1;
        var minorityMask = sigma > 0 ? 0x8000_0000u : 0u;
        var count = 0;
        for (var t = 0; t < _taps; t++)
        {
            if (masks[t] != minorityMask) continue;
            int ci = t / (_rowsPerSum * _kernelW), ky = t / _kernelW % _rowsPerSum, kx = t % _kernelW;
            _offsets[c * Math.Max(1, _maxMinority) + count++] = ci * _channelLength + ky * _paddedWidth + kx;
        }
        _counts[c] = count;
        _starts[c] = (bound - bias) * (sigma * 0.5f);
        _sigmaFlips[c] = sigma < 0 ? _rowBits : 0;
    }

    /// <summary>
    /// Per image, before its groups: checks the input (finite, at most 1e30 in magnitude) and writes the row sums H of
    /// the zero-padded image <paramref name="padded"/> into <paramref name="sums"/>. Returns the largest |x|, or −1 when
    /// the image cannot take the shortcut.
    /// </summary>
    public float PrepareImage(float* image, int imageLength, float* padded, float* sums, KernelPath path)
    {
        var maxAbs = MaxAbs(image, imageLength, path);
        if (!(maxAbs <= MaxInput)) return -1f;
        if (path == KernelPath.Avx2 && Vector256.IsHardwareAccelerated && _outWidth >= Lanes256.Count)
            RowSums<Lanes256, Vector256<float>>(padded, sums);
        else if (path != KernelPath.Scalar && Vector128.IsHardwareAccelerated && _outWidth >= Lanes128.Count)
            RowSums<Lanes128, Vector128<float>>(padded, sums);
        else
            ScalarRowSums(padded, sums);
        return maxAbs;
    }

    /// <summary>
    /// The decisive row masks of group <paramref name="group"/> (as <see cref="EbnnBlock"/>'s exact path leaves them,
    /// NaN masks all zero) from the row sums of <see cref="PrepareImage"/>; false when some cell lies within the margin
    /// of its bound, and the masks must then be recomputed in the exact order.
    /// </summary>
    public bool TryGroupMasks(int group, int count, float* padded, float* sums, float maxAbs, ulong* decide, KernelPath path)
    {
        var bound = Unit * (4.0 * _taps + 4) * (_taps * (double)maxAbs + _magnitudes[group]) + 1e-30;
        var margin = (float)(bound * (1 + 1e-6));
        var first = group * Group;
        float nearest;
        if (path == KernelPath.Avx2 && Vector256.IsHardwareAccelerated && _outWidth >= Lanes256.Count)
            nearest = GroupMasks<Lanes256, Vector256<float>>(first, count, padded, sums, decide);
        else if (path != KernelPath.Scalar && Vector128.IsHardwareAccelerated && _outWidth >= Lanes128.Count)
            nearest = GroupMasks<Lanes128, Vector128<float>>(first, count, padded, sums, decide);
        else
            nearest = ScalarGroupMasks(first, count, padded, sums, decide);
        for (var y = 0; y < _outHeight; y++)
        for (var lane = 0; lane < Group; lane++)
            decide[y * Group + lane] = lane < count ? decide[y * Group + lane] ^ _sigmaFlips[first + lane] : 0;
        return nearest >= margin;
    }

    /// <summary>Largest |x| of the image; NaN when some x is not finite.</summary>
    private static float MaxAbs(float* x, int length, KernelPath path)
    {
        // As integers, |x| bit patterns order like the magnitudes, and NaN/∞ patterns lie above every finite one.
        uint most = 0;
        var i = 0;
        if (path == KernelPath.Avx2 && Vector256.IsHardwareAccelerated && length >= 8)
        {
            var acc = Vector256<uint>.Zero;
            var magnitude = Vector256.Create(0x7FFF_FFFFu);
            for (; i + 8 <= length; i += 8) acc = Vector256.Max(acc, Vector256.Load((uint*)x + i) & magnitude);
            most = Max4(Vector128.Max(acc.GetLower(), acc.GetUpper()));
        }
        else if (path != KernelPath.Scalar && Vector128.IsHardwareAccelerated && length >= 4)
        {
            var acc = Vector128<uint>.Zero;
            var magnitude = Vector128.Create(0x7FFF_FFFFu);
            for (; i + 4 <= length; i += 4) acc = Vector128.Max(acc, Vector128.Load((uint*)x + i) & magnitude);
            most = Max4(acc);
        }
        for (; i < length; i++) most = Math.Max(most, ((uint*)x)[i] & 0x7FFF_FFFFu);
        return most >= 0x7F80_0000u ? float.NaN : BitConverter.UInt32BitsToSingle(most);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Max4(Vector128<uint> v) => Math.Max(Math.Max(v.GetElement(0), v.GetElement(1)), Math.Max(v.GetElement(2), v.GetElement(3)));

    /// <summary>H[ci][y][x] = Σ over kx of padded[ci][y][x + kx], added left to right, for every padded row.</summary>
    private void RowSums<TLanes, TVector>(float* padded, float* sums)
        where TLanes : IFloatLanes<TVector>
        where TVector : unmanaged
    {
        int lanes = TLanes.Count, wo = _outWidth, rows = StackedRows, paddedW = _paddedWidth, kernelW = _kernelW;
        for (var r = 0; r < rows; r++)
        {
            var source = padded + (long)r * paddedW;
            var row = sums + (long)r * wo;
            for (var ox = 0; ox < wo; ox += lanes)
            {
                var x = Math.Min(ox, wo - lanes);
                var h = TLanes.Load(source + x);
                for (var kx = 1; kx < kernelW; kx++) h = TLanes.Add(h, TLanes.Load(source + x + kx));
                TLanes.Store(h, row + x);
            }
        }
    }

    /// <summary>Padded rows of every input channel as one stack (a row sum never crosses a row's end).</summary>
    private int StackedRows => InChannels * _paddedHeight;

    private int InChannels => _taps / (_rowsPerSum * _kernelW);

    private void ScalarRowSums(float* padded, float* sums)
    {
        int wo = _outWidth, rows = StackedRows;
        for (var r = 0; r < rows; r++)
        {
            var source = padded + (long)r * _paddedWidth;
            for (var x = 0; x < wo; x++)
            {
                var h = source[x];
                for (var kx = 1; kx < _kernelW; kx++) h += source[x + kx];
                sums[(long)r * wo + x] = h;
            }
        }
    }

    /// <summary>
    /// Sign bits of Q for each lane's cells into <paramref name="decide"/> (σ not yet applied; lanes past
    /// <paramref name="count"/> get zero masks), returning the smallest |Q| seen.
    /// </summary>
    private float GroupMasks<TLanes, TVector>(int first, int count, float* padded, float* sums, ulong* decide)
        where TLanes : IFloatLanes<TVector>
        where TVector : unmanaged
    {
        int lanes = TLanes.Count, wo = _outWidth, stride = Math.Max(1, _maxMinority), outHeight = _outHeight;
        int paddedW = _paddedWidth, sumTerms = _sumOffsets.Length;
        fixed (int* allOffsets = _offsets)
        fixed (int* allCounts = _counts)
        fixed (float* allStarts = _starts)
        fixed (int* sumOffsets = _sumOffsets)
        {
            var channel = new ChannelSteps(allOffsets + (long)first * stride, allCounts + first, allStarts + first, stride, count);
            var nearest = TLanes.Broadcast(float.PositiveInfinity);
            for (var oy = 0; oy < outHeight; oy++)
            {
                var masks = new RowMasks();
                var top = padded + (long)oy * paddedW;
                var sumRow = sums + (long)oy * wo;
                var ox = 0;
                for (; ox + 2 * lanes <= wo; ox += 2 * lanes)
                    Step<TLanes, TVector>(top + ox, sumRow + ox, sumOffsets, sumTerms, channel, ox, 2, ref masks, ref nearest);
                for (; ox < wo; ox += lanes)
                {
                    var x = Math.Min(ox, wo - lanes);
                    Step<TLanes, TVector>(top + x, sumRow + x, sumOffsets, sumTerms, channel, x, 1, ref masks, ref nearest);
                }
                var row = decide + (long)oy * Group;
                row[0] = masks.M0;
                row[1] = masks.M1;
                row[2] = masks.M2;
                row[3] = masks.M3;
            }
            return TLanes.MinAcross(nearest);
        }
    }

    /// <summary>Where a group's four channels keep their minority taps, tap counts and start values.</summary>
    private readonly struct ChannelSteps(int* offsets, int* counts, float* starts, int stride, int count)
    {
        public int* Offsets { get; } = offsets;
        public int* Counts { get; } = counts;
        public float* Starts { get; } = starts;
        public int Stride { get; } = stride;
        public int Count { get; } = count;
    }

    /// <summary>The four lanes' sign-bit masks of the current conv row.</summary>
    private struct RowMasks
    {
        public ulong M0, M1, M2, M3;
    }

    /// <summary>
    /// One or two neighbouring vectors of a row (from column <paramref name="x"/>): the shared half window sum, then
    /// each lane's Q, its sign bits and the running smallest |Q|. Lanes past the count stay +∞ (no sign bit, never
    /// near a bound); the |Q| of a vector meet in a tree so the running minimum is one short dependency chain.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TLanes, TVector>(float* at, float* sumAt, int* sumOffsets, int sumTerms, ChannelSteps channels,
        int x, int vectors, ref RowMasks masks, ref TVector nearest)
        where TLanes : IFloatLanes<TVector>
        where TVector : unmanaged
    {
        var lanes = TLanes.Count;
        var half = TLanes.Broadcast(0.5f);
        var infinity = TLanes.Broadcast(float.PositiveInfinity);
        TVector sa = TLanes.Load(sumAt), sb = vectors == 2 ? TLanes.Load(sumAt + lanes) : infinity;
        for (var r = 1; r < sumTerms; r++)
        {
            sa = TLanes.Add(sa, TLanes.Load(sumAt + sumOffsets[r]));
            if (vectors == 2) sb = TLanes.Add(sb, TLanes.Load(sumAt + sumOffsets[r] + lanes));
        }
        sa = TLanes.Multiply(sa, half);
        sb = TLanes.Multiply(sb, half);
        TVector a1 = infinity, a2 = infinity, a3 = infinity, b1 = infinity, b2 = infinity, b3 = infinity;
        var (a0, b0) = Minority<TLanes, TVector>(channels, 0, sa, sb, at, vectors);
        if (channels.Count > 1) (a1, b1) = Minority<TLanes, TVector>(channels, 1, sa, sb, at, vectors);
        if (channels.Count > 2) (a2, b2) = Minority<TLanes, TVector>(channels, 2, sa, sb, at, vectors);
        if (channels.Count > 3) (a3, b3) = Minority<TLanes, TVector>(channels, 3, sa, sb, at, vectors);
        masks.M0 |= Bits<TLanes, TVector>(a0, b0, vectors) << x;
        masks.M1 |= Bits<TLanes, TVector>(a1, b1, vectors) << x;
        masks.M2 |= Bits<TLanes, TVector>(a2, b2, vectors) << x;
        masks.M3 |= Bits<TLanes, TVector>(a3, b3, vectors) << x;
        var near = TLanes.Min(TLanes.Min(TLanes.Abs(a0), TLanes.Abs(a1)), TLanes.Min(TLanes.Abs(a2), TLanes.Abs(a3)));
        if (vectors == 2)
            near = TLanes.Min(near,
                TLanes.Min(TLanes.Min(TLanes.Abs(b0), TLanes.Abs(b1)), TLanes.Min(TLanes.Abs(b2), TLanes.Abs(b3))));
        nearest = TLanes.Min(nearest, near);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Bits<TLanes, TVector>(TVector a, TVector b, int vectors)
        where TLanes : IFloatLanes<TVector>
        where TVector : unmanaged =>
        vectors == 2 ? TLanes.SignBits(a) | ((ulong)TLanes.SignBits(b) << TLanes.Count) : TLanes.SignBits(a);

    /// <summary>Q = (g − S/2) plus lane <paramref name="lane"/>'s minority taps in list order, for one or two vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (TVector, TVector) Minority<TLanes, TVector>(ChannelSteps channels, int lane, TVector halfA, TVector halfB,
        float* at, int vectors)
        where TLanes : IFloatLanes<TVector>
        where TVector : unmanaged
    {
        var start = TLanes.Broadcast(channels.Starts[lane]);
        TVector qa = TLanes.Subtract(start, halfA), qb = TLanes.Subtract(start, halfB);
        var offsets = channels.Offsets + (long)lane * channels.Stride;
        var count = channels.Counts[lane];
        for (var k = 0; k < count; k++)
        {
            var tap = at + offsets[k];
            qa = TLanes.Add(qa, TLanes.Load(tap));
            if (vectors == 2) qb = TLanes.Add(qb, TLanes.Load(tap + TLanes.Count));
        }
        return (qa, qb);
    }

    /// <summary>The reference: <see cref="GroupMasks{TLanes, TVector}"/> cell by cell, same operations, same order.</summary>
    private float ScalarGroupMasks(int first, int count, float* padded, float* sums, ulong* decide)
    {
        int wo = _outWidth, stride = Math.Max(1, _maxMinority);
        var nearest = float.PositiveInfinity;
        for (var oy = 0; oy < _outHeight; oy++)
        {
            var masks = decide + (long)oy * Group;
            for (var lane = 0; lane < Group; lane++) masks[lane] = 0;
            var top = padded + (long)oy * _paddedWidth;
            for (var x = 0; x < wo; x++)
            {
                var sumAt = sums + (long)oy * wo + x;
                var s = sumAt[0];
                for (var r = 1; r < _sumOffsets.Length; r++) s += sumAt[_sumOffsets[r]];
                var halfSum = s * 0.5f;
                for (var lane = 0; lane < count; lane++)
                {
                    var c = first + lane;
                    var q = _starts[c] - halfSum;
                    for (var k = 0; k < _counts[c]; k++) q += top[_offsets[c * stride + k] + x];
                    masks[lane] |= (ulong)(BitConverter.SingleToUInt32Bits(q) >> 31) << x;
                    nearest = MathF.Min(nearest, MathF.Abs(q));
                }
            }
        }
        return nearest;
    }
}

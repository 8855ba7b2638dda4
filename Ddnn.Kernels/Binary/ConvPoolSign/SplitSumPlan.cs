using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// A shortcut to the float block's one-sided row masks (<see cref="FloatBinaryConv2d.GroupRowMasks"/>) that gives the
/// same bits with about a third of the additions, or says it cannot vouch for them and leaves the group to the
/// exact-order kernel.
/// </summary>
/// <remarks>
/// <para>With ±1 weights a channel's sum is P − N (taps of weight +1 minus taps of weight −1) = S − 2N = 2P − S, where
/// S, the plain sum of the window, is shared by every channel and is itself built from row sums shared by neighbouring
/// windows (H = Σ over kx, then S = Σ over ci and ky of H). Each channel then only adds its minority taps M (at most
/// half of them): with σ = +1 when M are the −1 taps and −1 when they are the +1 taps, the threshold test
/// "v = b + σ(S − 2M) above t" becomes d = t − v = 2σ·Q with Q = M + (g − S/2), g = (t − b)/(2σ), so a cell is above
/// its bound exactly when sign(Q) differs from σ's (<see cref="WindowPooling"/>'s decisive masks: firing cells of v ≥ t,
/// failing cells of v ≤ t).</para>
/// <para>This regrouping rounds differently from the documented order, so it is only trusted with a margin: with
/// n = Cin·kH·kW taps, A = n·max|x| (a bound on every window's Σ|x|), B = |t| + |b| and u = 2^−24, the exact-order value
/// G = fl(s + b) is within 1.01n·uA + uB of the real v (n − 1 rounded adds from +0, then the bias), and 2Q within
/// 2.55n·uA + (2 + 0.51n)uB of the real t − v (S passes ≤ kW + Cin·kH − 2 ≤ n − 1 roundings: 1.01(n − 1)uA on 2Q;
/// g and g − S/2 one rounding each; the ≤ n/2 minority adds one each on partial sums below B/2 + 1.52A). The sign of Q
/// is the exact order's as soon as |Q| exceeds half the sum of both, 1.78n·uA + (1.5 + 0.26n)uB; the margin used,
/// δ = (4n + 4)·u·(A + B) + 1e−30, is at least 2.2 times that (plus room for halving subnormals), so every |Q| ≥ δ has
/// the sign of t − G with G ≠ t, and its bit equals the exact order's. A group with any |Q| below δ (rare: the real value lies within ~10^−4 of the threshold) is recomputed in
/// the exact order. Non-finite inputs, inputs above 1e30 (no overflow anywhere) and non-finite bounds or biases never
/// take the shortcut.</para>
/// <para>The SIMD paths do, lane by lane, exactly the scalar twin's operations in the same order, so masks and the
/// margin test agree on every path (the tests compare every path's bits and recompute counts).</para>
/// </remarks>
internal sealed unsafe class SplitSumPlan
{
    /// <summary>Largest input magnitude the shortcut accepts; far below float overflow after n·(3 + n) growth.</summary>
    private const float MaxInput = 1e30f;

    /// <summary>u = 2^−24, the unit roundoff of float32.</summary>
    private const double Unit = 1.0 / (1 << 24);

    private const int Group = BlockSizes.ChannelGroup;

    private readonly int[] _offsets;
    private readonly int[] _counts;
    private readonly float[] _starts;
    private readonly ulong[] _sigmaFlips;
    private readonly ulong[] _decisiveFlips;
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
    private readonly bool _shuffledRowSums;
    private readonly bool _shuffledRowSums512;
    private readonly bool _rows512;
    private readonly bool _rows256;
    private readonly bool _rows128;
    private readonly int _poolKernel;
    private readonly int _poolPadding;

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
        _shuffledRowSums = TunedShape.FusedPadAndRowSums(conv, Lanes256.Count);
        _shuffledRowSums512 = TunedShape.FusedPadAndRowSums(conv, Lanes512.Count);
        _rows512 = TunedShape.VectorRows(conv, Lanes512.Count);
        _rows256 = TunedShape.VectorRows(conv, Lanes256.Count);
        _rows128 = TunedShape.VectorRows(conv, Lanes128.Count);
        _poolKernel = layout.Pool.Kernel;
        _poolPadding = layout.Pool.Padding;
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
        _decisiveFlips = new ulong[groups * Group];
        _magnitudes = new double[groups];
        _eligible = new bool[groups];
        for (var group = 0; group < groups; group++)
        {
            _eligible[group] = true;
            for (var lane = 0; lane < Group; lane++)
            {
                var c = group * Group + lane;
                if (c >= conv.OutChannels) break;
                if (!OneSidedRule.OneSided(thresholds[c], out var atLeast, out var bound) || !float.IsFinite(bound) || !float.IsFinite(bias[c])
                    || Math.Abs((double)bound) + Math.Abs((double)bias[c]) > MaxInput)
                {
                    _eligible[group] = false;
                    break;
                }
                Describe(c, signMasks.Slice(c * _taps, _taps), bias[c], bound);
                _decisiveFlips[c] = OneSidedRule.DecisiveFlip(atLeast);
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
        if (!TunedShape.SplitSums(layout.Conv, layout.Pool)) return null;
        var plan = new SplitSumPlan(layout, signMasks, bias, thresholds);
        return Array.IndexOf(plan._eligible, true) >= 0 ? plan : null;
    }

    /// <summary>True when channel group <paramref name="group"/> (channels 4·group …) can take the shortcut.</summary>
    public bool Eligible(int group) => _eligible[group];

    /// <summary>
    /// Per lane of an eligible group, what turns a pooled window of decisive cells into the output bit: 0 for v ≥ t
    /// (fires when any cell fires), all ones for v ≤ t (fires when no cell fails).
    /// </summary>
    public ReadOnlySpan<ulong> DecisiveFlips(int group) => _decisiveFlips.AsSpan(group * Group, Group);

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
    /// Per image, before its groups: checks the input's largest magnitude <paramref name="largest"/> (a bit pattern from
    /// <see cref="FloatBinaryConv2d"/>'s measuring pad: finite, at most 1e30) and writes the row sums H of the zero-padded
    /// image <paramref name="padded"/> into <paramref name="sums"/>. Returns the largest |x|, or −1 when the image
    /// cannot take the shortcut.
    /// </summary>
    private float PrepareImage(uint largest, float* padded, float* sums, KernelPath path)
    {
        var maxAbs = Accepted(largest);
        if (maxAbs < 0) return maxAbs;
        if (path >= KernelPath.Avx512 && Vector512.IsHardwareAccelerated && _rows512)
            RowSums<Lanes512, Vector512<float>>(padded, sums);
        else if (path >= KernelPath.Avx2 && Vector256.IsHardwareAccelerated && _rows256)
            RowSums<Lanes256, Vector256<float>>(padded, sums);
        else if (path != KernelPath.Scalar && Vector128.IsHardwareAccelerated && _rows128)
            RowSums<Lanes128, Vector128<float>>(padded, sums);
        else
            ScalarRowSums(padded, sums);
        return maxAbs;
    }

    /// <summary>
    /// Group <paramref name="group"/>'s conv rows as <see cref="WindowPooling"/>'s decisive masks (firing cells of v ≥ t,
    /// failing cells of v ≤ t), already pooled across each row: bit j of <paramref name="windows"/>[lane·Ho + y] is the OR
    /// over the pool window starting at padded column j (the rows are shifted by the pool padding; NaN masks would be
    /// all zero), lanes past <paramref name="count"/> zero. False when some cell lies within the margin of its bound:
    /// the group must then be recomputed in the exact order.
    /// </summary>
    public bool TryGroupWindows(int group, int count, float* padded, float* sums, float maxAbs, ulong* windows, KernelPath path)
    {
        var bound = Unit * (4.0 * _taps + 4) * (_taps * (double)maxAbs + _magnitudes[group]) + 1e-30;
        var margin = (float)(bound * (1 + 1e-6));
        var first = group * Group;
        float nearest;
        if (path >= KernelPath.Avx512 && Vector512.IsHardwareAccelerated && _rows512)
            nearest = GroupWindows<Lanes512, Vector512<float>>(first, count, padded, sums, windows);
        else if (path >= KernelPath.Avx2 && Vector256.IsHardwareAccelerated && _rows256)
            nearest = GroupWindows<Lanes256, Vector256<float>>(first, count, padded, sums, windows);
        else if (path != KernelPath.Scalar && Vector128.IsHardwareAccelerated && _rows128)
            nearest = GroupWindows<Lanes128, Vector128<float>>(first, count, padded, sums, windows);
        else
            nearest = ScalarGroupWindows(first, count, padded, sums, windows);
        return nearest >= margin;
    }

    /// <summary>
    /// A finished row of one lane: sign bits of Q turned into decisive cells (XOR σ's flip), shifted by the pool
    /// padding (padding cells are 0, neutral for OR) and ORed over the k window columns.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong WindowRow(ulong signBits, ulong sigmaFlip, int padding, int kernel)
    {
        var cells = (signBits ^ sigmaFlip) << padding;
        if (TunedShape.ThreeWideWindow(kernel)) return cells | cells >> 1 | cells >> 2;
        var any = cells;
        for (var dx = 1; dx < kernel; dx++) any |= cells >> dx;
        return any;
    }

    /// <summary>
    /// The largest |x| of an image from its bit pattern (NaN and ∞ patterns lie above every finite one), or −1 when the
    /// image cannot take the shortcut: not finite, or above <see cref="MaxInput"/>.
    /// </summary>
    private static float Accepted(uint largest)
    {
        var maxAbs = BitConverter.UInt32BitsToSingle(largest);
        return largest < 0x7F80_0000u && maxAbs <= MaxInput ? maxAbs : -1f;
    }

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

    /// <summary>
    /// Per image, the whole preparation in one pass where it can be fused (AVX2 or Avx512, 3-wide kernel, padding 1,
    /// rows of whole 8- or 16-float vectors: the device layer): each input row is read once into registers, stored into
    /// the zero-padded image, measured (largest magnitude) and summed across (left and right neighbours from lane
    /// rotations, the padding cells the zeros they are: the same additions in the same order as
    /// <see cref="RowSums{TLanes, TVector}"/>). Otherwise the padding copy (measuring) and <see cref="PrepareImage"/>.
    /// Returns the padded image and the largest |x| (−1 when the image cannot take the shortcut).
    /// </summary>
    public float* PadAndPrepare(float* input, BinaryConvGeometry single, float* scratch, float* sums, KernelPath path, out float maxAbs)
    {
        if (path >= KernelPath.Avx512 && _shuffledRowSums512 && Avx512F.IsSupported)
            return PadAndPrepare512(input, scratch, sums, out maxAbs);
        if (path < KernelPath.Avx2 || !_shuffledRowSums || !Avx2.IsSupported)
        {
            var image = FloatBinaryConv2d.PadImages(input, single, scratch, out var measured);
            maxAbs = PrepareImage(measured, image, sums, path);
            return image;
        }
        int wo = _outWidth, paddedW = _paddedWidth, vectors = wo / 8, height = _paddedHeight - 2;
        var right = Vector256.Create(7, 0, 1, 2, 3, 4, 5, 6);
        var left = Vector256.Create(1, 2, 3, 4, 5, 6, 7, 0);
        var magnitude = Vector256.Create(0x7FFF_FFFFu);
        var most = Vector256<uint>.Zero;
        for (var ci = 0; ci < InChannels; ci++)
        {
            var plane = ZeroedBorders(ci, scratch, sums, out var planeSums);
            var source = input + (long)ci * height * wo;
            for (var y = 0; y < height; y++)
            {
                var cells = source + (long)y * wo;
                var padded = plane + (long)(y + 1) * paddedW;
                var row = planeSums + (long)(y + 1) * wo;
                padded[0] = 0;
                padded[wo + 1] = 0;
                var previous = Vector256<float>.Zero;
                var current = Avx.LoadVector256(cells);
                for (var i = 0; i < vectors; i++)
                {
                    var next = i + 1 < vectors ? Avx.LoadVector256(cells + 8 * (i + 1)) : Vector256<float>.Zero;
                    current.Store(padded + 1 + 8 * i);
                    most = Vector256.Max(most, current.AsUInt32() & magnitude);
                    var toLeft = Avx.Blend(Avx2.PermuteVar8x32(current, right), Avx2.PermuteVar8x32(previous, right), 0b0000_0001);
                    var toRight = Avx.Blend(Avx2.PermuteVar8x32(current, left), Avx2.PermuteVar8x32(next, left), 0b1000_0000);
                    ((toLeft + current) + toRight).Store(row + 8 * i);
                    (previous, current) = (current, next);
                }
            }
        }
        var lanes = Vector128.Max(most.GetLower(), most.GetUpper());
        var largest = Math.Max(Math.Max(lanes.GetElement(0), lanes.GetElement(1)), Math.Max(lanes.GetElement(2), lanes.GetElement(3)));
        maxAbs = Accepted(largest);
        return scratch;
    }

    /// <summary>
    /// Channel <paramref name="ci"/>'s padded plane in the fused passes, and its row sums in <paramref name="planeSums"/>, with their top and bottom rows
    /// zeroed (the zero padding above and below the image; the passes write every row between).
    /// </summary>
    private float* ZeroedBorders(int ci, float* scratch, float* sums, out float* planeSums)
    {
        int wo = _outWidth, paddedW = _paddedWidth;
        var plane = scratch + (long)ci * _channelLength;
        planeSums = sums + (long)ci * _paddedHeight * wo;
        FloatBinaryConv2d.Zero(plane, paddedW);
        FloatBinaryConv2d.Zero(plane + (long)(_paddedHeight - 1) * paddedW, paddedW);
        FloatBinaryConv2d.Zero(planeSums, wo);
        FloatBinaryConv2d.Zero(planeSums + (long)(_paddedHeight - 1) * wo, wo);
        return plane;
    }

    /// <summary>
    /// <see cref="PadAndPrepare"/>'s fused pass on 16-float vectors: the neighbours of a vector come from two-table
    /// permutes with the previous and next vector (zeros past the row's ends), so each cell sums
    /// (left + centre) + right as the 256-bit pass and <see cref="RowSums{TLanes, TVector}"/> do.
    /// </summary>
    private float* PadAndPrepare512(float* input, float* scratch, float* sums, out float maxAbs)
    {
        int wo = _outWidth, paddedW = _paddedWidth, vectors = wo / 16, height = _paddedHeight - 2;
        // Index 16 + i picks lane i of the second table: lane 0 of toLeft is the previous vector's last cell, lane 15
        // of toRight the next vector's first.
        var right = Vector512.Create(31, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14);
        var left = Vector512.Create(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
        var magnitude = Vector512.Create(0x7FFF_FFFFu);
        var most = Vector512<uint>.Zero;
        for (var ci = 0; ci < InChannels; ci++)
        {
            var plane = ZeroedBorders(ci, scratch, sums, out var planeSums);
            var source = input + (long)ci * height * wo;
            for (var y = 0; y < height; y++)
            {
                var cells = source + (long)y * wo;
                var padded = plane + (long)(y + 1) * paddedW;
                var row = planeSums + (long)(y + 1) * wo;
                padded[0] = 0;
                padded[wo + 1] = 0;
                var previous = Vector512<float>.Zero;
                var current = Vector512.Load(cells);
                for (var i = 0; i < vectors; i++)
                {
                    var next = i + 1 < vectors ? Vector512.Load(cells + 16 * (i + 1)) : Vector512<float>.Zero;
                    current.Store(padded + 1 + 16 * i);
                    most = Vector512.Max(most, current.AsUInt32() & magnitude);
                    var toLeft = Avx512F.PermuteVar16x32x2(current, right, previous);
                    var toRight = Avx512F.PermuteVar16x32x2(current, left, next);
                    ((toLeft + current) + toRight).Store(row + 16 * i);
                    (previous, current) = (current, next);
                }
            }
        }
        var half = Vector256.Max(most.GetLower(), most.GetUpper());
        var lanes = Vector128.Max(half.GetLower(), half.GetUpper());
        var largest = Math.Max(Math.Max(lanes.GetElement(0), lanes.GetElement(1)), Math.Max(lanes.GetElement(2), lanes.GetElement(3)));
        maxAbs = Accepted(largest);
        return scratch;
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
    /// Each lane's rows (see <see cref="TryGroupWindows"/>) into <paramref name="windows"/>, returning the smallest
    /// |Q| seen.
    /// </summary>
    private float GroupWindows<TLanes, TVector>(int first, int count, float* padded, float* sums, ulong* windows)
        where TLanes : IFloatLanes<TVector>
        where TVector : unmanaged
    {
        int lanes = TLanes.Count, wo = _outWidth, outHeight = _outHeight, paddedW = _paddedWidth;
        int poolPadding = _poolPadding, poolKernel = _poolKernel;
        var rowMasks = stackalloc ulong[Group * BlockRows];
        fixed (int* allOffsets = _offsets)
        fixed (int* allCounts = _counts)
        fixed (float* allStarts = _starts)
        fixed (ulong* allSigmas = _sigmaFlips)
        fixed (int* sumOffsets = _sumOffsets)
        {
            var stride = Math.Max(1, _maxMinority);
            var data = new StepData(allOffsets + (long)first * stride, allCounts + first, allStarts + first, stride, count,
                sumOffsets, _sumOffsets.Length, paddedW, wo, allSigmas + first, poolPadding, poolKernel, outHeight);
            ulong sigma0 = allSigmas[first], sigma1 = allSigmas[first + 1], sigma2 = allSigmas[first + 2], sigma3 = allSigmas[first + 3];
            var nearest = TLanes.Broadcast(float.PositiveInfinity);
            for (var oy = 0; oy < outHeight;)
            {
                var rows = outHeight - oy >= BlockRows ? BlockRows : 1;
                var top = padded + (long)oy * paddedW;
                var sumRow = sums + (long)oy * wo;
                if (TunedShape.EightWholeRows(wo, lanes) && outHeight - oy >= 2 * BlockRows)
                {
                    nearest = EightWholeRows<TLanes, TVector>(top, sumRow, data, nearest, windows + oy);
                    for (var lane = count; lane < Group; lane++)
                        for (var r = 0; r < 2 * BlockRows; r++) windows[(long)lane * outHeight + oy + r] = 0;
                    oy += 2 * BlockRows;
                    continue;
                }
                // Four rows of two 16-lane vectors are 128 sign bits: those rows take the general steps.
                var twoVectorRows = TLanes.PacksFourRowPairs && TunedShape.WholeRowsPerStep(wo, lanes);
                if (rows == BlockRows && (twoVectorRows || TunedShape.WholeRowPerVector(wo, lanes)))
                {
                    // One step covers the four whole rows: their windows are finished straight from the packed sign bits.
                    nearest = twoVectorRows
                        ? Block<TLanes, TVector>(top, sumRow, data, 0, BlockRows, 2, rowMasks, nearest, windows + oy)
                        : Block<TLanes, TVector>(top, sumRow, data, 0, BlockRows, 1, rowMasks, nearest, windows + oy);
                    for (var lane = count; lane < Group; lane++)
                        for (var r = 0; r < BlockRows; r++) windows[(long)lane * outHeight + oy + r] = 0;
                    oy += rows;
                    continue;
                }
                var ox = 0;
                for (; ox + 2 * lanes <= wo; ox += 2 * lanes)
                    nearest = rows == BlockRows
                        ? Block<TLanes, TVector>(top + ox, sumRow + ox, data, ox, BlockRows, 2, rowMasks, nearest, null)
                        : Block<TLanes, TVector>(top + ox, sumRow + ox, data, ox, 1, 2, rowMasks, nearest, null);
                for (; ox < wo; ox += lanes)
                {
                    var x = Math.Min(ox, wo - lanes);
                    nearest = rows == BlockRows
                        ? Block<TLanes, TVector>(top + x, sumRow + x, data, x, BlockRows, 1, rowMasks, nearest, null)
                        : Block<TLanes, TVector>(top + x, sumRow + x, data, x, 1, 1, rowMasks, nearest, null);
                }
                for (var r = 0; r < rows; r++)
                {
                    var row = windows + oy + r;
                    row[0] = WindowRow(rowMasks[r], sigma0, poolPadding, poolKernel);
                    row[outHeight] = count > 1 ? WindowRow(rowMasks[BlockRows + r], sigma1, poolPadding, poolKernel) : 0;
                    row[2 * outHeight] = count > 2 ? WindowRow(rowMasks[2 * BlockRows + r], sigma2, poolPadding, poolKernel) : 0;
                    row[3 * outHeight] = count > 3 ? WindowRow(rowMasks[3 * BlockRows + r], sigma3, poolPadding, poolKernel) : 0;
                }
                oy += rows;
            }
            return TLanes.MinAcross(nearest);
        }
    }

    /// <summary>Conv rows a SIMD step covers at once: every minority tap's offset is read once for all of them.</summary>
    private const int BlockRows = 4;

    /// <summary>Where a group's lanes keep their minority taps, tap counts and start values, and where S's row sums lie.</summary>
    private readonly struct StepData(int* offsets, int* counts, float* starts, int stride, int count, int* sumOffsets,
        int sumTerms, int paddedWidth, int sumWidth, ulong* sigmas, int poolPadding, int poolKernel, int outHeight)
    {
        public ulong* Sigmas { get; } = sigmas;
        public int PoolPadding { get; } = poolPadding;
        public int PoolKernel { get; } = poolKernel;
        public int OutHeight { get; } = outHeight;
        public int* Offsets { get; } = offsets;
        public int* Counts { get; } = counts;
        public float* Starts { get; } = starts;
        public int Stride { get; } = stride;
        public int Count { get; } = count;
        public int* SumOffsets { get; } = sumOffsets;
        public int SumTerms { get; } = sumTerms;
        public int PaddedWidth { get; } = paddedWidth;
        public int SumWidth { get; } = sumWidth;

        /// <summary>The second and third row-sum offsets when S has three terms (e.g. a 3-row kernel on one channel: the device layer).</summary>
        public int Second { get; } = sumTerms >= 3 ? sumOffsets[1] : 0;
        public int Third { get; } = sumTerms >= 3 ? sumOffsets[2] : 0;
    }

    /// <summary>
    /// <paramref name="rows"/> (1 or <see cref="BlockRows"/>) conv rows × <paramref name="vectors"/> (1 or 2) neighbouring
    /// vectors from column <paramref name="x"/>: the shared half window sums, then lane by lane Q (one offset read per
    /// minority tap for all the vectors), its sign bits ORed into <paramref name="rowMasks"/>[lane·4 + row] and the
    /// smallest |Q| so far (returned). Both counts are constants at every call, so the JIT keeps the up to 8
    /// accumulators in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Block<TLanes, TVector>(float* at, float* sumAt, in StepData data, int x, int rows, int vectors,
        ulong* rowMasks, TVector nearest, ulong* wholeRows)
        where TLanes : IFloatLanes<TVector>
        where TVector : unmanaged
    {
        var lanes = TLanes.Count;
        long pw = data.PaddedWidth, sw = data.SumWidth;
        var zero = TLanes.Zero;
        TVector s00 = HalfSum<TLanes, TVector>(sumAt, data), s01 = vectors == 2 ? HalfSum<TLanes, TVector>(sumAt + lanes, data) : zero;
        TVector s10 = zero, s11 = zero, s20 = zero, s21 = zero, s30 = zero, s31 = zero;
        if (rows > 1)
        {
            s10 = HalfSum<TLanes, TVector>(sumAt + sw, data);
            s20 = HalfSum<TLanes, TVector>(sumAt + 2 * sw, data);
            s30 = HalfSum<TLanes, TVector>(sumAt + 3 * sw, data);
            if (vectors == 2)
            {
                s11 = HalfSum<TLanes, TVector>(sumAt + sw + lanes, data);
                s21 = HalfSum<TLanes, TVector>(sumAt + 2 * sw + lanes, data);
                s31 = HalfSum<TLanes, TVector>(sumAt + 3 * sw + lanes, data);
            }
        }
        for (var lane = 0; lane < data.Count; lane++)
        {
            var start = TLanes.Broadcast(data.Starts[lane]);
            TVector q00 = TLanes.Subtract(start, s00), q01 = TLanes.Subtract(start, s01);
            TVector q10 = TLanes.Subtract(start, s10), q11 = TLanes.Subtract(start, s11);
            TVector q20 = TLanes.Subtract(start, s20), q21 = TLanes.Subtract(start, s21);
            TVector q30 = TLanes.Subtract(start, s30), q31 = TLanes.Subtract(start, s31);
            var offsets = data.Offsets + (long)lane * data.Stride;
            var taps = data.Counts[lane];
            for (var k = 0; k < taps; k++)
            {
                var tap = at + offsets[k];
                q00 = TLanes.Add(q00, TLanes.Load(tap));
                if (vectors == 2) q01 = TLanes.Add(q01, TLanes.Load(tap + lanes));
                if (rows > 1)
                {
                    q10 = TLanes.Add(q10, TLanes.Load(tap + pw));
                    q20 = TLanes.Add(q20, TLanes.Load(tap + 2 * pw));
                    q30 = TLanes.Add(q30, TLanes.Load(tap + 3 * pw));
                    if (vectors == 2)
                    {
                        q11 = TLanes.Add(q11, TLanes.Load(tap + pw + lanes));
                        q21 = TLanes.Add(q21, TLanes.Load(tap + 2 * pw + lanes));
                        q31 = TLanes.Add(q31, TLanes.Load(tap + 3 * pw + lanes));
                    }
                }
            }
            // A row's first step (x = 0) sets its words, later steps OR into them: no clearing store for a word load
            // to wait on.
            var masks = rowMasks + lane * BlockRows;
            if (wholeRows != null)
            {
                // Whole rows of one vector: each row's sign bits come straight from one compare mask.
                var bits = vectors == 2
                    ? TLanes.RowSignBits(q00, q01, q10, q11, q20, q21, q30, q31)
                    : TLanes.SignBits(q00) | (ulong)TLanes.SignBits(q10) << lanes | (ulong)TLanes.SignBits(q20) << (2 * lanes)
                        | (ulong)TLanes.SignBits(q30) << (3 * lanes);
                FinishFourRows(bits, vectors * lanes, data.Sigmas[lane], data.PoolPadding, data.PoolKernel,
                    wholeRows + (long)lane * data.OutHeight, lanes >= Lanes256.Count);
            }
            else if (rows > 1 && vectors == 2 && TLanes.PacksFourRowPairs)
            {
                var bits = TLanes.RowSignBits(q00, q01, q10, q11, q20, q21, q30, q31);
                int width = 2 * lanes;
                var row = (1UL << width) - 1;
                SetOrAdd(masks, (bits & row) << x, x);
                SetOrAdd(masks + 1, ((bits >> width) & row) << x, x);
                SetOrAdd(masks + 2, ((bits >> (2 * width)) & row) << x, x);
                SetOrAdd(masks + 3, ((bits >> (3 * width)) & row) << x, x);
            }
            else
            {
                SetOrAdd(masks, Bits<TLanes, TVector>(q00, q01, vectors) << x, x);
                if (rows > 1)
                {
                    SetOrAdd(masks + 1, Bits<TLanes, TVector>(q10, q11, vectors) << x, x);
                    SetOrAdd(masks + 2, Bits<TLanes, TVector>(q20, q21, vectors) << x, x);
                    SetOrAdd(masks + 3, Bits<TLanes, TVector>(q30, q31, vectors) << x, x);
                }
            }
            var near = Near<TLanes, TVector>(q00, q01, vectors);
            if (rows > 1)
            {
                near = TLanes.Min(TLanes.Min(near, Near<TLanes, TVector>(q10, q11, vectors)),
                    TLanes.Min(Near<TLanes, TVector>(q20, q21, vectors), Near<TLanes, TVector>(q30, q31, vectors)));
            }
            nearest = TLanes.Min(nearest, near);
        }
        return nearest;
    }

    /// <summary>
    /// Eight whole conv rows of one vector each (<see cref="TunedShape.EightWholeRows"/>): <see cref="Block{TLanes, TVector}"/>'s
    /// operations in its order for rows 0–7 of the step (one offset read per minority tap for all eight), each row's
    /// sign bits one compare mask, the windows finished four rows at a time into <paramref name="windows"/>
    /// (lane-major, as <see cref="TryGroupWindows"/> lays them out). Returns the smallest |Q| so far.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector EightWholeRows<TLanes, TVector>(float* at, float* sumAt, in StepData data, TVector nearest, ulong* windows)
        where TLanes : IFloatLanes<TVector>
        where TVector : unmanaged
    {
        var lanes = TLanes.Count;
        long pw = data.PaddedWidth, sw = data.SumWidth;
        TVector s0 = HalfSum<TLanes, TVector>(sumAt, data), s1 = HalfSum<TLanes, TVector>(sumAt + sw, data);
        TVector s2 = HalfSum<TLanes, TVector>(sumAt + 2 * sw, data), s3 = HalfSum<TLanes, TVector>(sumAt + 3 * sw, data);
        TVector s4 = HalfSum<TLanes, TVector>(sumAt + 4 * sw, data), s5 = HalfSum<TLanes, TVector>(sumAt + 5 * sw, data);
        TVector s6 = HalfSum<TLanes, TVector>(sumAt + 6 * sw, data), s7 = HalfSum<TLanes, TVector>(sumAt + 7 * sw, data);
        for (var lane = 0; lane < data.Count; lane++)
        {
            var start = TLanes.Broadcast(data.Starts[lane]);
            TVector q0 = TLanes.Subtract(start, s0), q1 = TLanes.Subtract(start, s1);
            TVector q2 = TLanes.Subtract(start, s2), q3 = TLanes.Subtract(start, s3);
            TVector q4 = TLanes.Subtract(start, s4), q5 = TLanes.Subtract(start, s5);
            TVector q6 = TLanes.Subtract(start, s6), q7 = TLanes.Subtract(start, s7);
            var offsets = data.Offsets + (long)lane * data.Stride;
            var taps = data.Counts[lane];
            for (var k = 0; k < taps; k++)
            {
                var tap = at + offsets[k];
                q0 = TLanes.Add(q0, TLanes.Load(tap));
                q1 = TLanes.Add(q1, TLanes.Load(tap + pw));
                q2 = TLanes.Add(q2, TLanes.Load(tap + 2 * pw));
                q3 = TLanes.Add(q3, TLanes.Load(tap + 3 * pw));
                q4 = TLanes.Add(q4, TLanes.Load(tap + 4 * pw));
                q5 = TLanes.Add(q5, TLanes.Load(tap + 5 * pw));
                q6 = TLanes.Add(q6, TLanes.Load(tap + 6 * pw));
                q7 = TLanes.Add(q7, TLanes.Load(tap + 7 * pw));
            }
            var low = TLanes.SignBits(q0) | (ulong)TLanes.SignBits(q1) << lanes | (ulong)TLanes.SignBits(q2) << (2 * lanes)
                | (ulong)TLanes.SignBits(q3) << (3 * lanes);
            var high = TLanes.SignBits(q4) | (ulong)TLanes.SignBits(q5) << lanes | (ulong)TLanes.SignBits(q6) << (2 * lanes)
                | (ulong)TLanes.SignBits(q7) << (3 * lanes);
            var destination = windows + (long)lane * data.OutHeight;
            FinishFourRows(low, lanes, data.Sigmas[lane], data.PoolPadding, data.PoolKernel, destination, wide: true);
            FinishFourRows(high, lanes, data.Sigmas[lane], data.PoolPadding, data.PoolKernel, destination + BlockRows, wide: true);
            var near = TLanes.Min(TLanes.Min(TLanes.Min(TLanes.Abs(q0), TLanes.Abs(q1)), TLanes.Min(TLanes.Abs(q2), TLanes.Abs(q3))),
                TLanes.Min(TLanes.Min(TLanes.Abs(q4), TLanes.Abs(q5)), TLanes.Min(TLanes.Abs(q6), TLanes.Abs(q7))));
            nearest = TLanes.Min(nearest, near);
        }
        return nearest;
    }

    /// <summary>S/2 of one vector of cells: its row sums added in <see cref="_sumOffsets"/> order, then halved (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector HalfSum<TLanes, TVector>(float* sumAt, in StepData data)
        where TLanes : IFloatLanes<TVector>
        where TVector : unmanaged
    {
        var s = TLanes.Load(sumAt);
        if (TunedShape.ThreeRowSums(data.SumTerms))
            s = TLanes.Add(TLanes.Add(s, TLanes.Load(sumAt + data.Second)), TLanes.Load(sumAt + data.Third));
        else
            for (var r = 1; r < data.SumTerms; r++) s = TLanes.Add(s, TLanes.Load(sumAt + data.SumOffsets[r]));
        return TLanes.Multiply(s, TLanes.Broadcast(0.5f));
    }

    /// <summary>
    /// Four whole rows' windows (<see cref="WindowRow"/> of each <paramref name="width"/>-bit field of
    /// <paramref name="bits"/>, row r from bit r·width) into four consecutive words: the four rows at once in one 256-bit
    /// vector on the AVX2 path (<paramref name="wide"/>), row by row otherwise (the same integer operations).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FinishFourRows(ulong bits, int width, ulong sigmaFlip, int padding, int kernel, ulong* destination, bool wide)
    {
        var row = (1UL << width) - 1;
        if (wide && Avx2.IsSupported)
        {
            var fields = Avx2.ShiftRightLogicalVariable(Vector256.Create(bits),
                Vector256.Create(0UL, (ulong)width, 2UL * (ulong)width, 3UL * (ulong)width)) & Vector256.Create(row);
            var cells = Vector256.ShiftLeft(fields ^ Vector256.Create(sigmaFlip), padding);
            var any = cells;
            for (var dx = 1; dx < kernel; dx++) any |= Vector256.ShiftRightLogical(cells, dx);
            any.Store(destination);
            return;
        }
        for (var r = 0; r < BlockRows; r++) destination[r] = WindowRow((bits >> (r * width)) & row, sigmaFlip, padding, kernel);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SetOrAdd(ulong* word, ulong bits, int x)
    {
        if (x == 0) *word = bits;
        else *word |= bits;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Bits<TLanes, TVector>(TVector a, TVector b, int vectors)
        where TLanes : IFloatLanes<TVector>
        where TVector : unmanaged =>
        vectors == 2 ? TLanes.SignBits(a) | ((ulong)TLanes.SignBits(b) << TLanes.Count) : TLanes.SignBits(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Near<TLanes, TVector>(TVector a, TVector b, int vectors)
        where TLanes : IFloatLanes<TVector>
        where TVector : unmanaged =>
        vectors == 2 ? TLanes.Min(TLanes.Abs(a), TLanes.Abs(b)) : TLanes.Abs(a);

    /// <summary>The reference: <see cref="GroupWindows{TLanes, TVector}"/> cell by cell, same operations, same order.</summary>
    private float ScalarGroupWindows(int first, int count, float* padded, float* sums, ulong* windows)
    {
        int wo = _outWidth, stride = Math.Max(1, _maxMinority);
        var nearest = float.PositiveInfinity;
        var masks = stackalloc ulong[Group];
        for (var oy = 0; oy < _outHeight; oy++)
        {
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
            for (var lane = 0; lane < Group; lane++)
                windows[(long)lane * _outHeight + oy] = WindowRow(masks[lane], _sigmaFlips[first + lane], _poolPadding, _poolKernel);
        }
        return nearest;
    }
}

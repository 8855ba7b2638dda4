using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// Fused eBNN blocks: conv (±1 weights, zero padding) → max-pool (−∞ padding) → folded batch norm + sign → NHWC-packed
/// output bits <c>(N, Hp, Wp, WordsFor(Cout))</c>, where Hp/Wp are the pooled sizes of the conv output.
/// </summary>
/// <remarks>
/// Pooling runs on the pre-activations (int accumulators, or float conv outputs with bias) and the folded threshold
/// is applied to each window maximum. Because the BN + sign test is monotone, this equals max-pool → BN → sign of the
/// float pipeline bit for bit; for gamma &gt; 0 it is the OR over the window of (acc ≥ τ), for gamma &lt; 0 the AND of
/// (acc ≤ τ) over the window's real cells.
/// </remarks>
public static unsafe class EbnnBlock
{
    /// <summary>Length of the packed block output for <paramref name="conv"/> followed by <paramref name="pool"/>.</summary>
    public static int OutputLength(BinaryConvGeometry conv, PoolGeometry pool)
    {
        BinaryConv2d.CheckGeometry(conv);
        CheckPool(pool);
        return BinaryArgs.Product("block output", conv.Batch, pool.OutputSize(conv.OutHeight), pool.OutputSize(conv.OutWidth),
            BitPacking.WordsFor(conv.OutChannels));
    }

    /// <summary>
    /// <c>BinaryConvPoolBNSign</c>: packed ±1 input <c>(N, H, W, words)</c> and packed weights
    /// <c>(Cout, kH, kW, words)</c> → packed signs <c>(N, Hp, Wp, WordsFor(Cout))</c>.
    /// Thresholds come from <see cref="SignThreshold.FoldAll"/> (conv bias included there).
    /// </summary>
    public static void BinaryConvPoolSign(ReadOnlySpan<ulong> input, ReadOnlySpan<ulong> weights, BinaryConvGeometry conv,
        PoolGeometry pool, ReadOnlySpan<SignThreshold> thresholds, Span<ulong> output)
    {
        BinaryConv2d.CheckPacked(input, weights, conv);
        CheckOutput(conv, pool, thresholds.Length, output);

        var accumulators = ArrayPool<int>.Shared.Rent(conv.OutputLength);
        try
        {
            var acc = accumulators.AsSpan(0, conv.OutputLength);
            BinaryConv2d.Forward(input, weights, conv, acc);
            PoolSign<int, SignThreshold>(acc, conv, pool, thresholds, output);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(accumulators);
        }
    }

    /// <summary>
    /// <c>ConvPoolBNSign</c> (first device layer): float NCHW input, packed ±1 weights and float bias → packed signs
    /// <c>(N, Hp, Wp, WordsFor(Cout))</c>. The conv sums as documented on <see cref="FirstLayerConv2d"/>;
    /// thresholds come from <see cref="FloatSignThreshold.FoldAll"/> and act on conv output + bias.
    /// </summary>
    public static void FloatConvPoolSign(ReadOnlySpan<float> input, ReadOnlySpan<ulong> weights, ReadOnlySpan<float> bias,
        BinaryConvGeometry conv, PoolGeometry pool, ReadOnlySpan<FloatSignThreshold> thresholds, Span<ulong> output)
    {
        FirstLayerConv2d.CheckInputs(input, weights, bias, conv);
        CheckOutput(conv, pool, thresholds.Length, output);

        var buffer = ArrayPool<float>.Shared.Rent(conv.OutputLength);
        try
        {
            var pre = buffer.AsSpan(0, conv.OutputLength);
            FirstLayerConv2d.Forward(input, weights, bias, conv, pre);
            PoolSign<float, FloatSignThreshold>(pre, conv, pool, thresholds, output);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    private static void CheckPool(PoolGeometry pool)
    {
        if (pool.Kernel == 0)
            throw new ArgumentException("pool is uninitialised (default); build it with its constructor.", nameof(pool));
    }

    private static void CheckOutput(BinaryConvGeometry conv, PoolGeometry pool, int thresholdCount, Span<ulong> output)
    {
        if (thresholdCount != conv.OutChannels)
            throw new ArgumentException(
                $"thresholds has {thresholdCount} entries but the conv has {conv.OutChannels} output channels.", "thresholds");
        var length = OutputLength(conv, pool);
        BinaryArgs.Length(output, length, nameof(output),
            "(N={0}, Hp={1}, Wp={2}, words={3})", conv.Batch, pool.OutputSize(conv.OutHeight), pool.OutputSize(conv.OutWidth), BitPacking.WordsFor(conv.OutChannels));
    }

    /// <summary>
    /// Max over each window of the pre-activations <c>(N, Cout, Ho, Wo)</c>, then the channel's test, reduced to
    /// lower ≤ max ≤ upper. Column maxima of the window rows are taken a whole row at a time (vectorised on the SIMD
    /// paths), then each window's maximum across its columns. <c>T.Max</c> propagates NaN (−1), like a float max-pool.
    /// </summary>
    private static void PoolSign<T, TTest>(ReadOnlySpan<T> pre, BinaryConvGeometry conv, PoolGeometry pool,
        ReadOnlySpan<TTest> tests, Span<ulong> output)
        where T : unmanaged, INumber<T>
        where TTest : ISignTest<T>
    {
        int ho = conv.OutHeight, wo = conv.OutWidth, k = pool.Kernel, s = pool.Stride, p = pool.Padding;
        int hp = pool.OutputSize(ho), wp = pool.OutputSize(wo), words = BitPacking.WordsFor(conv.OutChannels);
        var vectorised = KernelDispatch.Active != KernelPath.Scalar && Vector128.IsHardwareAccelerated;
        output.Clear();
        var buffer = ArrayPool<T>.Shared.Rent(wo);
        try
        {
            var columnMax = buffer.AsSpan(0, wo);
            for (var n = 0; n < conv.Batch; n++)
            for (var co = 0; co < conv.OutChannels; co++)
            {
                var plane = pre.Slice((n * conv.OutChannels + co) * ho * wo, ho * wo);
                T lower = tests[co].Lower, upper = tests[co].Upper;
                var word = co >> 6;
                var shift = co & 63;
                var outImage = output.Slice(n * hp * wp * words, hp * wp * words);
                for (var py = 0; py < hp; py++)
                {
                    var y0 = Math.Max(0, py * s - p);
                    var y1 = Math.Min(ho, py * s - p + k);
                    plane.Slice(y0 * wo, wo).CopyTo(columnMax);
                    for (var y = y0 + 1; y < y1; y++)
                        MaxInto(columnMax, plane.Slice(y * wo, wo), vectorised);
                    for (var px = 0; px < wp; px++)
                    {
                        var x0 = Math.Max(0, px * s - p);
                        var x1 = Math.Min(wo, px * s - p + k);
                        var max = columnMax[x0];
                        for (var x = x0 + 1; x < x1; x++)
                            max = T.Max(max, columnMax[x]);
                        var fires = (max >= lower) & (max <= upper);
                        outImage[(py * wp + px) * words + word] |= (ulong)Unsafe.BitCast<bool, byte>(fires) << shift;
                    }
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(buffer);
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
}


namespace Ddnn.Kernels.Binary;

/// <summary>
/// The zero-padding correction of <see cref="BinaryConv2d"/>: an output whose window hangs over the border compared zero
/// words against its padded taps, so it gets −paddedTaps·C + 2·Σ_padded popcount(w_tap) per output channel.
/// </summary>
/// <remarks>
/// The corrections depend only on the geometry and the weights' tap popcounts, so each thread keeps the
/// <see cref="Plan"/>s of the last few layers it ran, found again by that content (not by address, which a freed and
/// reused buffer could share with other weights): a served partition runs the same layers on every sample, and
/// working the border windows out per image cost as much as a small layer's convolution.
/// </remarks>
internal static unsafe class PaddingCorrection
{
    /// <summary>Plans each thread keeps: more than the convolution layers of any partition a thread serves.</summary>
    private const int CachedPlans = 8;

    [ThreadStatic] private static Plan?[]? _plans;
    [ThreadStatic] private static int _nextEvicted;

    /// <summary>Adds the correction to every border output of one image's accumulators <c>(Cout, Ho, Wo)</c>.</summary>
    public static void Apply(BinaryConvGeometry g, int* tapPopCounts, int* output) => For(g, tapPopCounts)?.Apply(output, 0, g.OutHeight);

    /// <summary>
    /// The corrections of <paramref name="g"/> with these tap popcounts <c>(Cout, taps)</c>, from the calling thread's
    /// cache or worked out now; null without padding (nothing to correct).
    /// </summary>
    public static Plan? For(BinaryConvGeometry g, int* tapPopCounts)
    {
        if (g.Padding == 0) return null;
        var counts = new ReadOnlySpan<int>(tapPopCounts, g.OutChannels * g.Taps);
        var plans = _plans ??= new Plan?[CachedPlans];
        foreach (var cached in plans)
            if (cached is not null && cached.Matches(g, counts)) return cached;
        var plan = new Plan(g, counts);
        plans[_nextEvicted] = plan;
        _nextEvicted = (_nextEvicted + 1) % CachedPlans;
        return plan;
    }

    /// <summary>
    /// One layer's corrections: a row of <c>Cout</c> per distinct border window, and every border output with its row,
    /// listed output row by output row. Immutable once made, so threads may share one.
    /// </summary>
    internal sealed class Plan
    {
        private readonly BinaryConvGeometry _geometry;
        private readonly int[] _tapPopCounts;
        private readonly int[] _table;
        /// <summary>(pixel, offset of its row in <see cref="_table"/>) pairs, in pixel order.</summary>
        private readonly int[] _border;
        /// <summary>Index of output row oy's first pair in <see cref="_border"/>; one past the end at OutHeight.</summary>
        private readonly int[] _rowStart;

        public Plan(BinaryConvGeometry g, ReadOnlySpan<int> tapPopCounts)
        {
            _geometry = g;
            _tapPopCounts = tapPopCounts.ToArray();
            var cout = g.OutChannels;
            var windows = new Dictionary<(int Ky0, int Ky1, int Kx0, int Kx1), int>();
            var table = new List<int>();
            var border = new List<int>();
            _rowStart = new int[g.OutHeight + 1];
            for (var oy = 0; oy < g.OutHeight; oy++)
            {
                _rowStart[oy] = border.Count / 2;
                var (ky0, ky1) = Window(oy, g.KernelH, g.Height, g);
                for (var ox = 0; ox < g.OutWidth; ox++)
                {
                    var (kx0, kx1) = Window(ox, g.KernelW, g.Width, g);
                    if (ky0 == 0 && ky1 == g.KernelH && kx0 == 0 && kx1 == g.KernelW) continue;
                    if (!windows.TryGetValue((ky0, ky1, kx0, kx1), out var offset))
                    {
                        offset = table.Count;
                        windows.Add((ky0, ky1, kx0, kx1), offset);
                        for (var co = 0; co < cout; co++) table.Add(Correction(g, tapPopCounts.Slice(co * g.Taps, g.Taps), ky0, ky1, kx0, kx1));
                    }
                    border.Add(oy * g.OutWidth + ox);
                    border.Add(offset);
                }
            }
            _rowStart[g.OutHeight] = border.Count / 2;
            _table = [.. table];
            _border = [.. border];
        }

        /// <summary>True when this plan is the one of <paramref name="g"/> (any batch) with these tap popcounts.</summary>
        public bool Matches(BinaryConvGeometry g, ReadOnlySpan<int> tapPopCounts) =>
            g.InChannels == _geometry.InChannels && g.Height == _geometry.Height && g.Width == _geometry.Width
            && g.OutChannels == _geometry.OutChannels && g.KernelH == _geometry.KernelH && g.KernelW == _geometry.KernelW
            && g.Stride == _geometry.Stride && g.Padding == _geometry.Padding && tapPopCounts.SequenceEqual(_tapPopCounts);

        /// <summary>
        /// Adds the correction to the border outputs of rows [<paramref name="oy0"/>, <paramref name="oy1"/>) of one
        /// image's accumulators <c>(Cout, Ho, Wo)</c>. Disjoint rows touch disjoint outputs, so <see cref="DirectConv"/>
        /// lets each thread correct a row right after computing it.
        /// </summary>
        /// <remarks>
        /// Channel by channel: walking all channels of one pixel would stride by a whole plane per write (4 KB for
        /// 32×32, all in one L1 set) and cost more than the convolution itself.
        /// </remarks>
        public void Apply(int* output, int oy0, int oy1)
        {
            int first = _rowStart[oy0], end = _rowStart[oy1];
            if (first == end) return;
            var pixels = _geometry.OutHeight * _geometry.OutWidth;
            fixed (int* border = _border)
            fixed (int* table = _table)
                for (var co = 0; co < _geometry.OutChannels; co++)
                {
                    var plane = output + (long)co * pixels;
                    for (var e = first; e < end; e++) plane[border[2 * e]] += table[border[2 * e + 1] + co];
                }
        }
    }

    /// <summary>Valid kernel rows (or columns) [k0, k1) of output position <paramref name="o"/> along one axis.</summary>
    private static (int K0, int K1) Window(int o, int kernel, int size, BinaryConvGeometry g)
    {
        var i0 = o * g.Stride - g.Padding;
        return (Math.Max(0, -i0), Math.Min(kernel, size - i0));
    }

    /// <summary>One output channel's correction for the window of valid taps [ky0, ky1) × [kx0, kx1), from its tap popcounts.</summary>
    private static int Correction(BinaryConvGeometry g, ReadOnlySpan<int> counts, int ky0, int ky1, int kx0, int kx1)
    {
        var padded = 0;
        for (var ky = 0; ky < g.KernelH; ky++)
            for (var kx = 0; kx < g.KernelW; kx++)
                if (ky < ky0 || ky >= ky1 || kx < kx0 || kx >= kx1)
                    padded += counts[ky * g.KernelW + kx];
        return -(g.Taps - (ky1 - ky0) * (kx1 - kx0)) * g.InChannels + 2 * padded;
    }
}

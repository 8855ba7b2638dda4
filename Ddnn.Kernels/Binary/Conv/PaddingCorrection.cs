
namespace Ddnn.Kernels.Binary;

/// <summary>
/// The zero-padding correction of <see cref="BinaryConv2d"/>: an output whose window hangs over the border compared zero
/// words against its padded taps, so it gets −paddedTaps·C + 2·Σ_padded popcount(w_tap) per output channel.
/// </summary>
/// <remarks>
/// Outputs sharing the same valid tap window (all of a border row, say) share one correction per channel, so the
/// corrections of the few distinct windows are computed once per image and cached.
/// </remarks>
internal static unsafe class PaddingCorrection
{
    /// <summary>Distinct border windows cached at once (a 2-D padded conv has at most 8 with padding below the stride).</summary>
    private const int CachedWindows = 16;

    [ThreadStatic] private static int[]? _correctionSlot;
    [ThreadStatic] private static int[]? _borderSlot;

    /// <summary>Adds the correction to every border output of one image's accumulators <c>(Cout, Ho, Wo)</c>.</summary>
    /// <remarks>
    /// Border outputs are listed first and then corrected channel by channel: walking all channels of one pixel would
    /// stride by a whole plane per write (4 KB for 32×32, all in one L1 set) and cost more than the convolution itself.
    /// </remarks>
    public static void Apply(BinaryConvGeometry g, int* tapPopCounts, int* output)
    {
        var windows = new Windows();
        Apply(g, tapPopCounts, output, 0, g.OutHeight, ref windows);
    }

    /// <summary>
    /// The border windows whose corrections the calling thread's table holds, so that row-by-row calls on one image
    /// compute each window once. Start a new one (empty) per image and thread, and use it on that thread only: the
    /// table it describes is the thread's.
    /// </summary>
    public struct Windows
    {
        public fixed long Keys[2 * CachedWindows];
        public int Count;
    }

    /// <summary>
    /// Adds the correction to the border outputs of rows [<paramref name="oy0"/>, <paramref name="oy1"/>) only, reusing
    /// and extending the corrections <paramref name="windows"/> lists. Disjoint rows touch disjoint outputs, so
    /// <see cref="DirectConv"/> lets each thread correct a row right after computing it.
    /// </summary>
    public static void Apply(BinaryConvGeometry g, int* tapPopCounts, int* output, int oy0, int oy1, ref Windows windows)
    {
        if (g.Padding == 0) return;
        var cout = g.OutChannels;
        var pixels = g.OutHeight * g.OutWidth;
        var table = Scratch.Get(ref _correctionSlot, CachedWindows * cout);
        var list = Scratch.Get(ref _borderSlot, 2 * pixels);
        fixed (long* keys = windows.Keys)
            Apply(g, tapPopCounts, output, oy0, oy1, table, list, keys, ref windows.Count);
    }

    private static void Apply(BinaryConvGeometry g, int* tapPopCounts, int* output, int oy0, int oy1, int* table, int* list,
        long* keys, ref int cached)
    {
        var cout = g.OutChannels;
        var pixels = g.OutHeight * g.OutWidth;
        var count = 0;
        for (var oy = oy0; oy < oy1; oy++)
        {
            var (ky0, ky1) = Window(oy, g.KernelH, g.Height, g);
            var rowInside = ky0 == 0 && ky1 == g.KernelH;
            for (var ox = 0; ox < g.OutWidth; ox++)
            {
                var (kx0, kx1) = Window(ox, g.KernelW, g.Width, g);
                if (rowInside && kx0 == 0 && kx1 == g.KernelW) continue;
                long rows = ((long)ky0 << 32) | (uint)ky1, columns = ((long)kx0 << 32) | (uint)kx1;
                var slot = 0;
                while (slot < cached && (keys[2 * slot] != rows || keys[2 * slot + 1] != columns)) slot++;
                if (slot == cached)
                {
                    if (cached == CachedWindows)
                    {
                        Correct(list, count, table, cout, pixels, output);
                        count = 0;
                        cached = slot = 0;
                    }
                    cached++;
                    keys[2 * slot] = rows;
                    keys[2 * slot + 1] = columns;
                    Compute(g, tapPopCounts, ky0, ky1, kx0, kx1, table + slot * cout);
                }
                list[2 * count] = oy * g.OutWidth + ox;
                list[2 * count + 1] = slot * cout;
                count++;
            }
        }
        Correct(list, count, table, cout, pixels, output);
    }

    /// <summary>Applies the listed (pixel, correction row) pairs, one output channel plane at a time.</summary>
    private static void Correct(int* list, int count, int* table, int cout, int pixels, int* output)
    {
        for (var co = 0; co < cout; co++)
        {
            var plane = output + (long)co * pixels;
            for (var e = 0; e < count; e++) plane[list[2 * e]] += table[list[2 * e + 1] + co];
        }
    }

    /// <summary>Valid kernel rows (or columns) [k0, k1) of output position <paramref name="o"/> along one axis.</summary>
    private static (int K0, int K1) Window(int o, int kernel, int size, BinaryConvGeometry g)
    {
        var i0 = o * g.Stride - g.Padding;
        return (Math.Max(0, -i0), Math.Min(kernel, size - i0));
    }

    private static void Compute(BinaryConvGeometry g, int* tapPopCounts, int ky0, int ky1, int kx0, int kx1, int* correction)
    {
        int kh = g.KernelH, kw = g.KernelW, taps = g.Taps;
        var bias = -(taps - (ky1 - ky0) * (kx1 - kx0)) * g.InChannels;
        for (var co = 0; co < g.OutChannels; co++)
        {
            var counts = tapPopCounts + (long)co * taps;
            var padded = 0;
            for (var ky = 0; ky < kh; ky++)
            for (var kx = 0; kx < kw; kx++)
                if (ky < ky0 || ky >= ky1 || kx < kx0 || kx >= kx1)
                    padded += counts[ky * kw + kx];
            correction[co] = bias + 2 * padded;
        }
    }
}

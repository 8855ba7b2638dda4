using System.Runtime.Intrinsics;

namespace Ddnn.Kernels;

/// <summary>
/// 2-d cross-correlation with zero padding over NCHW input, weight (Cout, Cin, kH, kW), lowered to im2col + GEMM on
/// the active kernel path. Several images are lowered side by side into one patch matrix, so each GEMM is wide even
/// for small planes. Stride-1 input gradients run as the forward convolution of dy with the flipped, transposed
/// weight. Workspaces are per-thread and reused; large problems split over contiguous image ranges.
/// </summary>
public static unsafe class Conv2d
{
    /// <summary>Floats of patch matrix per chunk of images: big enough for wide GEMMs, small enough to stay in L2.</summary>
    internal const int ChunkColumnBudget = 1 << 16;

    /// <summary>Below this many multiply-adds per pass a second thread costs more than it saves.</summary>
    internal const long ParallelThreshold = 1L << 22;

    [ThreadStatic] private static float[]? _colSlot;
    [ThreadStatic] private static float[]? _productSlot;
    [ThreadStatic] private static float[]? _packedWeightSlot;
    [ThreadStatic] private static float[]? _flippedWeightSlot;
    [ThreadStatic] private static float[]? _partialSlot;

    /// <summary>y = conv(x, weight) + bias[o] (bias empty = none). y is overwritten.</summary>
    public static void Forward(in Conv2dShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> y)
    {
        s.EnsureValid(nameof(s));
        Check.Length(x.Length, s.InputLength, nameof(x));
        Check.Length(weight.Length, s.WeightLength, nameof(weight));
        Check.OptionalLength(bias.Length, s.OutChannels, nameof(bias));
        Check.Length(y.Length, s.OutputLength, nameof(y));

        fixed (float* px = x, pw = weight, pb = bias, py = y)
            ForwardBatch(s, KernelDispatch.Active, px, pw, bias.IsEmpty ? null : pb, py);
    }

    /// <summary>dx = the adjoint of <see cref="Forward"/> with respect to x, applied to dy. dx is overwritten.</summary>
    public static void BackwardInput(in Conv2dShape s, ReadOnlySpan<float> dy, ReadOnlySpan<float> weight, Span<float> dx)
    {
        s.EnsureValid(nameof(s));
        Check.Length(dy.Length, s.OutputLength, nameof(dy));
        Check.Length(weight.Length, s.WeightLength, nameof(weight));
        Check.Length(dx.Length, s.InputLength, nameof(dx));

        var path = KernelDispatch.Active;
        fixed (float* pdy = dy, pw = weight, pdx = dx)
        {
            if (TransposedShape(s) is { } transposed)
            {
                var flipped = Scratch.Get(ref _flippedWeightSlot, s.WeightLength);
                FlipTranspose(s, pw, flipped);
                ForwardBatch(transposed, path, pdy, flipped, null, pdx);
            }
            else
            {
                BackwardInputByScatter(s, path, pdy, pw, pdx);
            }
        }
    }

    /// <summary>
    /// dweight = Σ_n dy_n · im2col(x_n)ᵀ and dbias[o] = Σ dy[:, o] (dbias empty = skip); both overwritten unless
    /// <paramref name="accumulate"/>, in which case they are added to. On several threads each thread sums a fixed
    /// image range into its own partial, and the partials are added in part order, so a given thread count always
    /// gives the same bits.
    /// </summary>
    public static void BackwardWeight(in Conv2dShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        Span<float> dweight, Span<float> dbias, bool accumulate = false)
    {
        s.EnsureValid(nameof(s));
        Check.Length(x.Length, s.InputLength, nameof(x));
        Check.Length(dy.Length, s.OutputLength, nameof(dy));
        Check.Length(dweight.Length, s.WeightLength, nameof(dweight));
        Check.OptionalLength(dbias.Length, s.OutChannels, nameof(dbias));

        var path = KernelDispatch.Active;
        int pixels = s.OutHeight * s.OutWidth, cout = s.OutChannels;
        long outImage = (long)cout * pixels;
        fixed (float* px = x, pdy = dy, pdw = dweight, pdb = dbias)
        {
            var parts = ImageParts(s);
            if (parts <= 1)
            {
                WeightGradientImages(s, path, px, pdy, pdw, accumulate, 0, s.Batch);
            }
            else
            {
                var length = s.WeightLength;
                var partials = Scratch.Get(ref _partialSlot, parts * length);
                WeightGradientInParts(s, path, px, pdy, partials, parts);
                for (long i = 0; i < length; i++)
                {
                    var total = accumulate ? pdw[i] : 0f;
                    for (var part = 0; part < parts; part++) total += partials[part * length + i];
                    pdw[i] = total;
                }
            }

            if (dbias.IsEmpty) return;
            for (var o = 0; o < cout; o++)
            {
                double total = 0;
                for (var n = 0; n < s.Batch; n++) total += Reduce.SumDouble(path, pdy + n * outImage + (long)o * pixels, pixels);
                pdb[o] = accumulate ? pdb[o] + (float)total : (float)total;
            }
        }
    }

    // The closures of the parallel branches live in their own methods, so one thread allocates nothing.
    private static void WeightGradientInParts(Conv2dShape shape, KernelPath path, float* px, float* pdy, float* partials, int parts)
    {
        var length = shape.WeightLength;
        var per = (shape.Batch + parts - 1) / parts;
        nint xs = (nint)px, dys = (nint)pdy, ps = (nint)partials;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            WeightGradientImages(shape, path, (float*)xs, (float*)dys, (float*)ps + part * length, false,
                part * per, Math.Min(shape.Batch, (part + 1) * per)));
    }

    /// <summary>Forward over the whole batch: one part per thread for large problems, else on the calling thread.</summary>
    private static void ForwardBatch(in Conv2dShape s, KernelPath path, float* px, float* pw, float* pb, float* py)
    {
        var packedW = PackWeight(path, pw, s.OutChannels, s.PatchLength);
        var parts = ImageParts(s);
        if (parts <= 1)
        {
            ForwardImages(s, path, px, pw, pb, py, packedW, 0, s.Batch);
            return;
        }
        ForwardInParts(s, path, px, pw, pb, py, packedW, parts);
    }

    private static void ForwardInParts(Conv2dShape shape, KernelPath path, float* px, float* pw, float* pb, float* py,
        float* packedW, int parts)
    {
        var per = (shape.Batch + parts - 1) / parts;
        nint x = (nint)px, w = (nint)pw, b = (nint)pb, y = (nint)py, packed = (nint)packedW;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            ForwardImages(shape, path, (float*)x, (float*)w, (float*)b, (float*)y, (float*)packed,
                part * per, Math.Min(shape.Batch, (part + 1) * per)));
    }

    /// <summary>
    /// Images [first, end) in chunks: lower the chunk side by side, one GEMM W·col, then each image's slice of the
    /// product (+ bias) into y. Every output value is the same whatever the chunking.
    /// </summary>
    private static void ForwardImages(in Conv2dShape s, KernelPath path, float* px, float* pw, float* pb, float* py,
        float* packedW, int first, int end)
    {
        if (packedW != null && LowersIntoStrips(s, path))
        {
            ForwardImagesByStrips(s, path, px, pb, py, packedW, first, end);
            return;
        }
        int patch = s.PatchLength, pixels = s.OutHeight * s.OutWidth, cout = s.OutChannels;
        long inImage = (long)s.InChannels * s.Height * s.Width, outImage = (long)cout * pixels;
        var chunk = ImagesPerChunk(s);
        var col = Scratch.Get(ref _colSlot, (long)patch * pixels * chunk);
        var product = Scratch.Get(ref _productSlot, outImage * chunk);
        for (var n0 = first; n0 < end; n0 += chunk)
        {
            var count = Math.Min(chunk, end - n0);
            var width = count * pixels;
            for (var j = 0; j < count; j++) Lower(s, path, px + (n0 + j) * inImage, col + (long)j * pixels, width);
            if (packedW != null)
                GemmCore.MultiplyPrepackedA(path, false, cout, width, patch, packedW, col, width, product, width, accumulate: false);
            else
                GemmCore.Multiply(path, false, false, cout, width, patch, pw, patch, col, width, product, width,
                    accumulate: false, bias: null, maxThreads: 1);
            for (var j = 0; j < count; j++)
            {
                var output = py + (n0 + j) * outImage;
                for (var o = 0; o < cout; o++)
                {
                    var src = product + (long)o * width + (long)j * pixels;
                    var dst = output + (long)o * pixels;
                    if (pb != null) ElementWiseKernels.AddScalar(src, pb[o], dst, pixels);
                    else new ReadOnlySpan<float>(src, pixels).CopyTo(new Span<float>(dst, pixels));
                }
            }
        }
    }

    /// <summary>
    /// Forward image by image with the patch matrix lowered straight into the GEMM's packed strips and the product
    /// written straight into y (bias added after, as the chunked form adds it): no packing pass and no product copy.
    /// Each output is summed as the chunked form sums it, so both give the same bits.
    /// </summary>
    private static void ForwardImagesByStrips(in Conv2dShape s, KernelPath path, float* px, float* pb, float* py,
        float* packedW, int first, int end)
    {
        int patch = s.PatchLength, pixels = s.OutHeight * s.OutWidth, cout = s.OutChannels;
        long inImage = (long)s.InChannels * s.Height * s.Width, outImage = (long)cout * pixels;
        var nr = GemmCore.TileWidth(path);
        var strips = pixels / nr;
        var packed = Scratch.Get(ref _colSlot, (long)patch * pixels);
        for (var n = first; n < end; n++)
        {
            Im2Col.LowerStrips(s, path, px + n * inImage, packed, nr);
            var output = py + n * outImage;
            GemmCore.MultiplyPacked(path, cout, strips, patch, packedW, packed, output, pixels);
            if (pb != null) AddBias(path, output, pb, cout, pixels);
        }
    }

    /// <summary>
    /// y[o, ·] += bias[o] in place, inline (a generic element-wise call per channel plane cost as much as the add on
    /// 64-pixel planes). Planes here are whole micro-tile strips, so a multiple of 8 floats (16 on Avx512).
    /// </summary>
    private static void AddBias(KernelPath path, float* y, float* bias, int cout, int pixels)
    {
        for (var o = 0; o < cout; o++)
        {
            var row = y + (long)o * pixels;
            if (path >= KernelPath.Avx512)
            {
                var b = Vector512.Create(bias[o]);
                for (var i = 0; i < pixels; i += 16) (Vector512.Load(row + i) + b).Store(row + i);
            }
            else if (path >= KernelPath.Avx2)
            {
                var b = Vector256.Create(bias[o]);
                for (var i = 0; i < pixels; i += 8) (Vector256.Load(row + i) + b).Store(row + i);
            }
            else
            {
                var b = Vector128.Create(bias[o]);
                for (var i = 0; i < pixels; i += 4) (Vector128.Load(row + i) + b).Store(row + i);
            }
        }
    }

    /// <summary>
    /// True when the forward can lower into packed strips: a SIMD path, stride 1 through the padded copy, one GEMM
    /// depth block, and a plane of whole micro-tile strips.
    /// </summary>
    private static bool LowersIntoStrips(in Conv2dShape s, KernelPath path) =>
        GemmCore.CanPrepackA(path, s.PatchLength) && UsesStrideOnePath(s)
        && s.OutHeight * s.OutWidth % GemmCore.TileWidth(path) == 0;

    /// <summary>
    /// dweight (+)= Σ over images [first, end) of dy_n · im2col(x_n)ᵀ, a chunk of images per GEMM: the chunk's dy
    /// planes are gathered side by side to match the lowered chunk, so the GEMM depth is the chunk's pixel count.
    /// </summary>
    private static void WeightGradientImages(in Conv2dShape s, KernelPath path, float* px, float* pdy, float* pdw,
        bool accumulate, int first, int end)
    {
        if (ConvWeightGradient512.Supports(path, s))
        {
            ConvWeightGradient512.Run(s, px, pdy, pdw, accumulate, first, end);
            return;
        }
        if (ConvWeightGradient512.SupportsRows(path, s))
        {
            ConvWeightGradient512.RunRows(s, px, pdy, pdw, accumulate, first, end);
            return;
        }
        int patch = s.PatchLength, pixels = s.OutHeight * s.OutWidth, cout = s.OutChannels;
        long inImage = (long)s.InChannels * s.Height * s.Width, outImage = (long)cout * pixels;
        var chunk = ImagesPerChunk(s);
        var col = Scratch.Get(ref _colSlot, (long)patch * pixels * chunk);
        var gathered = Scratch.Get(ref _productSlot, outImage * chunk);
        for (var n0 = first; n0 < end; n0 += chunk)
        {
            var count = Math.Min(chunk, end - n0);
            var width = count * pixels;
            for (var j = 0; j < count; j++)
            {
                Lower(s, path, px + (n0 + j) * inImage, col + (long)j * pixels, width);
                var plane = pdy + (n0 + j) * outImage;
                for (var o = 0; o < cout; o++)
                    new ReadOnlySpan<float>(plane + (long)o * pixels, pixels)
                        .CopyTo(new Span<float>(gathered + (long)o * width + (long)j * pixels, pixels));
            }
            GemmCore.Multiply(path, false, true, cout, patch, width, gathered, width, col, width, pdw, patch,
                accumulate: accumulate || n0 > first, bias: null, maxThreads: 1);
        }
    }

    /// <summary>
    /// Input gradient for strided (or over-padded) convolutions: per image colᵀ-product Wᵀ·dy_n, scattered back.
    /// </summary>
    private static void BackwardInputByScatter(in Conv2dShape s, KernelPath path, float* pdy, float* pw, float* pdx)
    {
        int patch = s.PatchLength, pixels = s.OutHeight * s.OutWidth, cout = s.OutChannels;
        long inImage = (long)s.InChannels * s.Height * s.Width, outImage = (long)cout * pixels;
        var col = Scratch.Get(ref _colSlot, (long)patch * pixels);
        for (var n = 0; n < s.Batch; n++)
        {
            var image = pdx + n * inImage;
            GemmCore.Multiply(path, true, false, patch, pixels, cout, pw, patch, pdy + n * outImage, pixels,
                col, pixels, accumulate: false, bias: null, maxThreads: KernelParallelism.MaxThreads);
            new Span<float>(image, checked((int)inImage)).Clear();
            Im2Col.ScatterAdd(s, col, image);
        }
    }

    /// <summary>
    /// For stride 1 and padding p ≤ k − 1, dx = conv(dy, W') with W'[c, o, u, v] = W[o, c, k−1−u, k−1−v] and
    /// padding k − 1 − p, whose output is exactly H × W; null when that does not apply, or when Cin is too small
    /// to fill the GEMM's row strips (the scatter form is faster there).
    /// </summary>
    private static Conv2dShape? TransposedShape(in Conv2dShape s)
    {
        if (s.StrideH != 1 || s.StrideW != 1 || s.PadH > s.KernelH - 1 || s.PadW > s.KernelW - 1) return null;
        if (s.InChannels < GemmPacked.SharedMr) return null;
        return new Conv2dShape(s.Batch, s.OutChannels, s.OutHeight, s.OutWidth, s.InChannels, s.KernelH, s.KernelW,
            1, 1, s.KernelH - 1 - s.PadH, s.KernelW - 1 - s.PadW);
    }

    private static void FlipTranspose(in Conv2dShape s, float* w, float* flipped)
    {
        int cin = s.InChannels, cout = s.OutChannels, kh = s.KernelH, kw = s.KernelW, taps = kh * kw;
        for (var o = 0; o < cout; o++)
        for (var c = 0; c < cin; c++)
        {
            var src = w + ((long)o * cin + c) * taps;
            var dst = flipped + ((long)c * cout + o) * taps;
            for (var t = 0; t < taps; t++) dst[taps - 1 - t] = src[t];
        }
    }

    /// <summary>W packed once per call for the chunk products when the path and depth allow, else null.</summary>
    private static float* PackWeight(KernelPath path, float* weight, int m, int k)
    {
        if (!GemmCore.CanPrepackA(path, k)) return null;
        var packed = Scratch.Get(ref _packedWeightSlot, GemmPacked.PackedALength(m, k));
        GemmPacked.PackWholeA(false, weight, k, m, k, packed);
        return packed;
    }

    /// <summary>Images lowered together: the patch matrix stays within the budget and one GEMM column block.</summary>
    private static int ImagesPerChunk(in Conv2dShape s)
    {
        long pixels = (long)s.OutHeight * s.OutWidth;
        var byBudget = ChunkColumnBudget / (s.PatchLength * pixels);
        var byBlock = GemmPacked.NC / pixels;
        return (int)Math.Clamp(Math.Min(byBudget, byBlock), 1, s.Batch);
    }

    /// <summary>
    /// Contiguous image ranges, one per thread, for problems large enough to amortise the hand-off; depends only on
    /// the shape and <see cref="KernelParallelism.MaxThreads"/>.
    /// </summary>
    private static int ImageParts(in Conv2dShape s)
    {
        var threads = KernelParallelism.MaxThreads;
        if (threads <= 1 || s.Batch < 2) return 1;
        var macs = s.OutputLength * s.PatchLength;
        return macs < ParallelThreshold ? 1 : Math.Min(threads, s.Batch);
    }

    private static void Lower(in Conv2dShape s, KernelPath path, float* image, float* col, long ldCol)
    {
        if (UsesStrideOnePath(s)) Im2Col.LowerStrideOne(s, path, image, col, ldCol);
        else Im2Col.Lower(s, image, col, ldCol);
    }

    /// <summary>Small stride-1 planes go through a padded copy; the padded image must stay small (it is per thread).</summary>
    private static bool UsesStrideOnePath(in Conv2dShape s) =>
        s.StrideH == 1 && s.StrideW == 1 && (long)(s.Height + 2 * s.PadH) * (s.Width + 2 * s.PadW) * s.InChannels <= 1 << 20;
}

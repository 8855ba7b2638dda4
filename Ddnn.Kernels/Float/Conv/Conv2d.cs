namespace Ddnn.Kernels;

/// <summary>
/// 2-d cross-correlation with zero padding over NCHW input, weight (Cout, Cin, kH, kW), lowered per image to
/// im2col + GEMM on the active kernel path. Workspaces are per-thread and reused.
/// </summary>
public static unsafe class Conv2d
{
    [ThreadStatic] private static float[]? _colSlot;
    [ThreadStatic] private static float[]? _packedWeightSlot;

    /// <summary>
    /// op(W) packed once per call for the per-image products when the path and depth allow, else null.
    /// </summary>
    private static float* PackWeight(KernelPath path, bool transpose, float* weight, int m, int k, int ldw)
    {
        if (!GemmCore.CanPrepackA(path, k)) return null;
        var packed = Scratch.Floats(ref _packedWeightSlot, GemmPacked.PackedALength(m, k));
        GemmPacked.PackWholeA(transpose, weight, ldw, m, k, packed);
        return packed;
    }

    /// <summary>y = conv(x, weight) + bias[o] (bias empty = none). y is overwritten.</summary>
    public static void Forward(in Conv2dShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> y)
    {
        s.EnsureValid(nameof(s));
        Check.Length(x.Length, s.InputLength, nameof(x));
        Check.Length(weight.Length, s.WeightLength, nameof(weight));
        Check.OptionalLength(bias.Length, s.OutChannels, nameof(bias));
        Check.Length(y.Length, s.OutputLength, nameof(y));

        var path = KernelDispatch.Active;
        int patch = s.PatchLength, cout = s.OutChannels;
        fixed (float* px = x, pw = weight, pb = bias, py = y)
        {
            var packedW = PackWeight(path, false, pw, cout, patch, patch);
            var parts = ImageParts(s);
            if (parts <= 1)
                ForwardImages(s, path, px, pw, bias.IsEmpty ? null : pb, py, packedW, 0, s.Batch);
            else
                ForwardParallel(s, path, px, pw, bias.IsEmpty ? null : pb, py, packedW, parts);
        }
    }

    private static void ForwardParallel(Conv2dShape s, KernelPath path, float* px, float* pw, float* pb, float* py,
        float* packedW, int parts)
    {
        nint x = (nint)px, w = (nint)pw, b = (nint)pb, y = (nint)py, packed = (nint)packedW;
        var chunk = (s.Batch + parts - 1) / parts;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            ForwardImages(s, path, (float*)x, (float*)w, (float*)b, (float*)y, (float*)packed,
                part * chunk, Math.Min(s.Batch, (part + 1) * chunk)));
    }

    private static void ForwardImages(in Conv2dShape s, KernelPath path, float* px, float* pw, float* pb, float* py,
        float* packedW, int first, int end)
    {
        int patch = s.PatchLength, pixels = s.OutHeight * s.OutWidth, cout = s.OutChannels;
        long inImage = (long)s.InChannels * s.Height * s.Width, outImage = (long)cout * pixels;
        var direct = IsPointwise(s);
        var col = direct ? null : Scratch.Floats(ref _colSlot, (long)patch * pixels);
        for (var n = first; n < end; n++)
        {
            var image = px + n * inImage;
            var output = py + n * outImage;
            if (!direct) Lower(s, image, col);
            if (pb != null)
                for (var o = 0; o < cout; o++) ElementWiseKernels.Fill(output + (long)o * pixels, pixels, pb[o]);
            if (packedW != null)
                GemmCore.MultiplyPrepackedA(path, false, cout, pixels, patch, packedW, direct ? image : col, pixels,
                    output, pixels, accumulate: pb != null);
            else
                GemmCore.Multiply(path, false, false, cout, pixels, patch, pw, patch, direct ? image : col, pixels,
                    output, pixels, accumulate: pb != null, bias: null, maxThreads: 1);
        }
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
            var packedWt = PackWeight(path, true, pw, s.PatchLength, s.OutChannels, s.PatchLength);
            var parts = ImageParts(s);
            if (parts <= 1)
                BackwardInputImages(s, path, pdy, pw, pdx, packedWt, 0, s.Batch);
            else
                BackwardInputParallel(s, path, pdy, pw, pdx, packedWt, parts);
        }
    }

    private static void BackwardInputParallel(Conv2dShape s, KernelPath path, float* pdy, float* pw, float* pdx,
        float* packedWt, int parts)
    {
        nint dy = (nint)pdy, w = (nint)pw, dx = (nint)pdx, packed = (nint)packedWt;
        var chunk = (s.Batch + parts - 1) / parts;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            BackwardInputImages(s, path, (float*)dy, (float*)w, (float*)dx, (float*)packed,
                part * chunk, Math.Min(s.Batch, (part + 1) * chunk)));
    }

    private static void BackwardInputImages(in Conv2dShape s, KernelPath path, float* pdy, float* pw, float* pdx,
        float* packedWt, int first, int end)
    {
        int patch = s.PatchLength, pixels = s.OutHeight * s.OutWidth, cout = s.OutChannels;
        long inImage = (long)s.InChannels * s.Height * s.Width, outImage = (long)cout * pixels;
        var direct = IsPointwise(s);
        var col = direct ? null : Scratch.Floats(ref _colSlot, (long)patch * pixels);
        for (var n = first; n < end; n++)
        {
            var image = pdx + n * inImage;
            if (packedWt != null)
                GemmCore.MultiplyPrepackedA(path, false, patch, pixels, cout, packedWt, pdy + n * outImage, pixels,
                    direct ? image : col, pixels, accumulate: false);
            else
                GemmCore.Multiply(path, true, false, patch, pixels, cout, pw, patch, pdy + n * outImage, pixels,
                    direct ? image : col, pixels, accumulate: false, bias: null, maxThreads: 1);
            if (direct) continue;
            if (UsesStrideOnePath(s))
            {
                Im2Col.ScatterStrideOne(s, col, image);
            }
            else
            {
                new Span<float>(image, (int)inImage).Clear();
                Im2Col.ScatterAdd(s, col, image);
            }
        }
    }

    /// <summary>
    /// dweight = Σ_n dy_n · im2col(x_n)ᵀ and dbias[o] = Σ dy[:, o] (dbias empty = skip); both overwritten unless
    /// <paramref name="accumulate"/>, in which case they are added to.
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
        int patch = s.PatchLength, pixels = s.OutHeight * s.OutWidth, cout = s.OutChannels;
        long inImage = (long)s.InChannels * s.Height * s.Width, outImage = (long)cout * pixels;
        var direct = IsPointwise(s);
        var col = direct ? null : Scratch.Floats(ref _colSlot, (long)patch * pixels);
        fixed (float* px = x, pdy = dy, pdw = dweight, pdb = dbias)
        {
            for (var n = 0; n < s.Batch; n++)
            {
                var image = px + n * inImage;
                if (!direct) Lower(s, image, col);
                GemmCore.Multiply(path, false, true, cout, patch, pixels, pdy + n * outImage, pixels,
                    direct ? image : col, pixels, pdw, patch, accumulate: accumulate || n > 0, bias: null, maxThreads: 1);
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

    /// <summary>
    /// Images are independent in the forward and input-gradient passes, so large batches are split into
    /// contiguous image ranges, one per thread; each image is computed exactly as on one thread.
    /// </summary>
    private static int ImageParts(in Conv2dShape s)
    {
        var threads = KernelParallelism.MaxThreads;
        if (threads <= 1 || s.Batch < 2) return 1;
        var macs = s.OutputLength * s.PatchLength;
        return macs < GemmCore.ParallelThreshold ? 1 : Math.Min(threads, s.Batch);
    }

    private static void Lower(in Conv2dShape s, float* image, float* col)
    {
        if (UsesStrideOnePath(s)) Im2Col.LowerStrideOne(s, image, col);
        else Im2Col.Lower(s, image, col);
    }

    /// <summary>Small stride-1 planes go through a padded copy; the padded image must stay small (it is per thread).</summary>
    private static bool UsesStrideOnePath(in Conv2dShape s) =>
        s.StrideH == 1 && s.StrideW == 1 && (long)(s.Height + 2 * s.PadH) * (s.Width + 2 * s.PadW) * s.InChannels <= 1 << 20;

    /// <summary>A 1×1, stride-1, unpadded convolution needs no lowering: the image already is the patch matrix.</summary>
    private static bool IsPointwise(in Conv2dShape s) =>
        s.KernelH == 1 && s.KernelW == 1 && s.StrideH == 1 && s.StrideW == 1 && s.PadH == 0 && s.PadW == 0;
}

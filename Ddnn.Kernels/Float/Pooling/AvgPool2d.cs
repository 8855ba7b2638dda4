namespace Ddnn.Kernels;

/// <summary>
/// Average pooling with zero padding counted in the divisor (count_include_pad = true: divide by k·k). The forward pass
/// and its adjoint have Avx512 bodies for strides 1 and 2 (<c>AvgPoolVector</c>); other paths run the scalar code.
/// </summary>
public static unsafe class AvgPool2d
{
    /// <summary>y = window sums / (k·k); overwritten.</summary>
    public static void Forward(in Pool2dShape s, ReadOnlySpan<float> x, Span<float> y)
    {
        s.EnsureValid(nameof(s));
        Check.Length(x.Length, s.InputLength, nameof(x));
        Check.Length(y.Length, s.OutputLength, nameof(y));
        if (AvgPoolVector.Supports(KernelDispatch.Active, s))
        {
            fixed (float* px = x, py = y) AvgPoolVector.Forward(s, px, py);
            return;
        }
        int h = s.Height, w = s.Width, oh = s.OutHeight, ow = s.OutWidth;
        var inv = 1f / (s.Kernel * s.Kernel);
        for (var plane = 0; plane < s.Planes; plane++)
        {
            var src = x.Slice(plane * h * w, h * w);
            var dst = y.Slice(plane * oh * ow, oh * ow);
            for (var oy = 0; oy < oh; oy++)
            {
                var y0 = oy * s.Stride - s.Pad;
                int ylo = Math.Max(y0, 0), yhi = Math.Min(y0 + s.Kernel, h);
                for (var ox = 0; ox < ow; ox++)
                {
                    var x0 = ox * s.Stride - s.Pad;
                    int xlo = Math.Max(x0, 0), xhi = Math.Min(x0 + s.Kernel, w);
                    var sum = 0f;
                    for (var iy = ylo; iy < yhi; iy++)
                    for (var ix = xlo; ix < xhi; ix++)
                        sum += src[iy * w + ix];
                    dst[oy * ow + ox] = sum * inv;
                }
            }
        }
    }

    /// <summary>dx = adjoint of <see cref="Forward"/> applied to dy (each window spreads dy/(k·k)); overwritten.</summary>
    public static void Backward(in Pool2dShape s, ReadOnlySpan<float> dy, Span<float> dx)
    {
        s.EnsureValid(nameof(s));
        Check.Length(dy.Length, s.OutputLength, nameof(dy));
        Check.Length(dx.Length, s.InputLength, nameof(dx));
        if (AvgPoolVector.Supports(KernelDispatch.Active, s))
        {
            fixed (float* pdy = dy, pdx = dx) AvgPoolVector.Backward(s, pdy, pdx);
            return;
        }
        dx.Clear();
        int h = s.Height, w = s.Width, oh = s.OutHeight, ow = s.OutWidth;
        var inv = 1f / (s.Kernel * s.Kernel);
        for (var plane = 0; plane < s.Planes; plane++)
        {
            var g = dy.Slice(plane * oh * ow, oh * ow);
            var d = dx.Slice(plane * h * w, h * w);
            for (var oy = 0; oy < oh; oy++)
            {
                var y0 = oy * s.Stride - s.Pad;
                int ylo = Math.Max(y0, 0), yhi = Math.Min(y0 + s.Kernel, h);
                for (var ox = 0; ox < ow; ox++)
                {
                    var x0 = ox * s.Stride - s.Pad;
                    int xlo = Math.Max(x0, 0), xhi = Math.Min(x0 + s.Kernel, w);
                    var share = g[oy * ow + ox] * inv;
                    for (var iy = ylo; iy < yhi; iy++)
                    for (var ix = xlo; ix < xhi; ix++)
                        d[iy * w + ix] += share;
                }
            }
        }
    }
}

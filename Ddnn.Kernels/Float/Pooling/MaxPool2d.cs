namespace Ddnn.Kernels;

/// <summary>
/// Max pooling with −inf padding. argmax is the flat index h·W + w inside each (n, c) plane of the first maximum
/// of the window in row-major order (strict &gt;), as libtorch's CPU kernel.
/// </summary>
public static unsafe class MaxPool2d
{
    /// <summary>y = window maxima, argmax = their flat in-plane indices; both overwritten.</summary>
    public static void Forward(in Pool2dShape s, ReadOnlySpan<float> x, Span<float> y, Span<int> argmax)
    {
        s.EnsureValid(nameof(s));
        Check.Length(x.Length, s.InputLength, nameof(x));
        Check.Length(y.Length, s.OutputLength, nameof(y));
        Check.Length(argmax.Length, s.OutputLength, nameof(argmax));
        int h = s.Height, w = s.Width, oh = s.OutHeight, ow = s.OutWidth;
        var path = KernelDispatch.Active;
        fixed (float* px = x, py = y)
        fixed (int* pi = argmax)
        {
            if (MaxPoolVector.Supports(path, s))
            {
                MaxPoolVector.Forward(path, s, px, py, pi);
                return;
            }
            for (var plane = 0; plane < s.Planes; plane++)
            {
                var src = px + (long)plane * h * w;
                var dst = py + (long)plane * oh * ow;
                var idx = pi + (long)plane * oh * ow;
                for (var oy = 0; oy < oh; oy++)
                {
                    var y0 = oy * s.Stride - s.Pad;
                    int ylo = Math.Max(y0, 0), yhi = Math.Min(y0 + s.Kernel, h);
                    for (var ox = 0; ox < ow; ox++)
                    {
                        var x0 = ox * s.Stride - s.Pad;
                        int xlo = Math.Max(x0, 0), xhi = Math.Min(x0 + s.Kernel, w);
                        var best = float.NegativeInfinity;
                        var at = ylo * w + xlo;
                        for (var iy = ylo; iy < yhi; iy++)
                        for (var ix = xlo; ix < xhi; ix++)
                        {
                            var v = src[iy * w + ix];
                            if (v > best || float.IsNaN(v)) // NaN propagates, as in libtorch
                            {
                                best = v;
                                at = iy * w + ix;
                            }
                        }
                        dst[oy * ow + ox] = best;
                        idx[oy * ow + ox] = at;
                    }
                }
            }
        }
    }

    private static void ThrowOutside(in Pool2dShape s, long entry, int at) =>
        throw new ArgumentException($"argmax[{entry}] = {at} is outside the {s.Height}x{s.Width} plane.", "argmax");

    /// <summary>dx[argmax] += dy per window (overlapping windows add); dx is overwritten.</summary>
    /// <exception cref="ArgumentException">An argmax entry lies outside its plane.</exception>
    public static void Backward(in Pool2dShape s, ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx)
    {
        s.EnsureValid(nameof(s));
        Check.Length(dy.Length, s.OutputLength, nameof(dy));
        Check.Length(argmax.Length, s.OutputLength, nameof(argmax));
        Check.Length(dx.Length, s.InputLength, nameof(dx));
        dx.Clear();
        int planeIn = s.Height * s.Width, planeOut = s.OutHeight * s.OutWidth;
        // Pointers: the scatter is the whole cost, and span indexing checked every read and write a second time.
        fixed (float* pdy = dy, pdx = dx)
        fixed (int* pidx = argmax)
        {
            for (var plane = 0; plane < s.Planes; plane++)
            {
                var g = pdy + (long)plane * planeOut;
                var idx = pidx + (long)plane * planeOut;
                var d = pdx + (long)plane * planeIn;
                for (var j = 0; j < planeOut; j++)
                {
                    var at = idx[j];
                    if ((uint)at >= (uint)planeIn) ThrowOutside(s, plane * planeOut + j, at);
                    d[at] += g[j];
                }
            }
        }
    }
}

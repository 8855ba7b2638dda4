using Ddnn.Kernels;

namespace Ddnn.Kernels.Tests.Float;

/// <summary>Direct textbook loops in double, independent of the kernels' im2col/GEMM and window code.</summary>
internal static class NaiveOracles
{
    public static double[] ConvForward(Conv2dShape s, float[] x, float[] w, float[] bias)
    {
        int oh = s.OutHeight, ow = s.OutWidth;
        var y = new double[s.OutputLength];
        for (var n = 0; n < s.Batch; n++)
        for (var o = 0; o < s.OutChannels; o++)
        for (var i = 0; i < oh; i++)
        for (var j = 0; j < ow; j++)
        {
            double acc = bias.Length > 0 ? bias[o] : 0;
            for (var c = 0; c < s.InChannels; c++)
            for (var u = 0; u < s.KernelH; u++)
            for (var v = 0; v < s.KernelW; v++)
            {
                int ih = i * s.StrideH - s.PadH + u, iw = j * s.StrideW - s.PadW + v;
                if (ih < 0 || ih >= s.Height || iw < 0 || iw >= s.Width) continue;
                acc += (double)w[((o * s.InChannels + c) * s.KernelH + u) * s.KernelW + v]
                       * x[((n * s.InChannels + c) * s.Height + ih) * s.Width + iw];
            }
            y[((n * s.OutChannels + o) * oh + i) * ow + j] = acc;
        }
        return y;
    }

    /// <summary>dx and dweight, dbias by scattering each output gradient through the same index map.</summary>
    public static (double[] Dx, double[] Dw, double[] Db) ConvBackward(Conv2dShape s, float[] x, float[] w, float[] dy)
    {
        int oh = s.OutHeight, ow = s.OutWidth;
        var dx = new double[s.InputLength];
        var dw = new double[s.WeightLength];
        var db = new double[s.OutChannels];
        for (var n = 0; n < s.Batch; n++)
        for (var o = 0; o < s.OutChannels; o++)
        for (var i = 0; i < oh; i++)
        for (var j = 0; j < ow; j++)
        {
            double g = dy[((n * s.OutChannels + o) * oh + i) * ow + j];
            db[o] += g;
            for (var c = 0; c < s.InChannels; c++)
            for (var u = 0; u < s.KernelH; u++)
            for (var v = 0; v < s.KernelW; v++)
            {
                int ih = i * s.StrideH - s.PadH + u, iw = j * s.StrideW - s.PadW + v;
                if (ih < 0 || ih >= s.Height || iw < 0 || iw >= s.Width) continue;
                var wi = ((o * s.InChannels + c) * s.KernelH + u) * s.KernelW + v;
                var xi = ((n * s.InChannels + c) * s.Height + ih) * s.Width + iw;
                dx[xi] += g * w[wi];
                dw[wi] += g * x[xi];
            }
        }
        return (dx, dw, db);
    }

    public static (float[] Y, int[] Index) MaxPool(Pool2dShape s, float[] x)
    {
        int oh = s.OutHeight, ow = s.OutWidth;
        var y = new float[s.OutputLength];
        var idx = new int[s.OutputLength];
        for (var plane = 0; plane < s.Batch * s.Channels; plane++)
        for (var i = 0; i < oh; i++)
        for (var j = 0; j < ow; j++)
        {
            var best = float.NegativeInfinity;
            var at = -1;
            for (var u = 0; u < s.Kernel; u++)
            for (var v = 0; v < s.Kernel; v++)
            {
                int ih = i * s.Stride - s.Pad + u, iw = j * s.Stride - s.Pad + v;
                if (ih < 0 || ih >= s.Height || iw < 0 || iw >= s.Width) continue;
                var value = x[(plane * s.Height + ih) * s.Width + iw];
                if (at < 0 || value > best)
                {
                    best = value;
                    at = ih * s.Width + iw;
                }
            }
            y[(plane * oh + i) * ow + j] = best;
            idx[(plane * oh + i) * ow + j] = at;
        }
        return (y, idx);
    }
}

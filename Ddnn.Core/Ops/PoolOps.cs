using K = Ddnn.Kernels;

namespace Ddnn.Core;

public static partial class Ops
{
    /// <summary>
    /// Max pooling over square windows with -inf padding (ceil_mode false). The gradient goes to the first
    /// maximum of each window in row-major order; overlapping windows add up.
    /// </summary>
    public static Tensor MaxPool2d(Tensor x, int kernel, int stride, int padding = 0) =>
        MaxPool2d(x, kernel, stride, padding, out _);

    /// <summary>
    /// <see cref="MaxPool2d(Tensor,int,int,int)"/> that also returns the winning flat index h*W+w inside each
    /// (n, c) plane (PyTorch's indices), valid as long as the output tensor is.
    /// </summary>
    public static Tensor MaxPool2d(Tensor x, int kernel, int stride, int padding, out int[] indices)
    {
        var s = PoolShape("max_pool2d", x, kernel, stride, padding);
        var y = Tensor.Uninitialized(s.Batch, s.Channels, s.OutHeight, s.OutWidth);
        indices = Graph.RentCurrentInts(checked((int)s.OutputLength));
        K.MaxPool2d.Forward(in s, x.Data, y.Data, indices);
        if (Autograd.ShouldRecord(x)) Node.Attach(Graph.NewNode<MaxPoolNode>().Set(s, indices), y, x);
        return y;
    }

    /// <summary>Average pooling over square windows, zero padding counted (count_include_pad = true).</summary>
    public static Tensor AvgPool2d(Tensor x, int kernel, int stride, int padding = 0)
    {
        var s = PoolShape("avg_pool2d", x, kernel, stride, padding);
        var y = Tensor.Uninitialized(s.Batch, s.Channels, s.OutHeight, s.OutWidth);
        K.AvgPool2d.Forward(in s, x.Data, y.Data);
        if (Autograd.ShouldRecord(x)) Node.Attach(Graph.NewNode<AvgPoolNode>().Set(s), y, x);
        return y;
    }

    private static K.Pool2dShape PoolShape(string op, Tensor x, int kernel, int stride, int padding)
    {
        OpCheck.NotNull(op, x, nameof(x));
        OpCheck.Rank(op, x, "input", 4);
        if (kernel < 1) throw new ArgumentOutOfRangeException(nameof(kernel), kernel, $"{op}: kernel must be at least 1.");
        if (stride < 1) throw new ArgumentOutOfRangeException(nameof(stride), stride, $"{op}: stride must be at least 1.");
        if (padding < 0 || 2 * padding > kernel)
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"{op}: padding must be between 0 and half the kernel ({kernel}).");
        if (x.Shape[2] + 2 * padding < kernel || x.Shape[3] + 2 * padding < kernel)
            throw new ArgumentException($"{op}: input {x.ShapeText} with padding {padding} is smaller than the {kernel}x{kernel} window.", nameof(x));
        return new K.Pool2dShape(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], kernel, stride, padding);
    }

    private sealed class MaxPoolNode : Node
    {
        private K.Pool2dShape shape;
        private int[] argmax = [];

        public MaxPoolNode Set(K.Pool2dShape s, int[] indices) { (shape, argmax) = (s, indices); return this; }

        public override string OpName => "max_pool2d";

        protected internal override void Backward()
        {
            var x = Inputs[0];
            var dx = x.BeginGrad(out var scratch);
            K.MaxPool2d.Backward(in shape, Output.Grad, argmax, dx);
            x.CommitGrad(scratch);
        }
    }

    private sealed class AvgPoolNode : Node
    {
        private K.Pool2dShape shape;

        public AvgPoolNode Set(K.Pool2dShape s) { shape = s; return this; }

        public override string OpName => "avg_pool2d";

        protected internal override void Backward()
        {
            var x = Inputs[0];
            var dx = x.BeginGrad(out var scratch);
            K.AvgPool2d.Backward(in shape, Output.Grad, dx);
            x.CommitGrad(scratch);
        }
    }
}

using K = Ddnn.Kernels;

namespace Ddnn.Core;

/// <summary>Differentiable tensor operations; each op family keeps its backward rule next to its forward.</summary>
public static partial class Ops
{
    /// <summary>a + b (same shape).</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        OpCheck.NotNull("add", a, nameof(a)); OpCheck.NotNull("add", b, nameof(b));
        OpCheck.SameShape("add", a, nameof(a), b, nameof(b));
        var y = Tensor.Uninitialized(a.Shape);
        K.ElementWise.Add(a.Data, b.Data, y.Data);
        if (Autograd.ShouldRecord(a, b)) Node.Attach(Graph.NewNode<AddNode>().Set(1f), y, a, b);
        return y;
    }

    /// <summary>a - b (same shape).</summary>
    public static Tensor Sub(Tensor a, Tensor b)
    {
        OpCheck.NotNull("sub", a, nameof(a)); OpCheck.NotNull("sub", b, nameof(b));
        OpCheck.SameShape("sub", a, nameof(a), b, nameof(b));
        var y = Tensor.Uninitialized(a.Shape);
        K.ElementWise.Subtract(a.Data, b.Data, y.Data);
        if (Autograd.ShouldRecord(a, b)) Node.Attach(Graph.NewNode<AddNode>().Set(-1f), y, a, b);
        return y;
    }

    /// <summary>Element-wise a * b (same shape).</summary>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        OpCheck.NotNull("mul", a, nameof(a)); OpCheck.NotNull("mul", b, nameof(b));
        OpCheck.SameShape("mul", a, nameof(a), b, nameof(b));
        var y = Tensor.Uninitialized(a.Shape);
        K.ElementWise.Multiply(a.Data, b.Data, y.Data);
        if (Autograd.ShouldRecord(a, b)) Node.Attach(Graph.NewNode<MulNode>(), y, a, b);
        return y;
    }

    /// <summary>x + c.</summary>
    public static Tensor AddScalar(Tensor x, float c)
    {
        OpCheck.NotNull("add_scalar", x, nameof(x));
        var y = Tensor.Uninitialized(x.Shape);
        K.ElementWise.AddScalar(x.Data, c, y.Data);
        if (Autograd.ShouldRecord(x)) Node.Attach(Graph.NewNode<ScaleNode>().Set(1f), y, x);
        return y;
    }

    /// <summary>x * c.</summary>
    public static Tensor MulScalar(Tensor x, float c)
    {
        OpCheck.NotNull("mul_scalar", x, nameof(x));
        var y = Tensor.Uninitialized(x.Shape);
        K.ElementWise.Scale(x.Data, c, y.Data);
        if (Autograd.ShouldRecord(x)) Node.Attach(Graph.NewNode<ScaleNode>().Set(c), y, x);
        return y;
    }

    /// <summary>max(x, 0); the gradient at exactly 0 is 0, as in PyTorch.</summary>
    public static Tensor Relu(Tensor x)
    {
        OpCheck.NotNull("relu", x, nameof(x));
        var y = Tensor.Uninitialized(x.Shape);
        K.ElementWise.Relu(x.Data, y.Data);
        if (Autograd.ShouldRecord(x)) Node.Attach(Graph.NewNode<ReluNode>(), y, x);
        return y;
    }

    /// <summary>clamp(x, -1, 1); the gradient passes strictly inside (-1, 1), as in PyTorch.</summary>
    public static Tensor HardTanh(Tensor x)
    {
        OpCheck.NotNull("hardtanh", x, nameof(x));
        var y = Tensor.Uninitialized(x.Shape);
        K.ElementWise.HardTanh(x.Data, y.Data);
        if (Autograd.ShouldRecord(x)) Node.Attach(Graph.NewNode<HardTanhNode>(), y, x);
        return y;
    }

    private sealed class AddNode : Node
    {
        private float bSign;

        public AddNode Set(float sign) { bSign = sign; return this; }

        public override string OpName => bSign > 0 ? "add" : "sub";

        protected internal override void Backward()
        {
            var g = Output.Grad;
            var a = Inputs[0];
            var b = Inputs[1];
            if (a.RequiresGrad) a.AccumulateGrad(g);
            if (!b.RequiresGrad) return;
            if (bSign > 0) { b.AccumulateGrad(g); return; }
            var dst = b.BeginGrad(out var scratch);
            K.ElementWise.Scale(g, -1f, dst);
            b.CommitGrad(scratch);
        }
    }

    private sealed class MulNode : Node
    {
        public override string OpName => "mul";

        protected internal override void Backward()
        {
            var g = Output.Grad;
            var a = Inputs[0];
            var b = Inputs[1];
            if (a.RequiresGrad)
            {
                var dst = a.BeginGrad(out var scratch);
                K.ElementWise.Multiply(g, b.Data, dst);
                a.CommitGrad(scratch);
            }
            if (b.RequiresGrad)
            {
                var dst = b.BeginGrad(out var scratch);
                K.ElementWise.Multiply(g, a.Data, dst);
                b.CommitGrad(scratch);
            }
        }
    }

    private sealed class ScaleNode : Node
    {
        private float c;

        public ScaleNode Set(float factor) { c = factor; return this; }

        public override string OpName => "scale";

        protected internal override void Backward()
        {
            var x = Inputs[0];
            if (c == 1f) { x.AccumulateGrad(Output.Grad); return; }
            var dst = x.BeginGrad(out var scratch);
            K.ElementWise.Scale(Output.Grad, c, dst);
            x.CommitGrad(scratch);
        }
    }

    private sealed class ReluNode : Node
    {
        public override string OpName => "relu";

        protected internal override void Backward()
        {
            var x = Inputs[0];
            var dst = x.BeginGrad(out var scratch);
            K.ElementWise.ReluBackward(x.Data, Output.Grad, dst);
            x.CommitGrad(scratch);
        }
    }

    private sealed class HardTanhNode : Node
    {
        public override string OpName => "hardtanh";

        protected internal override void Backward()
        {
            var x = Inputs[0];
            var dst = x.BeginGrad(out var scratch);
            K.ElementWise.HardTanhBackward(x.Data, Output.Grad, dst);
            x.CommitGrad(scratch);
        }
    }
}

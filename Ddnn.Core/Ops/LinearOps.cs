using K = Ddnn.Kernels;

namespace Ddnn.Core;

public static partial class Ops
{
    /// <summary>Matrix product a (m,k) · b (k,n) -> (m,n).</summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        OpCheck.NotNull("matmul", a, nameof(a)); OpCheck.NotNull("matmul", b, nameof(b));
        OpCheck.Rank("matmul", a, nameof(a), 2); OpCheck.Rank("matmul", b, nameof(b), 2);
        if (a.Shape[1] != b.Shape[0])
            throw new ArgumentException($"matmul: a {a.ShapeText} has {a.Shape[1]} columns but b {b.ShapeText} has {b.Shape[0]} rows.", nameof(b));
        int m = a.Shape[0], k = a.Shape[1], n = b.Shape[1];
        var y = Tensor.Uninitialized(m, n);
        K.Gemm.Multiply(false, false, m, n, k, a.Data, b.Data, y.Data);
        if (Autograd.ShouldRecord(a, b)) Node.Attach(Graph.NewNode<MatMulNode>().Set(m, n, k), y, a, b);
        return y;
    }

    /// <summary>Fully connected layer: x (N,in) · Wᵀ + b with W (out,in) and b (out) or null.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias)
    {
        OpCheck.NotNull("linear", x, nameof(x)); OpCheck.NotNull("linear", weight, nameof(weight));
        OpCheck.Rank("linear", x, "input", 2); OpCheck.Rank("linear", weight, nameof(weight), 2);
        int n = x.Shape[0], inF = x.Shape[1], outF = weight.Shape[0];
        if (weight.Shape[1] != inF)
            throw new ArgumentException($"linear: input {x.ShapeText} has {inF} features but weight {weight.ShapeText} expects {weight.Shape[1]}.", nameof(weight));
        if (bias is not null && (bias.Rank != 1 || bias.Length != outF)) OpCheck.Vector("linear", bias, nameof(bias), outF, $"one per output of weight {weight.ShapeText}");
        var y = Tensor.Uninitialized(n, outF);
        K.Gemm.Multiply(false, true, n, outF, inF, x.Data, weight.Data, y.Data, false, bias is null ? default : bias.Data);
        var record = bias is null ? Autograd.ShouldRecord(x, weight) : Autograd.ShouldRecord(x, weight, bias);
        if (record)
        {
            if (bias is null) Node.Attach(Graph.NewNode<LinearNode>().Set(n, inF, outF), y, x, weight);
            else Node.Attach(Graph.NewNode<LinearNode>().Set(n, inF, outF), y, x, weight, bias);
        }
        return y;
    }

    private sealed class MatMulNode : Node
    {
        private int m, n, k;

        public MatMulNode Set(int rows, int cols, int depth) { (m, n, k) = (rows, cols, depth); return this; }

        public override string OpName => "matmul";

        protected internal override void Backward()
        {
            var g = Output.Grad;
            var a = Inputs[0];
            var b = Inputs[1];
            if (a.RequiresGrad)
            {
                var da = a.GradForKernel(out var acc);
                K.Gemm.Multiply(false, true, m, k, n, g, b.Data, da, acc);
            }
            if (b.RequiresGrad)
            {
                var db = b.GradForKernel(out var acc);
                K.Gemm.Multiply(true, false, k, n, m, a.Data, g, db, acc);
            }
        }
    }

    private sealed class LinearNode : Node
    {
        private int n, inF, outF;

        public LinearNode Set(int rows, int inFeatures, int outFeatures) { (n, inF, outF) = (rows, inFeatures, outFeatures); return this; }

        public override string OpName => "linear";

        protected internal override void Backward()
        {
            var g = Output.Grad;
            var x = Inputs[0];
            var w = Inputs[1];
            if (x.RequiresGrad)
            {
                var dx = x.GradForKernel(out var acc);
                K.Gemm.Multiply(false, false, n, inF, outF, g, w.Data, dx, acc);
            }
            if (w.RequiresGrad)
            {
                var dw = w.GradForKernel(out var acc);
                K.Gemm.Multiply(true, false, outF, inF, n, g, x.Data, dw, acc);
            }
            if (Inputs.Length > 2 && Inputs[2].RequiresGrad)
            {
                var db = Inputs[2].GradForKernel(out var acc);
                K.Reduce.SumColumns(n, outF, g, db, acc);
            }
        }
    }
}

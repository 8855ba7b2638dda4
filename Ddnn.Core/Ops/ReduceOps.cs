namespace Ddnn.Core;

public static partial class Ops
{
    /// <summary>Sum of all values as a scalar tensor (shape ()).</summary>
    public static Tensor Sum(Tensor x)
    {
        OpCheck.NotNull("sum", x, nameof(x));
        var y = Tensor.Uninitialized();
        y.Data[0] = (float)Kernels.Reduce.Sum(x.Data);
        if (Autograd.ShouldRecord(x)) Node.Attach(Graph.NewNode<BroadcastNode>().Set("sum", 1f), y, x);
        return y;
    }

    /// <summary>Mean of all values as a scalar tensor (shape ()).</summary>
    public static Tensor Mean(Tensor x)
    {
        OpCheck.NotNull("mean", x, nameof(x));
        if (x.Length == 0) throw new ArgumentException($"mean: input {x.ShapeText} is empty.", nameof(x));
        var y = Tensor.Uninitialized();
        y.Data[0] = (float)(Kernels.Reduce.Sum(x.Data) / x.Length);
        if (Autograd.ShouldRecord(x)) Node.Attach(Graph.NewNode<BroadcastNode>().Set("mean", 1f / x.Length), y, x);
        return y;
    }

    /// <summary>Spreads a scalar gradient times a constant factor over every input element.</summary>
    private sealed class BroadcastNode : Node
    {
        private string name = "";
        private float factor;

        public BroadcastNode Set(string opName, float scale) { (name, factor) = (opName, scale); return this; }

        public override string OpName => name;

        protected internal override void Backward()
        {
            var x = Inputs[0];
            var dst = x.BeginGrad(out var scratch);
            dst.Fill(Output.Grad[0] * factor);
            x.CommitGrad(scratch);
        }
    }
}

using K = Ddnn.Kernels;

namespace Ddnn.Core;

public static partial class Ops
{
    /// <summary>
    /// Sign activation with the straight-through estimator: forward x &gt;= 0 -> +1 else -1 (sign(-0.0) = +1);
    /// backward g * (|x| &lt;= 1), inclusive at |x| = 1.
    /// </summary>
    public static Tensor Sign(Tensor x)
    {
        OpCheck.NotNull("sign", x, nameof(x));
        var y = Tensor.Uninitialized(x.Shape);
        K.ElementWise.Sign(x.Data, y.Data);
        if (Autograd.ShouldRecord(x)) Node.Attach(Graph.NewNode<SignSteNode>(), y, x);
        return y;
    }

    /// <summary>
    /// Binary weights: forward sign(w) (sign(0) = sign(-0.0) = +1); backward is the identity onto the
    /// latent float weight, with no mask even where |w| &gt; 1.
    /// </summary>
    public static Tensor BinarizeWeights(Tensor w)
    {
        OpCheck.NotNull("binarize_weights", w, nameof(w));
        var y = Tensor.Uninitialized(w.Shape);
        K.ElementWise.Sign(w.Data, y.Data);
        if (Autograd.ShouldRecord(w)) Node.Attach(Graph.NewNode<IdentityNode>().Set("binarize_weights"), y, w);
        return y;
    }

    private sealed class SignSteNode : Node
    {
        public override string OpName => "sign";

        protected internal override void Backward()
        {
            var x = Inputs[0];
            var dst = x.BeginGrad(out var scratch);
            K.ElementWise.SignSteBackward(x.Data, Output.Grad, dst);
            x.CommitGrad(scratch);
        }
    }

    /// <summary>Passes the gradient through unchanged (reshape, straight-through weights).</summary>
    private sealed class IdentityNode : Node
    {
        private string name = "";

        public IdentityNode Set(string opName) { name = opName; return this; }

        public override string OpName => name;

        protected internal override void Backward() => Inputs[0].AccumulateGrad(Output.Grad);
    }
}

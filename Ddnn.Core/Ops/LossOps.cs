using K = Ddnn.Kernels;

namespace Ddnn.Core;

public static partial class Ops
{
    /// <summary>
    /// Softmax cross-entropy of logits (N,C) against integer labels, PyTorch "mean" semantics: the weighted
    /// mean over rows whose label is not <paramref name="ignoreLabel"/> (weights default to 1). Ignored rows
    /// get zero gradient. When every row is ignored the loss is 0 with zero gradient (PyTorch gives NaN).
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> labels, int ignoreLabel = -1, ReadOnlySpan<float> rowWeights = default)
    {
        const string op = "cross_entropy";
        OpCheck.NotNull(op, logits, nameof(logits));
        OpCheck.Rank(op, logits, nameof(logits), 2);
        int rows = logits.Shape[0], cols = logits.Shape[1];
        if (labels.Length != rows)
            throw new ArgumentException($"{op}: {labels.Length} labels for logits {logits.ShapeText}; expected {rows}.", nameof(labels));
        if (!rowWeights.IsEmpty && rowWeights.Length != rows)
            throw new ArgumentException($"{op}: {rowWeights.Length} row weights for logits {logits.ShapeText}; expected {rows}.", nameof(rowWeights));
        var record = Autograd.ShouldRecord(logits);
        var dlogits = record ? Graph.RentCurrent(logits.Length) : null;
        var y = Tensor.Uninitialized();
        y.Data[0] = K.CrossEntropy.Forward(rows, cols, logits.Data, labels, ignoreLabel, rowWeights, dlogits);
        if (record) Node.Attach(Graph.NewNode<CrossEntropyNode>().Set(dlogits!), y, logits);
        return y;
    }

    /// <summary>Row-wise softmax of x (N,C).</summary>
    public static Tensor Softmax(Tensor x)
    {
        OpCheck.NotNull("softmax", x, nameof(x));
        OpCheck.Rank("softmax", x, "input", 2);
        var y = Tensor.Uninitialized(x.Shape[0], x.Shape[1]);
        K.Softmax.Forward(x.Shape[0], x.Shape[1], x.Data, y.Data);
        if (Autograd.ShouldRecord(x)) Node.Attach(Graph.NewNode<SoftmaxNode>(), y, x);
        return y;
    }

    /// <summary>
    /// Normalized entropy of each row's softmax, eta = -sum p log p / log C in [0, 1], with log p from
    /// log-softmax (so 0 log 0 = 0). Not differentiable; returns (N).
    /// </summary>
    public static Tensor NormalizedEntropy(Tensor logits)
    {
        OpCheck.NotNull("normalized_entropy", logits, nameof(logits));
        OpCheck.Rank("normalized_entropy", logits, nameof(logits), 2);
        if (logits.Shape[1] < 2)
            throw new ArgumentException($"normalized_entropy: logits {logits.ShapeText} need at least 2 classes.", nameof(logits));
        var eta = Tensor.Uninitialized(logits.Shape[0]);
        K.Softmax.NormalizedEntropy(logits.Shape[0], logits.Shape[1], logits.Data, eta.Data);
        return eta;
    }

    private sealed class CrossEntropyNode : Node
    {
        private float[] dlogits = [];

        public CrossEntropyNode Set(float[] gradient) { dlogits = gradient; return this; }

        public override string OpName => "cross_entropy";

        protected internal override void Backward()
        {
            var x = Inputs[0];
            var dst = x.BeginGrad(out var scratch);
            K.ElementWise.Scale(dlogits, Output.Grad[0], dst);
            x.CommitGrad(scratch);
        }
    }

    private sealed class SoftmaxNode : Node
    {
        public override string OpName => "softmax";

        protected internal override void Backward()
        {
            // dx = y * (g - sum_j g_j y_j) per row.
            var x = Inputs[0];
            int rows = x.Shape[0], cols = x.Shape[1];
            ReadOnlySpan<float> y = Output.Data;
            ReadOnlySpan<float> g = Output.Grad;
            var dx = x.BeginGrad(out var scratch);
            for (var r = 0; r < rows; r++)
            {
                var yr = y.Slice(r * cols, cols);
                var gr = g.Slice(r * cols, cols);
                var dr = dx.Slice(r * cols, cols);
                var dot = (float)K.Reduce.Dot(gr, yr);
                K.ElementWise.AddScalar(gr, -dot, dr);
                K.ElementWise.Multiply(dr, yr, dr);
            }
            x.CommitGrad(scratch);
        }
    }
}

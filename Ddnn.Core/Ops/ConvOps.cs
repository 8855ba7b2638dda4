using K = Ddnn.Kernels;

namespace Ddnn.Core;

public static partial class Ops
{
    /// <summary>
    /// 2-d cross-correlation with zero padding: x (N,Cin,H,W), weight (Cout,Cin,kH,kW), bias (Cout) or null
    /// -> (N,Cout,Ho,Wo) with Ho = floor((H + 2·pad - kH) / stride) + 1.
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, int stride = 1, int padding = 0)
    {
        OpCheck.NotNull("conv2d", x, nameof(x)); OpCheck.NotNull("conv2d", weight, nameof(weight));
        OpCheck.Rank("conv2d", x, "input", 4); OpCheck.Rank("conv2d", weight, nameof(weight), 4);
        if (x.Shape[1] != weight.Shape[1])
            throw new ArgumentException($"conv2d: input {x.ShapeText} has {x.Shape[1]} channels but weight {weight.ShapeText} expects {weight.Shape[1]}.", nameof(weight));
        if (stride < 1) throw new ArgumentOutOfRangeException(nameof(stride), stride, "conv2d: stride must be at least 1.");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "conv2d: padding must be non-negative.");
        int kh = weight.Shape[2], kw = weight.Shape[3];
        if (x.Shape[2] + 2 * padding < kh || x.Shape[3] + 2 * padding < kw)
            throw new ArgumentException($"conv2d: input {x.ShapeText} with padding {padding} is smaller than the kernel of weight {weight.ShapeText}.", nameof(x));
        if (bias is not null && (bias.Rank != 1 || bias.Length != weight.Shape[0])) OpCheck.Vector("conv2d", bias, nameof(bias), weight.Shape[0], $"one per output channel of weight {weight.ShapeText}");
        var s = new K.Conv2dShape(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], weight.Shape[0], kh, kw, stride, stride, padding, padding);
        var y = Tensor.Uninitialized(s.Batch, s.OutChannels, s.OutHeight, s.OutWidth);
        K.Conv2d.Forward(in s, x.Data, weight.Data, bias is null ? default : bias.Data, y.Data);
        var record = bias is null ? Autograd.ShouldRecord(x, weight) : Autograd.ShouldRecord(x, weight, bias);
        if (record)
        {
            if (bias is null) Node.Attach(Graph.NewNode<Conv2dNode>().Set(s), y, x, weight);
            else Node.Attach(Graph.NewNode<Conv2dNode>().Set(s), y, x, weight, bias);
        }
        return y;
    }

    private sealed class Conv2dNode : Node
    {
        private K.Conv2dShape shape;

        public Conv2dNode Set(K.Conv2dShape s) { shape = s; return this; }

        public override string OpName => "conv2d";

        protected internal override void Backward()
        {
            var g = Output.Grad;
            var x = Inputs[0];
            var w = Inputs[1];
            var b = Inputs.Length > 2 ? Inputs[2] : null;
            if (x.RequiresGrad)
            {
                var dx = x.BeginGrad(out var scratch);
                K.Conv2d.BackwardInput(in shape, g, w.Data, dx);
                x.CommitGrad(scratch);
            }
            var wantW = w.RequiresGrad;
            var wantB = b is { RequiresGrad: true };
            if (!wantW && !wantB) return;
            if (wantW && wantB && w.HasGrad == b!.HasGrad)
            {
                var dw = w.GradForKernel(out var acc);
                var db = b.GradForKernel(out _);
                K.Conv2d.BackwardWeight(in shape, x.Data, g, dw, db, acc);
                return;
            }
            // Mixed gradient states (or only one wanted): route the unwanted/fresh part through zeroed storage.
            bool dwAccumulate = false, dbAccumulate = false;
            var dwSpan = wantW ? w.GradForKernel(out dwAccumulate) : Graph.RentCurrent(w.Length);
            var dbSpan = wantB ? b!.GradForKernel(out dbAccumulate) : Span<float>.Empty;
            if (!dwAccumulate) dwSpan.Clear();
            if (!dbAccumulate) dbSpan.Clear();
            K.Conv2d.BackwardWeight(in shape, x.Data, g, dwSpan, dbSpan, true);
        }
    }
}

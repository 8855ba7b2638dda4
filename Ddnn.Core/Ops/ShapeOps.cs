namespace Ddnn.Core;

public static partial class Ops
{
    /// <summary>Same values with a new shape of equal volume; shares storage with <paramref name="x"/>.</summary>
    public static Tensor Reshape(Tensor x, params ReadOnlySpan<int> shape)
    {
        OpCheck.NotNull("reshape", x, nameof(x));
        var length = ShapeUtil.Volume(shape, nameof(shape));
        if (length != x.Length)
            throw new ArgumentException($"reshape: input {x.ShapeText} has {x.Length} values but shape {ShapeUtil.Format(shape)} needs {length}.", nameof(shape));
        var y = Tensor.View(x.Data, shape);
        if (Autograd.ShouldRecord(x)) Node.Attach(Graph.NewNode<IdentityNode>().Set("reshape"), y, x);
        return y;
    }

    /// <summary>Flattens every dimension after the first: (N, ...) -> (N, prod(...)), in C order.</summary>
    public static Tensor Flatten(Tensor x)
    {
        OpCheck.NotNull("flatten", x, nameof(x));
        if (x.Rank < 1) throw new ArgumentException($"flatten: input {x.ShapeText} needs a batch dimension.", nameof(x));
        return Reshape(x, x.Shape[0], ShapeUtil.Inner(x.Shape, 1));
    }

    /// <summary>
    /// Slice <paramref name="index"/> of axis 1: (N, D, ...) -> (N, ...), e.g. one device's view of a
    /// multi-view batch. Copies; the gradient flows back into that slice only.
    /// </summary>
    public static Tensor Select(Tensor x, int index)
    {
        OpCheck.NotNull("select", x, nameof(x));
        if (x.Rank < 2) throw new ArgumentException($"select: input {x.ShapeText} must have rank >= 2 (N, D, ...).", nameof(x));
        int batch = x.Shape[0], count = x.Shape[1];
        if ((uint)index >= (uint)count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"select: index must be in [0, {count}) for input {x.ShapeText}.");
        var inner = ShapeUtil.Inner(x.Shape, 2);
        Span<int> shape = stackalloc int[x.Rank - 1];
        shape[0] = batch;
        x.Shape.AsSpan(2).CopyTo(shape[1..]);
        var y = Tensor.Uninitialized(shape);
        for (var b = 0; b < batch; b++)
            x.Data.AsSpan((b * count + index) * inner, inner).CopyTo(y.Data.AsSpan(b * inner, inner));
        if (Autograd.ShouldRecord(x)) Node.Attach(Graph.NewNode<SelectNode>().Set(batch, count, inner, index), y, x);
        return y;
    }

    private sealed class SelectNode : Node
    {
        private int batch, count, inner, index;

        public SelectNode Set(int n, int slices, int sliceLength, int at)
        {
            (batch, count, inner, index) = (n, slices, sliceLength, at);
            return this;
        }

        public override string OpName => "select";

        protected internal override void Backward()
        {
            var x = Inputs[0];
            ReadOnlySpan<float> g = Output.Grad;
            var dx = x.GradForKernel(out var accumulate);
            if (!accumulate) dx.Clear();
            for (var b = 0; b < batch; b++)
            {
                var slot = dx.Slice((b * count + index) * inner, inner);
                Kernels.ElementWise.Add(slot, g.Slice(b * inner, inner), slot);
            }
        }
    }

    /// <summary>Concatenates tensors (N, C_i, ...) with equal trailing dimensions along axis 1 (channels).</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> parts) => ConcatCore("concat", parts, null, stack: false);

    /// <summary>
    /// Concatenates along axis 1 under a per-sample mask of present parts: an absent part's slot holds zeros
    /// (neither +1 nor -1) for that sample and receives no gradient. Part i is device i of the mask.
    /// </summary>
    public static Tensor MaskedConcat(IReadOnlyList<Tensor> parts, DeviceMask? mask) => ConcatCore("masked_concat", parts, mask, stack: false);

    /// <summary>Stacks equally shaped tensors (N, ...) into (N, D, ...), D = number of parts (the device axis).</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> parts) => ConcatCore("stack", parts, null, stack: true);

    private static Tensor ConcatCore(string op, IReadOnlyList<Tensor> parts, DeviceMask? mask, bool stack)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException($"{op}: needs at least one tensor.", nameof(parts));
        var first = parts[0];
        OpCheck.NotNull(op, first, "parts[0]");
        var minRank = stack ? 1 : 2;
        if (first.Rank < minRank) throw new ArgumentException($"{op}: parts[0] {first.ShapeText} must have rank >= {minRank}.", nameof(parts));
        var batch = first.Shape[0];
        var trailingFrom = stack ? 1 : 2;
        var inner = Graph.RentCurrentInts(parts.Count);
        var total = 0;
        for (var i = 0; i < parts.Count; i++)
        {
            var p = parts[i];
            if (p is null) throw new ArgumentNullException(nameof(parts), $"{op}: parts[{i}] is null.");
            var compatible = p.Rank == first.Rank && p.Shape[0] == batch &&
                             ShapeUtil.Equal(p.Shape.AsSpan(trailingFrom), first.Shape.AsSpan(trailingFrom));
            if (!compatible)
                throw new ArgumentException(stack
                    ? $"{op}: parts[{i}] {p.ShapeText} differs from parts[0] {first.ShapeText}; stacked tensors must have the same shape."
                    : $"{op}: parts[{i}] {p.ShapeText} does not match parts[0] {first.ShapeText} outside axis 1.", nameof(parts));
            inner[i] = p.Length / Math.Max(batch, 1);
            total += inner[i];
        }
        if (mask is not null && (mask.Batch != batch || mask.Devices != parts.Count))
            throw new ArgumentException($"{op}: mask is {mask.Batch}x{mask.Devices} (samples x devices) but there are {parts.Count} parts of batch {batch}.", nameof(mask));

        Span<int> shape = stackalloc int[stack ? first.Rank + 1 : first.Rank];
        if (stack)
        {
            shape[0] = batch;
            shape[1] = parts.Count;
            first.Shape.AsSpan(1).CopyTo(shape[2..]);
        }
        else
        {
            first.Shape.CopyTo(shape);
            shape[1] = 0;
            for (var i = 0; i < parts.Count; i++) shape[1] += parts[i].Shape[1];
        }
        var y = Tensor.Uninitialized(shape);
        var dst = y.Data.AsSpan();
        for (var b = 0; b < batch; b++)
        {
            var offset = b * total;
            for (var i = 0; i < parts.Count; i++)
            {
                var slot = dst.Slice(offset, inner[i]);
                if (mask is null || mask.IsPresent(b, i)) parts[i].Data.AsSpan(b * inner[i], inner[i]).CopyTo(slot);
                else slot.Clear();
                offset += inner[i];
            }
        }
        var record = false;
        if (Autograd.IsGradEnabled)
            for (var i = 0; i < parts.Count; i++) record |= parts[i].RequiresGrad;
        if (record) Node.Attach(Graph.NewNode<ConcatNode>().Set(op, batch, inner, total, mask), y, parts);
        return y;
    }

    private sealed class ConcatNode : Node
    {
        private string name = "";
        private int batch, total;
        private int[] inner = [];
        private DeviceMask? mask;

        public ConcatNode Set(string opName, int n, int[] partLengths, int rowLength, DeviceMask? present)
        {
            (name, batch, inner, total, mask) = (opName, n, partLengths, rowLength, present);
            return this;
        }

        public override string OpName => name;

        protected internal override void Backward()
        {
            ReadOnlySpan<float> g = Output.Grad;
            var offset = 0;
            for (var i = 0; i < Inputs.Length; i++)
            {
                var part = Inputs[i];
                if (part.RequiresGrad)
                {
                    var dst = part.BeginGrad(out var scratch);
                    for (var b = 0; b < batch; b++)
                    {
                        var slot = dst.Slice(b * inner[i], inner[i]);
                        if (mask is null || mask.IsPresent(b, i)) g.Slice(b * total + offset, inner[i]).CopyTo(slot);
                        else slot.Clear();
                    }
                    part.CommitGrad(scratch);
                }
                offset += inner[i];
            }
        }
    }
}

using System.Runtime.CompilerServices;

namespace Ddnn.Core;

/// <summary>
/// A float32 tensor: a shape plus contiguous row-major storage, an optional gradient and the node that
/// produced it. Tensors made by ops while a <see cref="Graph"/> is active borrow their storage from that
/// graph and stay valid until <see cref="Graph.Release"/>; parameters and buffers own their storage.
/// </summary>
public class Tensor
{
    private GradientSlot _gradient;
    private Graph? _owner;
    private int _ownerGeneration;

    /// <summary>Wraps <paramref name="data"/> (not copied) with the given shape.</summary>
    public Tensor(float[] data, params int[] shape) : this(data, shape, null) { }

    internal Tensor(float[] data, int[] shape, Graph? owner)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        var length = ShapeUtil.Volume(shape, nameof(shape));
        if (data.Length != length)
            throw new ArgumentException($"data has {data.Length} values but shape {ShapeUtil.Format(shape)} needs {length}.", nameof(data));
        Data = data;
        Shape = shape;
        _owner = owner;
        _ownerGeneration = owner?.Generation ?? 0;
    }

    /// <summary>A zero-filled tensor with its own storage.</summary>
    public static Tensor Zeros(params int[] shape) => new(new float[ShapeUtil.Volume(shape, nameof(shape))], (int[])shape.Clone());

    /// <summary>A tensor holding a copy of <paramref name="values"/>.</summary>
    public static Tensor FromValues(ReadOnlySpan<float> values, params int[] shape)
    {
        var t = Zeros(shape);
        if (values.Length != t.Length)
            throw new ArgumentException($"{values.Length} values given for shape {ShapeUtil.Format(shape)} ({t.Length}).", nameof(values));
        values.CopyTo(t.Data);
        return t;
    }

    /// <summary>
    /// A tensor of the given shape whose storage comes from the active graph (or the heap); contents are undefined.
    /// Within a graph the tensor object itself is reused by the graph's next pass after <see cref="Graph.Release"/>.
    /// </summary>
    public static Tensor Uninitialized(params ReadOnlySpan<int> shape)
    {
        var graph = Graph.Current;
        var length = ShapeUtil.Volume(shape, nameof(shape));
        return graph is null ? new Tensor(new float[length], shape.ToArray(), null) : graph.RentTensor(graph.Rent(length), shape);
    }

    /// <summary>A tensor over <paramref name="data"/> (shared) from the active graph, or a new one when none is active.</summary>
    internal static Tensor View(float[] data, ReadOnlySpan<int> shape)
    {
        var graph = Graph.Current;
        return graph is null ? new Tensor(data, shape.ToArray(), null) : graph.RentTensor(data, shape);
    }

    /// <summary>Turns a tensor of a released pass into a fresh one of the graph's current pass.</summary>
    internal void Reuse(float[] data, ReadOnlySpan<int> shape, Graph owner)
    {
        var length = ShapeUtil.Volume(shape, nameof(shape));
        if (data.Length != length)
            throw new ArgumentException($"data has {data.Length} values but shape {ShapeUtil.Format(shape)} needs {length}.", nameof(data));
        Data = data;
        if (Shape.Length == shape.Length) shape.CopyTo(Shape);
        else Shape = shape.ToArray();
        _owner = owner;
        _ownerGeneration = owner.Generation;
        _gradient = default;
        RequiresGrad = false;
        Creator = null;
        VisitStamp = 0;
    }

    /// <summary>Storage, exactly <see cref="Length"/> values in row-major order.</summary>
    public float[] Data { get; private set; }

    /// <summary>Dimensions, outermost first. Do not modify.</summary>
    public int[] Shape { get; private set; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>Number of values.</summary>
    public int Length => Data.Length;

    /// <summary>The values as a span.</summary>
    public Span<float> Span => Data;

    /// <summary>True when gradients flow into this tensor (parameters, and op results depending on them).</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>The op that produced this tensor while recording, or null for leaves.</summary>
    internal Node? Creator { get; set; }

    /// <summary>True once a gradient has been written since the last <see cref="ZeroGrad"/>.</summary>
    public bool HasGrad => Gradient.Written;

    /// <summary>The accumulated gradient (same shape), or an empty span when none has been written.</summary>
    public Span<float> Grad
    {
        get
        {
            ref var slot = ref Gradient;
            return slot.Written ? slot.Values : Span<float>.Empty;
        }
    }

    /// <summary>Forgets the gradient; the next backward pass overwrites instead of accumulating.</summary>
    public void ZeroGrad()
    {
        _gradient.Written = false;
        ForgetLaneGradients();
    }

    /// <summary>The gradient storage that ops of the calling thread's pass read and write (a parameter has one per lane).</summary>
    private protected virtual ref GradientSlot Gradient => ref _gradient;

    /// <summary>The gradient outside any lane: what optimizers read.</summary>
    private protected ref GradientSlot OwnGradient => ref _gradient;

    /// <summary>Forgets gradients kept besides <see cref="OwnGradient"/> (a parameter's other lanes).</summary>
    private protected virtual void ForgetLaneGradients() { }

    /// <summary>Size of dimension <paramref name="axis"/> (negative counts from the end).</summary>
    public int Dim(int axis) => Shape[axis < 0 ? Shape.Length + axis : axis];

    /// <summary>Shape as "(a,b,c)" for messages.</summary>
    public string ShapeText => ShapeUtil.Format(Shape);

    internal int VisitStamp;

    /// <summary>
    /// A span to write this tensor's gradient contribution into: the gradient itself when none exists yet
    /// (<paramref name="scratch"/> null), else a scratch buffer that <see cref="CommitGrad"/> adds in.
    /// </summary>
    internal Span<float> BeginGrad(out float[]? scratch)
    {
        ref var slot = ref Gradient;
        if (!slot.Written)
        {
            slot.Values ??= AllocateGrad();
            scratch = null;
            return slot.Values;
        }
        scratch = RentScratch();
        return scratch;
    }

    /// <summary>Finishes <see cref="BeginGrad"/>: marks the gradient written, or adds the scratch contribution.</summary>
    internal void CommitGrad(float[]? scratch)
    {
        ref var slot = ref Gradient;
        if (scratch is null) { slot.Written = true; return; }
        Kernels.ElementWise.Add(slot.Values, scratch, slot.Values);
    }

    /// <summary>Adds <paramref name="contribution"/> to the gradient (copying when there is none yet).</summary>
    internal void AccumulateGrad(ReadOnlySpan<float> contribution)
    {
        var grad = GradForKernel(out var accumulate);
        if (accumulate) Kernels.ElementWise.Add(grad, contribution, grad);
        else contribution.CopyTo(grad);
    }

    /// <summary>
    /// Gradient storage for kernels with an accumulate flag: <paramref name="accumulate"/> is true when a
    /// gradient already exists and must be added to (a caller that only adds clears it when false); the
    /// gradient counts as written afterwards.
    /// </summary>
    internal Span<float> GradForKernel(out bool accumulate)
    {
        ref var slot = ref Gradient;
        accumulate = slot.Written;
        slot.Values ??= AllocateGrad();
        slot.Written = true;
        return slot.Values;
    }

    private protected float[] AllocateGrad() => _owner is not null && _owner.Generation == _ownerGeneration ? _owner.Rent(Length) : new float[Length];

    private float[] RentScratch() => Graph.RentCurrent(Length);

    /// <summary>The single value of a one-element tensor (e.g. a loss).</summary>
    public float Item()
    {
        if (Length != 1) throw new InvalidOperationException($"Item() needs a one-element tensor but this one has shape {ShapeText}.");
        return Data[0];
    }

    /// <summary>Copies the values into a new array.</summary>
    public float[] ToArray() => (float[])Data.Clone();

    /// <inheritdoc />
    public override string ToString() => $"Tensor{ShapeText}";

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool SameShape(Tensor other) => ShapeUtil.Equal(Shape, other.Shape);
}

/// <summary>A gradient buffer and whether it holds a value since the last reset.</summary>
internal struct GradientSlot
{
    public float[]? Values;
    public bool Written;
}

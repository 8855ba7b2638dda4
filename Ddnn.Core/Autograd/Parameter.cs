namespace Ddnn.Core;

/// <summary>
/// A trainable tensor that owns its storage and gradient. Passes recorded on the lanes of a <see cref="BatchSplit"/>
/// write their gradients into per-lane buffers of the parameter instead; <see cref="BatchSplit.GatherGradients"/>
/// adds them into <see cref="Tensor.Grad"/> in lane order.
/// </summary>
public sealed class Parameter : Tensor
{
    // Lane k >= 1 of a batch split keeps its gradient at k - 1; lane 0 (and every thread outside a split) uses the own one.
    private GradientSlot[] _lanes = [];

    /// <summary>A zero-filled parameter of the given shape.</summary>
    public Parameter(params int[] shape) : base(new float[ShapeUtil.Volume(shape, nameof(shape))], (int[])shape.Clone(), null)
    {
        RequiresGrad = true;
    }

    /// <summary>
    /// True for the latent float weights behind binary (sign) weights; optimizers clip these to [-1, 1]
    /// after each step.
    /// </summary>
    public bool IsBinaryLatent { get; init; }

    private protected override ref GradientSlot Gradient
    {
        get
        {
            var lane = Graph.CurrentLane;
            if (lane == 0) return ref OwnGradient;
            if (lane > _lanes.Length)
                throw new InvalidOperationException($"parameter {ShapeText} has no gradient lane {lane}; prepare it with BatchSplit.Prepare before the passes.");
            return ref _lanes[lane - 1];
        }
    }

    private protected override void ForgetLaneGradients()
    {
        for (var i = 0; i < _lanes.Length; i++) _lanes[i].Written = false;
    }

    /// <summary>Makes room for the gradients of lanes 1 .. <paramref name="lanes"/> − 1 (call before the lanes run).</summary>
    internal void EnsureLanes(int lanes)
    {
        if (lanes - 1 > _lanes.Length) Array.Resize(ref _lanes, lanes - 1);
    }

    /// <summary>Adds every lane's gradient into the own one in lane order and forgets the lanes.</summary>
    internal void GatherLanes()
    {
        ref var own = ref OwnGradient;
        for (var i = 0; i < _lanes.Length; i++)
        {
            ref var lane = ref _lanes[i];
            if (!lane.Written) continue;
            if (own.Written)
            {
                Kernels.ElementWise.Add(own.Values, lane.Values, own.Values);
            }
            else
            {
                own.Values ??= AllocateGrad();
                lane.Values.AsSpan().CopyTo(own.Values);
                own.Written = true;
            }
            lane.Written = false;
        }
    }
}

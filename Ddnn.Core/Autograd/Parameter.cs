namespace Ddnn.Core;

/// <summary>A trainable tensor that owns its storage and gradient.</summary>
public sealed class Parameter : Tensor
{
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
}

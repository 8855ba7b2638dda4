using Ddnn.Core;
using Ddnn.TestSupport;

namespace Ddnn.Core.Tests;

/// <summary>Builders that turn golden tensors and arrays into engine tensors.</summary>
internal static class TestTensors
{
    /// <summary>A leaf tensor with a copy of the golden values that records gradients.</summary>
    public static Tensor Leaf(GoldenTensor g, bool requiresGrad = true)
    {
        var t = Tensor.FromValues(g.ToFloat(), g.Shape);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    /// <summary>A leaf tensor from values that records gradients.</summary>
    public static Tensor Leaf(float[] values, params int[] shape)
    {
        var t = Tensor.FromValues(values, shape);
        t.RequiresGrad = true;
        return t;
    }

    public static float[] Floats(this GoldenTensor g) => g.ToFloat();
}

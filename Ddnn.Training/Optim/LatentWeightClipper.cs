using Ddnn.Core;
using Ddnn.Kernels;

namespace Ddnn.Training.Optim;

/// <summary>Clips latent binary weights to [-1, 1] (BinaryConnect), leaving every other parameter alone.</summary>
internal static class LatentWeightClipper
{
    /// <summary>Clamps each parameter with <see cref="Parameter.IsBinaryLatent"/> to [-1, 1] in place.</summary>
    public static void Clip(IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var p in parameters) Clip(p);
    }

    /// <summary>Clamps <paramref name="parameter"/> to [-1, 1] in place if it is <see cref="Parameter.IsBinaryLatent"/>.</summary>
    public static void Clip(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        if (parameter.IsBinaryLatent) ElementWise.Clip(parameter.Data, -1f, 1f, parameter.Data);
    }
}

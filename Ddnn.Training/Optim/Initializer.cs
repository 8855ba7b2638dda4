using Ddnn.Core;
using Ddnn.Core.Layers;
using Ddnn.Core.Randomness;

namespace Ddnn.Training.Optim;

/// <summary>
/// Seeded parameter initialization: conv weights N(0, sqrt(1/(k²·Cin))), linear weights N(0, sqrt(1/in)),
/// biases 0, batch norm gamma 1, beta 0 and running statistics reset (mean 0, variance 1). Every parameter
/// draws from its own stream derived from the seed and its dotted name, so the result does not depend on
/// the order in which modules are visited.
/// </summary>
public sealed class Initializer(ulong seed)
{
    /// <summary>The seed all streams derive from.</summary>
    public ulong Seed { get; } = seed;

    /// <summary>Initializes every conv, linear and batch norm layer inside <paramref name="module"/>.</summary>
    public void Initialize(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        Visit(module, "");
    }

    private void Visit(Module module, string prefix)
    {
        switch (module)
        {
            case Conv2d conv:
                FillNormal(conv.Weight, prefix + "weight", Math.Sqrt(1.0 / (conv.Kernel * conv.Kernel * conv.InChannels)));
                conv.Bias?.Span.Clear();
                break;
            case Linear linear:
                FillNormal(linear.Weight, prefix + "weight", Math.Sqrt(1.0 / linear.InFeatures));
                linear.Bias?.Span.Clear();
                break;
            case BatchNormBase bn:
                bn.Weight.Span.Fill(1f);
                bn.Bias.Span.Clear();
                bn.RunningMean.Span.Clear();
                bn.RunningVar.Span.Fill(1f);
                break;
        }
        foreach (var (name, child) in module.Children()) Visit(child, prefix + name + ".");
    }

    private void FillNormal(Tensor t, string name, double std)
    {
        var rng = SeededRandom.Derive(Seed, Fnv1a64(name));
        var data = t.Span;
        for (var i = 0; i < data.Length; i++) data[i] = (float)(rng.NextGaussian() * std);
    }

    /// <summary>FNV-1a 64-bit hash of the UTF-16 code units of <paramref name="text"/>.</summary>
    internal static ulong Fnv1a64(string text)
    {
        var h = 0xCBF29CE484222325UL;
        foreach (var ch in text)
        {
            h ^= ch;
            h *= 0x100000001B3UL;
        }
        return h;
    }
}

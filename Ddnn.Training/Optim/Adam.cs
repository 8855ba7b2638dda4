using Ddnn.Core;
using Ddnn.Kernels;

namespace Ddnn.Training.Optim;

/// <summary>
/// Adam with PyTorch's formula: m = b1·m + (1-b1)·g, v = b2·v + (1-b2)·g², then
/// p -= (lr / (1 - b1^t)) · m / (sqrt(v) / sqrt(1 - b2^t) + eps) — eps after the bias-corrected root.
/// </summary>
public sealed class Adam : Optimizer
{
    private readonly float[][] _m;
    private readonly float[][] _v;
    private readonly int[] _steps;

    /// <summary>Adam over <paramref name="parameters"/> (defaults lr 1e-3, betas 0.9/0.999, eps 1e-8).</summary>
    public Adam(IEnumerable<Parameter> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float eps = 1e-8f, bool clipLatentWeights = true) : base(parameters, clipLatentWeights)
    {
        if (!(learningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "must be non-negative.");
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "must be in [0, 1).");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "must be in [0, 1).");
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "must be non-negative.");
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        _m = new float[Parameters.Count][];
        _v = new float[Parameters.Count][];
        _steps = new int[Parameters.Count];
        for (var i = 0; i < Parameters.Count; i++)
        {
            _m[i] = new float[Parameters[i].Length];
            _v[i] = new float[Parameters[i].Length];
        }
    }

    /// <summary>Learning rate (may be changed between steps, e.g. by a schedule).</summary>
    public float LearningRate { get; set; }

    /// <summary>First-moment decay.</summary>
    public float Beta1 { get; }

    /// <summary>Second-moment decay.</summary>
    public float Beta2 { get; }

    /// <summary>Added to the bias-corrected root of the second moment.</summary>
    public float Eps { get; }

    /// <summary>First moment of parameter <paramref name="index"/> (for inspection and tests).</summary>
    public ReadOnlySpan<float> FirstMoment(int index) => _m[index];

    /// <summary>Second moment of parameter <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> SecondMoment(int index) => _v[index];

    /// <summary>Steps taken so far for parameter <paramref name="index"/> (its bias-correction counter).</summary>
    public int StepsOf(int index) => _steps[index];

    /// <summary>
    /// Restores parameter <paramref name="index"/>'s moments and step counter, e.g. from a training checkpoint, so
    /// that the next <see cref="Optimizer.Step"/> continues exactly where the saved run left off.
    /// </summary>
    public void RestoreState(int index, ReadOnlySpan<float> firstMoment, ReadOnlySpan<float> secondMoment, int steps)
    {
        if ((uint)index >= (uint)Parameters.Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"must be in [0, {Parameters.Count}).");
        var length = Parameters[index].Length;
        if (firstMoment.Length != length)
            throw new ArgumentException($"first moment of parameter #{index} has {firstMoment.Length} values, expected {length}.", nameof(firstMoment));
        if (secondMoment.Length != length)
            throw new ArgumentException($"second moment of parameter #{index} has {secondMoment.Length} values, expected {length}.", nameof(secondMoment));
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "must be non-negative.");
        firstMoment.CopyTo(_m[index]);
        secondMoment.CopyTo(_v[index]);
        _steps[index] = steps;
    }

    private protected override void Update(int index, Parameter parameter, ReadOnlySpan<float> gradient)
    {
        // Each parameter counts its own steps, as PyTorch's per-parameter state does.
        var t = ++_steps[index];
        OptimizerKernels.AdamStep(parameter.Data, gradient, _m[index], _v[index], LearningRate, Beta1, Beta2, Eps, t);
    }
}

using Ddnn.Core;

namespace Ddnn.Training.Optim;

/// <summary>
/// Base of the optimizers: a fixed list of parameters, a step that updates those with a gradient, and an
/// optional clip of latent binary weights to [-1, 1] after every step.
/// </summary>
public abstract class Optimizer
{
    private readonly Parameter[] _parameters;

    private protected Optimizer(IEnumerable<Parameter> parameters, bool clipLatentWeights)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToArray();
        for (var i = 0; i < _parameters.Length; i++)
            if (_parameters[i] is null) throw new ArgumentException($"parameter #{i} is null.", nameof(parameters));
        if (_parameters.Distinct().Count() != _parameters.Length)
            throw new ArgumentException("a parameter appears more than once.", nameof(parameters));
        ClipLatentWeights = clipLatentWeights;
    }

    /// <summary>The optimized parameters, in the order given.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>When true, <see cref="Step"/> clips every <see cref="Parameter.IsBinaryLatent"/> parameter to [-1, 1] afterwards.</summary>
    public bool ClipLatentWeights { get; }

    /// <summary>Number of steps taken.</summary>
    public int StepCount { get; private set; }

    /// <summary>Sets <see cref="StepCount"/> when resuming from a checkpoint.</summary>
    public void RestoreStepCount(int steps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        StepCount = steps;
    }

    /// <summary>
    /// Updates every parameter that has a gradient (parameters without one are skipped, as in PyTorch with
    /// set_to_none), then clips latent binary weights if enabled.
    /// </summary>
    public void Step() => StepPart(0, 1);

    /// <summary>
    /// Part <paramref name="part"/> of <paramref name="parts"/> of one <see cref="Step"/>, for a step shared by threads:
    /// updates and clips the parameters whose index is <paramref name="part"/> modulo <paramref name="parts"/>; part 0
    /// counts the step. A parameter's update reads only its own gradient and state, so the parts of one step may run
    /// concurrently and together give the same bits as <see cref="Step"/>.
    /// </summary>
    public void StepPart(int part, int parts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(part);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(part, parts);
        if (part == 0) StepCount++;
        for (var i = part; i < _parameters.Length; i += parts)
        {
            var p = _parameters[i];
            if (p.HasGrad) Update(i, p, p.Grad);
            if (ClipLatentWeights) LatentWeightClipper.Clip(p);
        }
    }

    /// <summary>Forgets every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.ZeroGrad();
    }

    /// <summary>Applies one update to parameter <paramref name="index"/>.</summary>
    private protected abstract void Update(int index, Parameter parameter, ReadOnlySpan<float> gradient);
}

using Ddnn.Core;
using Ddnn.Kernels;

namespace Ddnn.Training.Optim;

/// <summary>
/// Stochastic gradient descent with PyTorch's momentum semantics (dampening 0): the first step sets the
/// buffer to g, later steps buf = momentum·buf + g; p -= lr·buf (or lr·(g + momentum·buf) with Nesterov).
/// Weight decay adds wd·p to the gradient first.
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly float[]?[] _buffers;
    private readonly bool[] _started;
    private readonly float[] _work;

    /// <summary>SGD over <paramref name="parameters"/>.</summary>
    public Sgd(IEnumerable<Parameter> parameters, float learningRate, float momentum = 0f, float weightDecay = 0f,
        bool nesterov = false, bool clipLatentWeights = true) : base(parameters, clipLatentWeights)
    {
        if (!(learningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "must be non-negative.");
        if (!(momentum >= 0)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "must be non-negative.");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "must be non-negative.");
        if (nesterov && momentum == 0) throw new ArgumentException("Nesterov momentum needs momentum > 0.", nameof(nesterov));
        LearningRate = learningRate;
        Momentum = momentum;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
        _buffers = new float[]?[Parameters.Count];
        _started = new bool[Parameters.Count];
        var longest = 0;
        foreach (var p in Parameters) longest = Math.Max(longest, p.Length);
        _work = new float[longest];
    }

    /// <summary>Learning rate.</summary>
    public float LearningRate { get; set; }

    /// <summary>Momentum factor (0 = plain SGD).</summary>
    public float Momentum { get; }

    /// <summary>L2 penalty added to the gradient.</summary>
    public float WeightDecay { get; }

    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; }

    private protected override void Update(int index, Parameter parameter, ReadOnlySpan<float> gradient)
    {
        var p = parameter.Data.AsSpan();
        var g = _work.AsSpan(0, p.Length);
        if (WeightDecay != 0) ElementWise.AddScaled(gradient, WeightDecay, p, g);
        else gradient.CopyTo(g);
        if (Momentum == 0)
        {
            ElementWise.AddScaled(p, -LearningRate, g, p);
            return;
        }
        var buf = _buffers[index] ??= new float[p.Length];
        var first = !_started[index];
        _started[index] = true;
        if (!Nesterov)
        {
            OptimizerKernels.SgdMomentumStep(p, g, buf, LearningRate, Momentum, first);
            return;
        }
        if (first) g.CopyTo(buf);
        else
        {
            ElementWise.Scale(buf, Momentum, buf);
            ElementWise.Add(buf, g, buf);
        }
        ElementWise.AddScaled(g, Momentum, buf, g);
        ElementWise.AddScaled(p, -LearningRate, g, p);
    }
}

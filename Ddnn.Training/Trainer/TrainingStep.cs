using Ddnn.Core;
using Ddnn.Training.Optim;

namespace Ddnn.Training.Trainer;

/// <summary>
/// One optimization step with pooled storage: clears gradients, records the forward under a reused
/// <see cref="Graph"/>, back-propagates the scalar loss, steps the optimizer and releases the graph's buffers.
/// </summary>
public sealed class TrainingStep(Optimizer optimizer)
{
    private readonly Graph _graph = new();

    /// <summary>The optimizer stepped after each backward pass.</summary>
    public Optimizer Optimizer { get; } = optimizer ?? throw new ArgumentNullException(nameof(optimizer));

    /// <summary>
    /// Runs <paramref name="forward"/> (which must return a scalar loss), back-propagates, steps and returns the
    /// loss value. Tensors created inside <paramref name="forward"/> are invalid afterwards.
    /// </summary>
    public float Run(Func<Tensor> forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        Optimizer.ZeroGrad();
        float loss;
        try
        {
            using (_graph.Activate())
            {
                var lossTensor = forward();
                Autograd.Backward(lossTensor);
                loss = lossTensor.Item();
            }
            Optimizer.Step();
        }
        finally
        {
            _graph.Release();
        }
        return loss;
    }
}

namespace Ddnn.Core;

/// <summary>Gradient recording switches and the reverse-mode backward pass.</summary>
public static class Autograd
{
    [ThreadStatic] private static int _noGradDepth;
    [ThreadStatic] private static List<Node>? _order;
    [ThreadStatic] private static Stack<(Tensor, int)>? _stack;
    private static int _stamp;

    /// <summary>False inside <see cref="NoGrad"/>: ops then record nothing.</summary>
    public static bool IsGradEnabled => _noGradDepth == 0;

    /// <summary>Disables recording on this thread until the returned scope is disposed (inference mode).</summary>
    public static NoGradScope NoGrad()
    {
        _noGradDepth++;
        return new NoGradScope(true);
    }

    /// <summary>True when an op over <paramref name="inputs"/> must record a node.</summary>
    internal static bool ShouldRecord(params ReadOnlySpan<Tensor> inputs)
    {
        if (_noGradDepth != 0) return false;
        foreach (var t in inputs)
            if (t.RequiresGrad) return true;
        return false;
    }

    /// <summary>
    /// Back-propagates from the scalar <paramref name="loss"/> (gradient 1). Leaf tensors (parameters) accumulate
    /// into their gradients across calls until <see cref="Tensor.ZeroGrad"/>; intermediate results get fresh
    /// gradients on every call, so running backward twice over one graph adds the leaf gradients twice.
    /// </summary>
    public static void Backward(Tensor loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (loss.Length != 1)
            throw new ArgumentException($"backward: loss must be a scalar but has shape {loss.ShapeText}; use Backward(tensor, gradient).", nameof(loss));
        Backward(loss, [1f]);
    }

    /// <summary>Back-propagates <paramref name="gradient"/> (same shape as <paramref name="output"/>).</summary>
    public static void Backward(Tensor output, ReadOnlySpan<float> gradient)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (gradient.Length != output.Length)
            throw new ArgumentException($"backward: gradient has {gradient.Length} values but output {output.ShapeText} has {output.Length}.", nameof(gradient));
        if (!output.RequiresGrad)
            throw new InvalidOperationException($"backward: output {output.ShapeText} does not require a gradient (nothing was recorded; inside NoGrad, or no parameter involved).");
        var order = TopologicalOrder(output);
        // Intermediate gradients belong to this pass only; leaves (parameters) keep accumulating across passes.
        foreach (var node in order) node.Output.ZeroGrad();
        output.AccumulateGrad(gradient);
        for (var i = order.Count - 1; i >= 0; i--)
        {
            var node = order[i];
            if (node.Output.HasGrad) node.Backward();
        }
        order.Clear();
    }

    /// <summary>Nodes reachable from <paramref name="root"/>, every node after all nodes feeding it.</summary>
    private static List<Node> TopologicalOrder(Tensor root)
    {
        var order = _order ??= new List<Node>();
        var stack = _stack ??= new Stack<(Tensor, int)>();
        order.Clear();
        var stamp = Interlocked.Increment(ref _stamp);
        root.VisitStamp = stamp;
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var node = t.Creator;
            if (node is null) continue;
            var inputs = node.Inputs;
            var descended = false;
            for (var i = next; i < inputs.Length; i++)
            {
                var input = inputs[i];
                if (input.VisitStamp == stamp || input.Creator is null) continue;
                input.VisitStamp = stamp;
                stack.Push((t, i + 1));
                stack.Push((input, 0));
                descended = true;
                break;
            }
            if (!descended) order.Add(node);
        }
        return order;
    }

    /// <summary>Re-enables recording when disposed.</summary>
    public readonly struct NoGradScope : IDisposable
    {
        private readonly bool _active;

        internal NoGradScope(bool active) => _active = active;

        /// <inheritdoc />
        public void Dispose()
        {
            if (_active) _noGradDepth--;
        }
    }
}

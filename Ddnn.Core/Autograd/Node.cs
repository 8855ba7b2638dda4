namespace Ddnn.Core;

/// <summary>
/// One recorded op application: its inputs, its output and the backward rule that turns the output's
/// gradient into gradient contributions for the inputs that require one.
/// </summary>
internal abstract class Node
{
    private Tensor[] _inputs = [];

    /// <summary>The tensors the op read.</summary>
    public ReadOnlySpan<Tensor> Inputs => _inputs;

    /// <summary>The tensor the op produced.</summary>
    public Tensor Output { get; private set; } = null!;

    /// <summary>Short op name for messages.</summary>
    public abstract string OpName { get; }

    /// <summary>Adds this node's input gradients given <see cref="Output"/>'s gradient.</summary>
    protected internal abstract void Backward();

    /// <summary>Links an already-built node into the graph.</summary>
    internal static void Attach(Node node, Tensor output, params ReadOnlySpan<Tensor> inputs)
    {
        if (node._inputs.Length != inputs.Length) node._inputs = new Tensor[inputs.Length];
        inputs.CopyTo(node._inputs);
        Link(node, output);
    }

    /// <summary>Links an already-built node with the inputs <paramref name="inputs"/> into the graph.</summary>
    internal static void Attach(Node node, Tensor output, IReadOnlyList<Tensor> inputs)
    {
        if (node._inputs.Length != inputs.Count) node._inputs = new Tensor[inputs.Count];
        for (var i = 0; i < inputs.Count; i++) node._inputs[i] = inputs[i];
        Link(node, output);
    }

    private static void Link(Node node, Tensor output)
    {
        node.Output = output;
        output.Creator = node;
        output.RequiresGrad = true;
    }
}

namespace Ddnn.Core.Layers;

/// <summary>A tensor with its dotted PyTorch-style name, e.g. "cloud0.conv.weight".</summary>
public readonly record struct NamedTensor(string Name, Tensor Tensor);

/// <summary>A parameter with its dotted PyTorch-style name.</summary>
public readonly record struct NamedParameter(string Name, Parameter Parameter);

/// <summary>
/// Base of every network part: owns named parameters, buffers (state that is not trained, such as batch
/// norm running statistics) and child modules, and a train/eval mode that propagates to the children.
/// Names are dotted paths in registration order, as in PyTorch's state_dict.
/// </summary>
public abstract class Module
{
    private readonly List<(string Name, Parameter Value)> _parameters = new();
    private readonly List<(string Name, Tensor Value)> _buffers = new();
    private readonly List<(string Name, Module Value)> _children = new();

    /// <summary>True in training mode (the default), false in evaluation mode.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Sets training mode on this module and every descendant.</summary>
    public void Train(bool training = true)
    {
        IsTraining = training;
        foreach (var (_, child) in _children) child.Train(training);
    }

    /// <summary>Sets evaluation mode on this module and every descendant.</summary>
    public void Eval() => Train(false);

    /// <summary>Every parameter with its dotted name, depth-first in registration order (own parameters first).</summary>
    public IReadOnlyList<NamedParameter> NamedParameters()
    {
        var list = new List<NamedParameter>();
        CollectParameters("", list);
        return list;
    }

    /// <summary>Every parameter, in the order of <see cref="NamedParameters"/>.</summary>
    public IReadOnlyList<Parameter> Parameters()
    {
        var named = NamedParameters();
        var list = new Parameter[named.Count];
        for (var i = 0; i < list.Length; i++) list[i] = named[i].Parameter;
        return list;
    }

    /// <summary>Every buffer with its dotted name, depth-first in registration order.</summary>
    public IReadOnlyList<NamedTensor> NamedBuffers()
    {
        var list = new List<NamedTensor>();
        CollectBuffers("", list);
        return list;
    }

    /// <summary>Parameters then buffers: everything a saved state holds.</summary>
    public IReadOnlyList<NamedTensor> StateTensors()
    {
        var list = new List<NamedTensor>();
        foreach (var p in NamedParameters()) list.Add(new NamedTensor(p.Name, p.Parameter));
        list.AddRange(NamedBuffers());
        return list;
    }

    /// <summary>Direct children with their names.</summary>
    public IEnumerable<(string Name, Module Module)> Children()
    {
        foreach (var c in _children) yield return c;
    }

    /// <summary>Forgets every parameter gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ZeroGrad();
    }

    /// <summary>Registers a parameter under <paramref name="name"/> and returns it.</summary>
    protected Parameter RegisterParameter(string name, Parameter parameter)
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(parameter);
        _parameters.Add((name, parameter));
        return parameter;
    }

    /// <summary>Registers a buffer (saved state that is not trained) under <paramref name="name"/> and returns it.</summary>
    protected Tensor RegisterBuffer(string name, Tensor buffer)
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(buffer);
        _buffers.Add((name, buffer));
        return buffer;
    }

    /// <summary>Registers a child module under <paramref name="name"/> and returns it.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(module);
        _children.Add((name, module));
        module.Train(IsTraining);
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"'{name}' is not a valid member name (non-empty, no dots).", nameof(name));
        foreach (var (n, _) in _parameters) if (n == name) throw Duplicate(name);
        foreach (var (n, _) in _buffers) if (n == name) throw Duplicate(name);
        foreach (var (n, _) in _children) if (n == name) throw Duplicate(name);
    }

    private static ArgumentException Duplicate(string name) => new($"'{name}' is already registered in this module.", nameof(name));

    private void CollectParameters(string prefix, List<NamedParameter> into)
    {
        foreach (var (n, p) in _parameters) into.Add(new NamedParameter(prefix + n, p));
        foreach (var (n, c) in _children) c.CollectParameters(prefix + n + ".", into);
    }

    private void CollectBuffers(string prefix, List<NamedTensor> into)
    {
        foreach (var (n, b) in _buffers) into.Add(new NamedTensor(prefix + n, b));
        foreach (var (n, c) in _children) c.CollectBuffers(prefix + n + ".", into);
    }
}

/// <summary>A module with one input and one output.</summary>
public abstract class Layer : Module
{
    /// <summary>Applies the layer (recording for backward unless inside <see cref="Autograd.NoGrad"/>).</summary>
    public abstract Tensor Forward(Tensor x);
}

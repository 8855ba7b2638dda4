namespace Ddnn.Core;

/// <summary>
/// The storage of one forward/backward pass. While active on a thread (<see cref="Activate"/>), every op
/// result, intermediate gradient and op workspace is rented from it by exact size; <see cref="Release"/>
/// takes everything back at once, so a training loop that reuses one graph reaches a steady state with no
/// large allocations. Tensors rented from a graph must not be used after its release.
/// </summary>
public sealed class Graph
{
    [ThreadStatic] private static Graph? _current;

    private readonly Dictionary<int, Stack<float[]>> _freeFloats = new();
    private readonly Dictionary<int, Stack<int[]>> _freeInts = new();
    private readonly List<float[]> _rentedFloats = new();
    private readonly List<int[]> _rentedInts = new();

    // Tensors, nodes and arrays of references handed out in order; a pass that repeats the previous one's ops gets the
    // same objects back, so a training loop that reuses one graph allocates nothing per step.
    private readonly List<Tensor> _tensors = new();
    private readonly List<Node> _nodes = new();
    private readonly List<object> _objects = new();
    private int _tensorCursor, _nodeCursor, _objectCursor;

    /// <summary>A graph for passes over a whole batch on one thread.</summary>
    public Graph() { }

    internal Graph(BatchSplit split, int lane)
    {
        Split = split;
        Lane = lane;
    }

    /// <summary>The graph active on this thread, or null (ops then allocate on the heap).</summary>
    internal static Graph? Current => _current;

    /// <summary>The batch split this graph records one lane of, or null for a pass over a whole batch.</summary>
    internal BatchSplit? Split { get; }

    /// <summary>This graph's lane in <see cref="Split"/> (0 without a split).</summary>
    internal int Lane { get; }

    /// <summary>The lane of the graph active on this thread (0 when none is, or it has no split).</summary>
    internal static int CurrentLane => _current?.Lane ?? 0;

    /// <summary>Incremented by every <see cref="Release"/>; tensors remember the generation they were rented in.</summary>
    internal int Generation { get; private set; }

    /// <summary>Number of float values currently handed out (diagnostics).</summary>
    internal long RentedFloatCount { get; private set; }

    /// <summary>Makes this graph the current one on this thread until the returned scope is disposed.</summary>
    public Scope Activate()
    {
        var previous = _current;
        _current = this;
        return new Scope(previous);
    }

    /// <summary>Returns every rented buffer to the pool. Tensors from this pass become invalid.</summary>
    public void Release()
    {
        foreach (var a in _rentedFloats) Pool(_freeFloats, a.Length).Push(a);
        foreach (var a in _rentedInts) Pool(_freeInts, a.Length).Push(a);
        _rentedFloats.Clear();
        _rentedInts.Clear();
        _tensorCursor = _nodeCursor = _objectCursor = 0;
        RentedFloatCount = 0;
        Generation++;
    }

    /// <summary>A float buffer of exactly <paramref name="length"/> values; contents are undefined.</summary>
    internal float[] Rent(int length)
    {
        var pool = Pool(_freeFloats, length);
        var a = pool.Count > 0 ? pool.Pop() : new float[length];
        _rentedFloats.Add(a);
        RentedFloatCount += length;
        return a;
    }

    /// <summary>An int buffer of exactly <paramref name="length"/> values; contents are undefined.</summary>
    internal int[] RentInts(int length)
    {
        var pool = Pool(_freeInts, length);
        var a = pool.Count > 0 ? pool.Pop() : new int[length];
        _rentedInts.Add(a);
        return a;
    }

    /// <summary>A tensor of this pass over <paramref name="data"/>, reusing the object of the previous pass at the same position.</summary>
    internal Tensor RentTensor(float[] data, ReadOnlySpan<int> shape)
    {
        if (_tensorCursor < _tensors.Count)
        {
            var reused = _tensors[_tensorCursor++];
            reused.Reuse(data, shape, this);
            return reused;
        }
        var t = new Tensor(data, shape.ToArray(), this);
        _tensors.Add(t);
        _tensorCursor++;
        return t;
    }

    /// <summary>A node of this pass, reusing the previous pass's node at the same position when it has the same type.</summary>
    internal T RentNode<T>() where T : Node, new()
    {
        if (_nodeCursor < _nodes.Count)
        {
            if (_nodes[_nodeCursor] is T same)
            {
                _nodeCursor++;
                return same;
            }
            var replacement = new T();
            _nodes[_nodeCursor++] = replacement;
            return replacement;
        }
        var node = new T();
        _nodes.Add(node);
        _nodeCursor++;
        return node;
    }

    /// <summary>An object of this pass (such as a model's outputs), reused like <see cref="RentNode{T}"/>; its contents are stale.</summary>
    internal T RentObject<T>(Func<T> create) where T : class
    {
        if (_objectCursor < _objects.Count)
        {
            if (_objects[_objectCursor] is T same)
            {
                _objectCursor++;
                return same;
            }
            var replacement = create();
            _objects[_objectCursor++] = replacement;
            return replacement;
        }
        var created = create();
        _objects.Add(created);
        _objectCursor++;
        return created;
    }

    /// <summary>An array of <paramref name="length"/> references for this pass, reused like <see cref="RentNode{T}"/>.</summary>
    internal T[] RentArray<T>(int length) where T : class
    {
        if (_objectCursor < _objects.Count && _objects[_objectCursor] is T[] same && same.Length == length)
        {
            _objectCursor++;
            Array.Clear(same);
            return same;
        }
        var created = new T[length];
        if (_objectCursor < _objects.Count) _objects[_objectCursor] = created;
        else _objects.Add(created);
        _objectCursor++;
        return created;
    }

    /// <summary>A node from the current graph, or a new one when none is active.</summary>
    internal static T NewNode<T>() where T : Node, new() => _current is { } g ? g.RentNode<T>() : new T();

    /// <summary>An array of references from the current graph, or a new one when none is active.</summary>
    internal static T[] NewArray<T>(int length) where T : class => _current is { } g ? g.RentArray<T>(length) : new T[length];

    /// <summary>A float buffer from the current graph, or a new heap array when none is active.</summary>
    internal static float[] RentCurrent(int length) => _current is { } g ? g.Rent(length) : new float[length];

    /// <summary>An int buffer from the current graph, or a new heap array when none is active.</summary>
    internal static int[] RentCurrentInts(int length) => _current is { } g ? g.RentInts(length) : new int[length];

    private static Stack<T[]> Pool<T>(Dictionary<int, Stack<T[]>> pools, int length)
    {
        if (!pools.TryGetValue(length, out var s))
        {
            s = new Stack<T[]>();
            pools.Add(length, s);
        }
        return s;
    }

    /// <summary>Restores the previously active graph when disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly Graph? _previous;

        internal Scope(Graph? previous) => _previous = previous;

        /// <inheritdoc />
        public void Dispose() => _current = _previous;
    }
}

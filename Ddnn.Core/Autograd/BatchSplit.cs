namespace Ddnn.Core;

/// <summary>
/// One pass over a mini-batch cut into parts that run concurrently, one thread (lane) per part. Lane k records its
/// part's forward and backward in <see cref="Graph"/>(k) and writes parameter gradients into the parameters' lane-k
/// buffers; batch norm in training mode adds its per-channel sums over every lane (in lane order) before it normalises
/// or back-propagates, so every part sees the whole batch's statistics. When every lane has finished,
/// <see cref="GatherGradients"/> adds the lanes' gradients in lane order. The result is the whole batch's gradient up
/// to float rounding, and a given number of lanes always gives the same bits.
/// </summary>
/// <remarks>
/// Every lane must run the same ops in the same order (the same model on its part), because the batch norms of all
/// lanes meet at each exchange. A lane that fails must call <see cref="Leave"/> so that the others do not wait for it,
/// and the split must be <see cref="Reset"/> before its next pass.
/// </remarks>
public sealed class BatchSplit
{
    private readonly Graph[] _graphs;
    // Two sets of per-lane exchange buffers used alternately: a lane refills a set only after the next exchange's
    // barrier, by which time every lane has finished reading it.
    private readonly double[][][] _slots;
    private readonly int[] _exchanges;
    private readonly bool[] _left;
    private LaneBarrier _barrier;

    /// <summary>A split into <paramref name="lanes"/> concurrent parts.</summary>
    public BatchSplit(int lanes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lanes, 1);
        Lanes = lanes;
        _graphs = new Graph[lanes];
        for (var i = 0; i < lanes; i++) _graphs[i] = new Graph(this, i);
        _slots = [new double[lanes][], new double[lanes][]];
        for (var set = 0; set < 2; set++)
            for (var i = 0; i < lanes; i++) _slots[set][i] = [];
        _exchanges = new int[lanes];
        _left = new bool[lanes];
        _barrier = new LaneBarrier(lanes);
    }

    /// <summary>Number of lanes (parts of the batch).</summary>
    public int Lanes { get; }

    /// <summary>The graph lane <paramref name="lane"/> records its pass in (activate it on that lane's thread).</summary>
    public Graph Graph(int lane) => _graphs[lane];

    /// <summary>Gives every parameter a gradient buffer per lane; call once before the lanes first run.</summary>
    public void Prepare(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var p in parameters) p.EnsureLanes(Lanes);
    }

    /// <summary>After every lane has finished: adds each parameter's lane gradients into its gradient, in lane order.</summary>
    public void GatherGradients(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var p in parameters) p.GatherLanes();
    }

    /// <summary>
    /// Part <paramref name="part"/> of <paramref name="parts"/> of <see cref="GatherGradients"/>:
    /// the parameters whose index is <paramref name="part"/> modulo <paramref name="parts"/>. The parts touch different
    /// parameters, so they may run concurrently and give the same bits as the whole.
    /// </summary>
    public void GatherGradientsPart(IReadOnlyList<Parameter> parameters, int part, int parts)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(part);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(part, parts);
        for (var i = part; i < parameters.Count; i += parts) parameters[i].GatherLanes();
    }

    /// <summary>Called by a failing lane: the other lanes stop waiting for it (their results are then meaningless).</summary>
    public void Leave(int lane)
    {
        if (Volatile.Read(ref _left[lane])) return;
        Volatile.Write(ref _left[lane], true);
        _barrier.RemoveParticipant();
    }

    /// <summary>Readies the split for another pass after a lane has left; call when no lane is running.</summary>
    public void Reset()
    {
        Array.Clear(_exchanges);
        Array.Clear(_left);
        _barrier = new LaneBarrier(Lanes);
    }

    /// <summary>
    /// Replaces <paramref name="values"/> with their sum over every lane, added in lane order, so all lanes get the same
    /// bits. Every lane must call it the same number of times with the same length.
    /// </summary>
    internal void Exchange(int lane, Span<double> values)
    {
        var set = _slots[_exchanges[lane]++ & 1];
        if (set[lane].Length < values.Length) set[lane] = new double[values.Length];
        values.CopyTo(set[lane]);
        if (Lanes > 1) _barrier.SignalAndWait();
        values.Clear();
        for (var other = 0; other < Lanes; other++)
        {
            if (Volatile.Read(ref _left[other])) continue;
            var part = set[other];
            if (part.Length < values.Length) continue;
            for (var i = 0; i < values.Length; i++) values[i] += part[i];
        }
    }
}

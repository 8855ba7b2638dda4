using Ddnn.Core;
using Ddnn.Core.Model;
using Ddnn.Kernels;
using Ddnn.Training.Data;
using Ddnn.Training.Optim;

namespace Ddnn.Training.Trainer;

/// <summary>
/// One optimization step with the mini-batch cut into contiguous parts (lanes) that are gathered, run forward and
/// backward concurrently, one thread per lane, through a <see cref="BatchSplit"/>: batch norm uses the whole batch's
/// statistics and each exit's loss the whole batch's mean, so the step computes the whole batch's gradient up to float
/// rounding. Then every lane adds the lanes' gradients in lane order and steps the optimizer for its share of the
/// parameters (every lanes-th one; each parameter's update is independent, so the bits do not depend on who does it). Lane 0
/// runs on the calling thread, the others on threads this object owns until it is disposed; every lane runs its
/// kernels on its own thread. A given number of lanes always gives the same bits.
/// </summary>
public sealed class SplitTrainingStep : IDisposable
{
    private readonly DdnnModel _model;
    private readonly BatchSplit _split;
    private readonly Lane[] _lanes;
    private readonly Thread[] _workers;
    // Every lane meets at _start before a batch, at _backwardDone before the lanes gather and update their shares of
    // the parameters, and at _updated after that; between batches the workers spin through the calling thread's short
    // serial part instead of sleeping.
    private readonly LaneBarrier _start, _backwardDone, _updated;
    private readonly int[] _rowTotals;
    private readonly JointLoss _wholeLoss;
    private int[] _indices = [];
    private int[] _labels = [];
    private int[] _viewLabels = [];
    private MultiViewDataset? _data;
    private DeviceMask? _mask;
    private int _count;
    private volatile bool _stopping;

    /// <summary>A step over <paramref name="lanes"/> concurrent parts of each batch for <paramref name="model"/>.</summary>
    /// <param name="model">The network; its parameters must be the ones <paramref name="optimizer"/> updates.</param>
    /// <param name="optimizer">Stepped once per batch after the lanes' gradients are added.</param>
    /// <param name="lanes">Parts per batch, at least 2 (one thread each).</param>
    public SplitTrainingStep(DdnnModel model, Optimizer optimizer, int lanes)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(lanes, 2);
        _model = model;
        Optimizer = optimizer;
        _split = new BatchSplit(lanes);
        _split.Prepare(optimizer.Parameters);
        _lanes = new Lane[lanes];
        for (var i = 0; i < lanes; i++) _lanes[i] = new Lane(new JointLoss(model.Config), _split.Graph(i));
        _wholeLoss = new JointLoss(model.Config);
        _start = new LaneBarrier(lanes);
        _backwardDone = new LaneBarrier(lanes);
        _updated = new LaneBarrier(lanes);
        _rowTotals = new int[_wholeLoss.Layout.Count];
        _workers = new Thread[lanes - 1];
        for (var i = 1; i < lanes; i++)
        {
            var lane = i;
            _workers[i - 1] = new Thread(() => WorkerLoop(lane)) { IsBackground = true, Name = $"ddnn train lane {lane}" };
            _workers[i - 1].Start();
        }
    }

    /// <summary>The optimizer stepped after each batch.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Parts per batch.</summary>
    public int Lanes => _split.Lanes;

    /// <summary>
    /// Trains on the samples of <paramref name="data"/> at <paramref name="indices"/> with the devices in
    /// <paramref name="present"/> (null: all): gathers, runs forward and backward on every lane, adds the gradients,
    /// steps the optimizer and returns the batch's loss; each exit's mean loss goes into <paramref name="exitLosses"/>
    /// (empty to skip). A batch of fewer samples than lanes runs whole on the calling thread.
    /// </summary>
    public float Run(MultiViewDataset data, ReadOnlySpan<int> indices, DeviceMask? present, Span<float> exitLosses)
    {
        ArgumentNullException.ThrowIfNull(data);
        var n = indices.Length;
        var devices = _model.Config.Devices;
        if (n == 0) throw new ArgumentException("the batch is empty", nameof(indices));
        if (present is not null && (present.Batch != n || present.Devices != devices))
            throw new ArgumentException($"the device mask is {present.Batch}x{present.Devices}, expected {n}x{devices}", nameof(present));
        if (!exitLosses.IsEmpty && exitLosses.Length != _rowTotals.Length)
            throw new ArgumentException($"exitLosses has {exitLosses.Length} slots for {_rowTotals.Length} exits", nameof(exitLosses));
        if (_indices.Length < n)
        {
            _indices = new int[n];
            _labels = new int[n];
            _viewLabels = new int[n * devices];
        }
        // Checks every index, so the lanes only see valid ones.
        data.CopyViewLabels(indices, _viewLabels.AsSpan(0, n * devices));
        indices.CopyTo(_indices);
        var labels = data.Labels;
        for (var b = 0; b < n; b++) _labels[b] = labels[indices[b]];
        (_data, _mask, _count) = (data, present, n);
        var lanes = n >= Lanes ? Lanes : 1;
        if (lanes > 1) _wholeLoss.CountRows(_labels.AsSpan(0, n), _viewLabels.AsSpan(0, n * devices), present, _rowTotals);

        Optimizer.ZeroGrad();
        try
        {
            if (lanes > 1) _start.SignalAndWait();
            using (KernelParallelism.PinToCallingThread()) RunLane(0, lanes);
            if (lanes > 1) _backwardDone.SignalAndWait();
            Update(0, lanes);
            if (lanes > 1) _updated.SignalAndWait();
            foreach (var lane in _lanes)
                if (lane.Fault is { } fault)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(fault).Throw();
                }
        }
        catch
        {
            foreach (var lane in _lanes) lane.Fault = null;
            _split.Reset();
            Optimizer.ZeroGrad();
            throw;
        }
        finally
        {
            _data = null;
            _mask = null;
        }

        var loss = 0f;
        if (!exitLosses.IsEmpty) exitLosses.Clear();
        for (var i = 0; i < lanes; i++)
        {
            loss += _lanes[i].Loss;
            if (exitLosses.IsEmpty) continue;
            for (var e = 0; e < exitLosses.Length; e++) exitLosses[e] += _lanes[i].ExitLosses[e];
        }
        return loss;
    }

    /// <summary>Stops and joins the lane threads.</summary>
    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        _start.SignalAndWait();
        foreach (var worker in _workers) worker.Join();
    }

    private void WorkerLoop(int lane)
    {
        using var pinned = KernelParallelism.PinToCallingThread();
        while (true)
        {
            _start.SignalAndWait();
            if (_stopping) return;
            RunLane(lane, Lanes);
            _backwardDone.SignalAndWait();
            Update(lane, Lanes);
            _updated.SignalAndWait();
        }
    }

    /// <summary>
    /// Lane <paramref name="lane"/>'s share of the update once every lane's backward is done: adds the lanes' gradients
    /// and steps the optimizer for every <paramref name="lanes"/>-th parameter. Nothing is updated when a lane failed.
    /// </summary>
    private void Update(int lane, int lanes)
    {
        foreach (var state in _lanes)
            if (state.Fault is not null) return;
        try
        {
            _split.GatherGradientsPart(Optimizer.Parameters, lane, lanes);
            Optimizer.StepPart(lane, lanes);
        }
        catch (Exception e)
        {
            _lanes[lane].Fault = e;
        }
    }

    /// <summary>Lane <paramref name="lane"/> of <paramref name="lanes"/>: gathers its rows, runs forward and backward.</summary>
    private void RunLane(int lane, int lanes)
    {
        var state = _lanes[lane];
        try
        {
            var n = _count;
            int start = (int)((long)n * lane / lanes), end = (int)((long)n * (lane + 1) / lanes);
            var rows = end - start;
            var devices = _model.Config.Devices;
            var (views, mask) = state.Buffers(_model.Config, rows, _mask is not null);
            _data!.CopyBatch(_indices.AsSpan(start, rows), views.Data, _labels.AsSpan(start, rows));
            if (mask is not null)
                for (var b = 0; b < rows; b++)
                    for (var d = 0; d < devices; d++) mask.Set(b, d, _mask!.IsPresent(start + b, d));
            var graph = lanes > 1 ? state.Graph : state.WholeGraph;
            try
            {
                using (graph.Activate())
                {
                    var outputs = _model.Forward(views, mask);
                    var loss = state.Objective.Compute(outputs, _labels.AsSpan(start, rows), _viewLabels.AsSpan(start * devices, rows * devices),
                        mask, state.ExitLosses, lanes > 1 ? _rowTotals : default);
                    Autograd.Backward(loss);
                    state.Loss = loss.Item();
                }
            }
            finally
            {
                graph.Release();
            }
        }
        catch (Exception e)
        {
            state.Fault = e;
            if (lanes > 1) _split.Leave(lane);
        }
    }

    /// <summary>What one lane keeps between batches: its loss, graph, batch buffers and results.</summary>
    private sealed class Lane(JointLoss loss, Graph graph)
    {
        private Tensor? _views, _otherViews;
        private DeviceMask? _mask, _otherMask;

        public JointLoss Objective { get; } = loss;
        public Graph Graph { get; } = graph;
        public Graph WholeGraph { get; } = new();
        public float[] ExitLosses { get; } = new float[loss.Layout.Count];
        public float Loss { get; set; }
        public Exception? Fault { get; set; }

        /// <summary>Views and mask buffers for <paramref name="rows"/> samples; two sizes are kept (full and last batch).</summary>
        public (Tensor Views, DeviceMask? Mask) Buffers(DdnnConfig c, int rows, bool masked)
        {
            if (_views is null || _views.Shape[0] != rows)
            {
                (_views, _otherViews) = (_otherViews, _views);
                (_mask, _otherMask) = (_otherMask, _mask);
                if (_views is null || _views.Shape[0] != rows)
                {
                    _views = Tensor.Zeros(rows, c.Devices, c.InputChannels, c.InputHeight, c.InputWidth);
                    _mask = null;
                }
            }
            if (masked) _mask ??= new DeviceMask(rows, c.Devices);
            return (_views, masked ? _mask : null);
        }
    }
}

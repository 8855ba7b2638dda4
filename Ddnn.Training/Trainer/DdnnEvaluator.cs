using Ddnn.Core;
using Ddnn.Core.Inference;
using Ddnn.Core.Model;
using Ddnn.Training.Data;
using K = Ddnn.Kernels;

namespace Ddnn.Training.Trainer;

/// <summary>
/// Runs a <see cref="DdnnModel"/> over a data split in evaluation mode (batch-norm running statistics, no gradient
/// recording), batch by batch with pooled storage, and returns every exit's predictions and normalized entropies
/// (<see cref="SplitScores"/>). Optionally one device is made absent for every sample, to measure how much the fused
/// exits depend on it. The model's train/eval mode is restored afterwards.
/// </summary>
public sealed class DdnnEvaluator
{
    private readonly DdnnModel _model;
    private readonly ExitLayout _layout;
    private readonly Tensor[] _exits;
    private readonly Graph _graph = new();

    /// <summary>An evaluator for <paramref name="model"/> that runs <paramref name="batchSize"/> samples per forward pass.</summary>
    public DdnnEvaluator(DdnnModel model, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _model = model;
        _layout = new ExitLayout(model.Config);
        _exits = new Tensor[_layout.Count];
        BatchSize = batchSize;
    }

    /// <summary>Samples per forward pass, which sets the memory one pass needs.</summary>
    public int BatchSize { get; }

    /// <summary>Scores every sample of <paramref name="data"/>; <paramref name="absentDevice"/> ≥ 0 masks that device out for every sample.</summary>
    public SplitScores Score(MultiViewDataset data, int absentDevice = -1)
    {
        ArgumentNullException.ThrowIfNull(data);
        var config = _model.Config;
        DdnnTrainer.CheckData(config, data, nameof(data));
        if (absentDevice >= config.Devices || absentDevice < -1)
            throw new ArgumentOutOfRangeException(nameof(absentDevice), absentDevice, $"must be -1 (all present) or a device in [0, {config.Devices}).");
        if (absentDevice >= 0 && config.Devices == 1)
            throw new ArgumentException("the model has a single device; it cannot be evaluated without it", nameof(absentDevice));

        var n = data.Count;
        var classes = config.Classes;
        var predictions = new int[_layout.Count][];
        var entropies = new float[_layout.Count][];
        for (var e = 0; e < _layout.Count; e++) { predictions[e] = new int[n]; entropies[e] = new float[n]; }
        int[]? edgePredictions = config.HasEdges ? new int[n] : null;
        float[]? edgeEntropies = config.HasEdges ? new float[n] : null;
        var labels = new int[n];
        var viewLabels = new int[n * config.Devices];
        data.CopyViewLabels(Enumerable.Range(0, n).ToArray(), viewLabels);

        var batch = Math.Max(1, Math.Min(BatchSize, n));
        var batches = (n + batch - 1) / batch;
        var lanes = Math.Min(K.KernelParallelism.MaxThreads, batches);
        var pass = new Pass(data, absentDevice, n, batch, lanes, labels, predictions, entropies, edgePredictions, edgeEntropies);
        var wasTraining = _model.IsTraining;
        _model.Eval();
        try
        {
            if (lanes == 1) ScoreBatches(pass, 0);
            else RunLanes(pass);
        }
        finally
        {
            _model.Train(wasTraining);
        }

        var exits = new ExitScores[_layout.Count];
        for (var e = 0; e < exits.Length; e++) exits[e] = new ExitScores(_layout.Names[e], predictions[e], entropies[e]);
        var edgeLevel = edgePredictions is null ? null
            : config.Edges.Count == 1 ? exits[_layout.FirstEdgeIndex]
            : new ExitScores("edge", edgePredictions, edgeEntropies!);
        return new SplitScores(_layout, exits, edgeLevel, labels, viewLabels);
    }

    /// <summary>
    /// Every kernel thread scores whole batches (lane k takes batches k, k + lanes, ...), each on its own thread with its
    /// kernels pinned there. The batches are cut as on one thread and every sample's scores depend only on its batch,
    /// so the scores are the same bits for any number of lanes.
    /// </summary>
    private void RunLanes(Pass pass)
    {
        var faults = new Exception?[pass.Lanes];
        var workers = new Thread[pass.Lanes - 1];
        for (var i = 1; i < pass.Lanes; i++)
        {
            var lane = i;
            workers[i - 1] = new Thread(() =>
            {
                try
                {
                    using var pinned = K.KernelParallelism.PinToCallingThread();
                    ScoreBatches(pass, lane);
                }
                catch (Exception e)
                {
                    faults[lane] = e;
                }
            }) { IsBackground = true, Name = $"ddnn evaluate lane {lane}" };
            workers[i - 1].Start();
        }
        try
        {
            using var pinned = K.KernelParallelism.PinToCallingThread();
            ScoreBatches(pass, 0);
        }
        catch (Exception e)
        {
            faults[0] = e;
        }
        foreach (var worker in workers) worker.Join();
        foreach (var fault in faults)
            if (fault is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(fault).Throw();
    }

    /// <summary>Scores lane <paramref name="lane"/>'s batches of <paramref name="pass"/> on the calling thread.</summary>
    private void ScoreBatches(Pass pass, int lane)
    {
        var config = _model.Config;
        var classes = config.Classes;
        var batch = pass.Batch;
        var graph = lane == 0 ? _graph : new Graph();
        var exits = lane == 0 ? _exits : new Tensor[_layout.Count];
        var indices = new int[batch];
        Tensor? views = null;
        DeviceMask? mask = null;
        float[]? probabilities = pass.EdgePredictions is null ? null : new float[batch * classes];
        float[]? meanProbabilities = pass.EdgePredictions is null ? null : new float[batch * classes];
        int[]? contributors = pass.EdgePredictions is null ? null : new int[batch];
        using var noGrad = Autograd.NoGrad();
        for (var start = lane * batch; start < pass.Count; start += pass.Lanes * batch)
        {
            var count = Math.Min(batch, pass.Count - start);
            if (views is null || views.Shape[0] != count)
            {
                views = Tensor.Zeros(count, config.Devices, config.InputChannels, config.InputHeight, config.InputWidth);
                if (pass.AbsentDevice >= 0)
                {
                    mask = new DeviceMask(count, config.Devices);
                    mask.SetDevice(pass.AbsentDevice, false);
                }
            }
            for (var i = 0; i < count; i++) indices[i] = start + i;
            pass.Data.CopyBatch(indices.AsSpan(0, count), views.Data, pass.Labels.AsSpan(start, count));
            try
            {
                using (graph.Activate())
                {
                    _layout.Collect(_model.Forward(views, mask), exits);
                    for (var e = 0; e < _layout.Count; e++)
                        Summarize(exits[e], count, classes, pass.Predictions[e].AsSpan(start, count), pass.Entropies[e].AsSpan(start, count));
                    if (pass.EdgePredictions is not null)
                        FuseEdges(config, exits, mask, count, classes, probabilities!, meanProbabilities!, contributors!,
                            pass.EdgePredictions.AsSpan(start, count), pass.EdgeEntropies.AsSpan(start, count));
                }
            }
            finally
            {
                graph.Release();
            }
        }
    }

    /// <summary>One <see cref="Score"/> call: its input, batching and the arrays every lane writes its samples' results to.</summary>
    private sealed record Pass(MultiViewDataset Data, int AbsentDevice, int Count, int Batch, int Lanes, int[] Labels,
        int[][] Predictions, float[][] Entropies, int[]? EdgePredictions, float[]? EdgeEntropies);

    private static void Summarize(Tensor logits, int count, int classes, Span<int> predictions, Span<float> entropies)
    {
        K.Softmax.NormalizedEntropy(count, classes, logits.Data, entropies);
        for (var i = 0; i < count; i++) predictions[i] = ClassScores.ArgMax(logits.Data.AsSpan(i * classes, classes));
    }

    /// <summary>The mean of the softmax of the edges that have a present device, then its argmax and normalized entropy.</summary>
    private void FuseEdges(DdnnConfig config, Tensor[] exits, DeviceMask? mask, int count, int classes, float[] probabilities, float[] mean,
        int[] contributorCounts, Span<int> predictions, Span<float> entropies)
    {
        var p = probabilities.AsSpan(0, count * classes);
        var m = mean.AsSpan(0, count * classes);
        m.Clear();
        var contributors = contributorCounts.AsSpan(0, count);
        contributors.Clear();
        for (var e = 0; e < config.Edges.Count; e++)
        {
            K.Softmax.Forward(count, classes, exits[_layout.FirstEdgeIndex + e].Data, p);
            for (var i = 0; i < count; i++)
            {
                if (mask is not null && !EdgePresent(config.Edges[e].Devices, mask, i)) continue;
                contributors[i]++;
                K.ElementWise.Add(m.Slice(i * classes, classes), p.Slice(i * classes, classes), m.Slice(i * classes, classes));
            }
        }
        for (var i = 0; i < count; i++)
        {
            var row = m.Slice(i * classes, classes);
            K.ElementWise.Scale(row, 1f / contributors[i], row);
            (predictions[i], entropies[i]) = ClassScores.OfProbabilities(row);
        }
    }

    private static bool EdgePresent(IReadOnlyList<int> devices, DeviceMask mask, int sample)
    {
        foreach (var d in devices)
            if (mask.IsPresent(sample, d)) return true;
        return false;
    }
}

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
        var indices = new int[batch];
        Tensor? views = null;
        DeviceMask? mask = null;
        var probabilities = new float[batch * classes];
        var meanProbabilities = new float[batch * classes];
        var contributors = new int[batch];
        var wasTraining = _model.IsTraining;
        _model.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            for (var start = 0; start < n; start += batch)
            {
                var count = Math.Min(batch, n - start);
                if (views is null || views.Shape[0] != count)
                {
                    views = Tensor.Zeros(count, config.Devices, config.InputChannels, config.InputHeight, config.InputWidth);
                    if (absentDevice >= 0)
                    {
                        mask = new DeviceMask(count, config.Devices);
                        mask.SetDevice(absentDevice, false);
                    }
                }
                for (var i = 0; i < count; i++) indices[i] = start + i;
                data.CopyBatch(indices.AsSpan(0, count), views.Data, labels.AsSpan(start, count));
                try
                {
                    using (_graph.Activate())
                    {
                        _layout.Collect(_model.Forward(views, mask), _exits);
                        for (var e = 0; e < _layout.Count; e++)
                            Summarize(_exits[e], count, classes, predictions[e].AsSpan(start, count), entropies[e].AsSpan(start, count));
                        if (edgePredictions is not null)
                            FuseEdges(config, mask, count, classes, probabilities, meanProbabilities, contributors,
                                edgePredictions.AsSpan(start, count), edgeEntropies.AsSpan(start, count));
                    }
                }
                finally
                {
                    _graph.Release();
                }
            }
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

    private static void Summarize(Tensor logits, int count, int classes, Span<int> predictions, Span<float> entropies)
    {
        K.Softmax.NormalizedEntropy(count, classes, logits.Data, entropies);
        for (var i = 0; i < count; i++) predictions[i] = ClassScores.ArgMax(logits.Data.AsSpan(i * classes, classes));
    }

    /// <summary>The mean of the softmax of the edges that have a present device, then its argmax and normalized entropy.</summary>
    private void FuseEdges(DdnnConfig config, DeviceMask? mask, int count, int classes, float[] probabilities, float[] mean,
        int[] contributorCounts, Span<int> predictions, Span<float> entropies)
    {
        var p = probabilities.AsSpan(0, count * classes);
        var m = mean.AsSpan(0, count * classes);
        m.Clear();
        var contributors = contributorCounts.AsSpan(0, count);
        contributors.Clear();
        for (var e = 0; e < config.Edges.Count; e++)
        {
            K.Softmax.Forward(count, classes, _exits[_layout.FirstEdgeIndex + e].Data, p);
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

using System.Diagnostics;
using System.Globalization;
using System.Text;
using Ddnn.Core;
using Ddnn.Core.Model;
using Ddnn.Core.Randomness;
using Ddnn.Kernels;
using Ddnn.Training.Data;
using Ddnn.Training.Optim;
using Ddnn.Training.Reporting;

namespace Ddnn.Training.Trainer;

/// <summary>
/// Joint training of a <see cref="DdnnModel"/>: seeded mini-batch epochs over the training split, the
/// <see cref="JointLoss"/> over every exit, Adam with latent-weight clipping, optional <see cref="DeviceDropout"/>,
/// per-epoch validation accuracy of every exit, console progress and an atomic checkpoint after every epoch.
/// A run resumed from a checkpoint (<see cref="Resume"/>) continues bit-identically to an uninterrupted one, and the
/// same seed and thread count (<see cref="KernelParallelism.MaxThreads"/>) always give the same parameters.
/// </summary>
public sealed class DdnnTrainer
{
    private const ulong DropoutStream = 0xD20F_0D7E;

    /// <summary>Fewest samples per lane: below this, a lane's ops are too small to pay for its share of the meetings.</summary>
    private const int MinLaneSamples = 8;

    private readonly MultiViewDataset _train;
    private readonly MultiViewDataset? _validation;
    private readonly JointLoss _loss;
    private readonly TrainingStep _step;
    private readonly DeviceDropout? _dropout;
    private readonly MiniBatchSchedule _schedule;
    private readonly List<EpochRecord> _history = [];
    private readonly string _fingerprint;

    // Batch buffers, allocated once: a full batch and (when the split does not divide evenly) the last, smaller one.
    private readonly int[] _labels;
    private readonly int[] _viewLabels;
    private readonly float[] _exitLosses;
    private Tensor? _fullViews, _tailViews;
    private DeviceMask? _fullMask, _tailMask;

    // The batch the cached forward delegate works on (a delegate allocated once instead of a closure per batch).
    private readonly Func<Tensor> _forward;
    private Tensor? _batchViews;
    private DeviceMask? _batchMask;
    private int _batchCount;

    /// <summary>A fresh run; <paramref name="model"/> should already be initialized (e.g. by <see cref="Initializer"/>).</summary>
    public DdnnTrainer(DdnnModel model, MultiViewDataset train, MultiViewDataset? validation, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Validate();
        Model = model;
        var config = model.Config;
        CheckData(config, train, nameof(train));
        if (validation is not null) CheckData(config, validation, nameof(validation));
        if (train.Count == 0) throw new ArgumentException($"the training split {train.Name} is empty", nameof(train));
        _train = train;
        _validation = validation is { Count: > 0 } ? validation : null;
        _fingerprint = DataFingerprint.Of(train);
        _loss = new JointLoss(config);
        Optimizer = new Adam(model.Parameters(), options.LearningRate);
        _step = new TrainingStep(Optimizer);
        _schedule = new MiniBatchSchedule(train.Count, options.BatchSize, options.Seed);
        if (options.DeviceDropout > 0)
            _dropout = new DeviceDropout(options.DeviceDropout, SeededRandom.Derive(options.Seed, DropoutStream).NextUInt64());
        var batch = Math.Min(options.BatchSize, train.Count);
        _labels = new int[batch];
        _viewLabels = new int[batch * config.Devices];
        _exitLosses = new float[Layout.Count];
        _forward = ForwardLoss;
    }

    /// <summary>The network being trained, updated in place.</summary>
    public DdnnModel Model { get; }
    /// <summary>The Adam optimizer over every parameter of <see cref="Model"/>; its moments go into checkpoints.</summary>
    public Adam Optimizer { get; }
    /// <summary>The validated options of the run (a resumed run's with its new epoch total).</summary>
    public TrainingOptions Options { get; }
    /// <summary>The order of exits in <see cref="EpochRecord.ExitLosses"/> and <see cref="EpochRecord.ValidationAccuracy"/>.</summary>
    public ExitLayout Layout => _loss.Layout;

    /// <summary>Epochs finished so far (including those restored from a checkpoint).</summary>
    public int CompletedEpochs { get; private set; }

    /// <summary>One record per completed epoch.</summary>
    public IReadOnlyList<EpochRecord> History => _history;

    /// <summary>Where <see cref="Run"/> writes a checkpoint after every epoch (null: none).</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>
    /// Continues the run saved in <paramref name="checkpointPath"/> on the same training data, optionally extending it
    /// to <paramref name="totalEpochs"/>. Later checkpoints go to the same path.
    /// </summary>
    /// <exception cref="InvalidDataException">The checkpoint is corrupt or was made on different training data.</exception>
    public static DdnnTrainer Resume(string checkpointPath, MultiViewDataset train, MultiViewDataset? validation, int? totalEpochs = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        var checkpoint = TrainingCheckpoint.Load(checkpointPath);
        var fingerprint = DataFingerprint.Of(train);
        if (fingerprint != checkpoint.DataFingerprint)
            throw new InvalidDataException(
                $"{checkpointPath}: the checkpoint was trained on data {checkpoint.DataFingerprint}, but the training split given is {fingerprint}; resume needs the same data set and options.");
        var options = checkpoint.Options;
        if (totalEpochs is { } epochs) options = options with { Epochs = epochs };
        var model = new DdnnModel(checkpoint.Config);
        var trainer = new DdnnTrainer(model, train, validation, options) { CheckpointPath = checkpointPath };
        checkpoint.Restore(model, trainer.Optimizer, checkpointPath);
        trainer.CompletedEpochs = checkpoint.CompletedEpochs;
        trainer._history.AddRange(checkpoint.History);
        return trainer;
    }

    /// <summary>The run's state now, as <see cref="Resume"/> reads it.</summary>
    public TrainingCheckpoint Checkpoint() =>
        TrainingCheckpoint.Capture(Model, Model.Config, Optimizer, Options, CompletedEpochs, _fingerprint, KernelParallelism.MaxThreads, _history);

    /// <summary>
    /// Trains the remaining epochs (from <see cref="CompletedEpochs"/> up to <see cref="TrainingOptions.Epochs"/>),
    /// checkpointing after each. Cancellation is honoured between batches; the last checkpoint then stays valid.
    /// </summary>
    /// <param name="progress">Live progress per epoch (samples/s, ETA, loss per exit); null for none.</param>
    /// <param name="log">Receives one summary line per epoch; null for none.</param>
    /// <param name="cancellation">Checked between batches; throws <see cref="OperationCanceledException"/> and leaves the last checkpoint as it was.</param>
    public IReadOnlyList<EpochRecord> Run(ProgressReporter? progress = null, TextWriter? log = null, CancellationToken cancellation = default)
    {
        while (CompletedEpochs < Options.Epochs)
        {
            var record = TrainEpoch(progress, cancellation);
            log?.WriteLine(Describe(record));
            log?.Flush();
            if (CheckpointPath is not null) Checkpoint().Save(CheckpointPath);
        }
        return _history;
    }

    /// <summary>Trains exactly one epoch (the next one) and validates; does not checkpoint.</summary>
    public EpochRecord TrainEpoch(ProgressReporter? progress = null, CancellationToken cancellation = default)
    {
        var epoch = CompletedEpochs;
        var exits = Layout.Count;
        var lossSums = new double[exits];
        double totalSum = 0;
        var samples = 0;
        var stopwatch = Stopwatch.StartNew();
        using var task = progress?.Start($"epoch {epoch + 1}/{Options.Epochs}", _train.Count, "samples");
        string? detail = null;
        var detailAt = TimeSpan.Zero;
        Model.Train();
        // Every kernel thread trains its own part of each batch (SplitTrainingStep), each part at least MinLaneSamples
        // samples; one thread runs the whole batch.
        var lanes = Math.Min(KernelParallelism.MaxThreads, Math.Max(1, Options.BatchSize / MinLaneSamples));
        using var split = lanes > 1 ? new SplitTrainingStep(Model, Optimizer, lanes) : null;
        _schedule.RunEpoch(epoch, (indices, batchIndex) =>
        {
            cancellation.ThrowIfCancellationRequested();
            var n = indices.Length;
            var batches = _schedule.BatchesPerEpoch;
            Optimizer.LearningRate = Options.Schedule.Rate(Options.LearningRate, (long)epoch * batches + batchIndex, (long)Options.Epochs * batches);
            float loss;
            if (split is not null)
            {
                var mask = _dropout is null ? null : BatchBuffers(n).Mask;
                _dropout?.Apply(mask!, epoch, batchIndex);
                loss = split.Run(_train, indices, mask, _exitLosses);
            }
            else
            {
                var (views, mask) = BatchBuffers(n);
                _train.CopyBatch(indices, views.Data, _labels.AsSpan(0, n));
                _train.CopyViewLabels(indices, _viewLabels.AsSpan(0, n * Model.Config.Devices));
                _dropout?.Apply(mask!, epoch, batchIndex);
                (_batchViews, _batchMask, _batchCount) = (views, mask, n);
                loss = _step.Run(_forward);
            }
            if (!float.IsFinite(loss))
                throw new InvalidOperationException($"training diverged: the loss of epoch {epoch + 1}, batch {batchIndex + 1} is {loss}; lower the learning rate.");
            totalSum += (double)loss * n;
            for (var e = 0; e < exits; e++) lossSums[e] += (double)_exitLosses[e] * n;
            samples += n;
            if (task is null) return;
            // The loss text is rebuilt at most ten times a second: the reporter never prints more often.
            if (detail is null || stopwatch.Elapsed - detailAt >= TimeSpan.FromMilliseconds(100))
            {
                detail = LossText(totalSum / samples, lossSums, samples);
                detailAt = stopwatch.Elapsed;
            }
            task.Report(samples, detail);
        });
        stopwatch.Stop();
        var seconds = stopwatch.Elapsed.TotalSeconds;
        var exitLosses = new double[exits];
        for (var e = 0; e < exits; e++) exitLosses[e] = lossSums[e] / samples;
        var validation = _validation is null ? [] : new DdnnEvaluator(Model, Options.BatchSize).Score(_validation).ExitAccuracies();
        Model.Train();
        var record = new EpochRecord(epoch + 1, totalSum / samples, exitLosses, validation, seconds, samples / Math.Max(seconds, 1e-9));
        _history.Add(record);
        CompletedEpochs = epoch + 1;
        task?.Complete(LossText(record.Loss, lossSums, samples) + ValidationText(validation));
        return record;
    }

    /// <summary>One line: epoch, loss, per-exit losses, validation accuracies and throughput.</summary>
    public string Describe(EpochRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"epoch {record.Epoch}/{Options.Epochs}  {record.Seconds:0.0} s  {record.SamplesPerSecond:0} samples/s  ");
        text.Append(LossText(record.Loss, record.ExitLosses, 1));
        text.Append(ValidationText(record.ValidationAccuracy));
        return text.ToString();
    }

    private string LossText(double total, double[] sums, int samples)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"loss {total:0.000} (");
        for (var e = 0; e < sums.Length; e++)
            text.Append(CultureInfo.InvariantCulture, $"{(e > 0 ? " " : "")}{Layout.Names[e]} {sums[e] / samples:0.000}");
        return text.Append(')').ToString();
    }

    private string ValidationText(double[] accuracy)
    {
        if (accuracy.Length == 0) return "";
        var text = new StringBuilder("  val acc (");
        for (var e = 0; e < accuracy.Length; e++)
            text.Append(CultureInfo.InvariantCulture, $"{(e > 0 ? " " : "")}{Layout.Names[e]} {100 * accuracy[e]:0.0}");
        return text.Append(')').ToString();
    }

    private Tensor ForwardLoss()
    {
        var n = _batchCount;
        var devices = Model.Config.Devices;
        return _loss.Compute(Model.Forward(_batchViews!, _batchMask), _labels.AsSpan(0, n), _viewLabels.AsSpan(0, n * devices),
            _batchMask, _exitLosses);
    }

    private (Tensor Views, DeviceMask? Mask) BatchBuffers(int n)
    {
        var c = Model.Config;
        var full = n == _labels.Length;
        ref var views = ref full ? ref _fullViews : ref _tailViews;
        ref var mask = ref full ? ref _fullMask : ref _tailMask;
        if (views is null || views.Shape[0] != n)
        {
            views = Tensor.Zeros(n, c.Devices, c.InputChannels, c.InputHeight, c.InputWidth);
            mask = _dropout is null ? null : new DeviceMask(n, c.Devices);
        }
        return (views, mask);
    }

    internal static void CheckData(DdnnConfig config, MultiViewDataset data, string name)
    {
        if (data.ViewCount != config.Devices || data.Channels != config.InputChannels || data.Height != config.InputHeight
            || data.Width != config.InputWidth || data.ClassCount != config.Classes)
            throw new ArgumentException(
                $"{data.Name} has {data.ViewCount} views of {data.Channels}x{data.Height}x{data.Width} and {data.ClassCount} classes, " +
                $"but the model expects {config.Devices} devices of {config.InputChannels}x{config.InputHeight}x{config.InputWidth} and {config.Classes} classes",
                name);
    }
}

using System.Diagnostics;
using Ddnn.Core.Inference;
using Ddnn.Core.Model;
using Ddnn.Training.Data;
using Ddnn.Training.Optim;
using Ddnn.Training.Trainer;

namespace Ddnn.Training.Experiments;

/// <summary>
/// A model trained for a study, with its exit scores on validation and test computed once, and the threshold
/// calibrated on validation evaluated on test.
/// </summary>
public sealed class TrainedModel
{
    private TrainedModel(string name, DdnnModel model, SplitScores validation, SplitScores test, CalibratedPoint calibrated, double trainSeconds)
    {
        Name = name;
        Model = model;
        Validation = validation;
        Test = test;
        Calibrated = calibrated;
        TrainSeconds = trainSeconds;
        Ledger = new CommunicationLedger(model.Config);
    }

    /// <summary>The model's name in study tables and logs (e.g. "MP-CC", "f=2", "3 devices (cameras 0,4,5)").</summary>
    public string Name { get; }
    /// <summary>The trained network whose exits were scored.</summary>
    public DdnnModel Model { get; }
    /// <summary>The configuration the model was built from.</summary>
    public DdnnConfig Config => Model.Config;
    /// <summary>The paper's per-device byte counts for this configuration.</summary>
    public CommunicationLedger Ledger { get; }
    /// <summary>Every exit's predictions and entropies on the validation split (used to calibrate).</summary>
    public SplitScores Validation { get; }
    /// <summary>Every exit's predictions and entropies on the test split (used to report).</summary>
    public SplitScores Test { get; }
    /// <summary>The local-exit threshold chosen on validation and what it gives on test.</summary>
    public CalibratedPoint Calibrated { get; }
    /// <summary>Wall-clock training time in seconds (0 for a model that was only evaluated).</summary>
    public double TrainSeconds { get; }

    /// <summary>Test accuracy of the local exit (NaN without one).</summary>
    public double LocalAccuracy => Calibrated.TestLocalAccuracy;

    /// <summary>Test accuracy of the cloud exit.</summary>
    public double CloudAccuracy => Calibrated.TestCloudAccuracy;

    /// <summary>
    /// Trains a model of <paramref name="config"/> on <paramref name="data"/> (seeded by <paramref name="settings"/>),
    /// then scores validation and test and calibrates. <paramref name="onEpoch"/> is called after every epoch.
    /// </summary>
    public static TrainedModel Train(string name, DdnnConfig config, DataSplits data, PaperSettings settings, double deviceDropout = 0,
        Action<int>? onEpoch = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(settings);
        var model = new DdnnModel(config);
        new Initializer(settings.Seed).Initialize(model);
        var options = new TrainingOptions
        {
            Epochs = settings.Epochs,
            BatchSize = settings.BatchSize,
            LearningRate = settings.LearningRate,
            Schedule = settings.Schedule,
            Seed = settings.Seed,
            DeviceDropout = deviceDropout,
        };
        // Validation accuracy per epoch is not needed here; the trainer gets no validation split.
        var trainer = new DdnnTrainer(model, data.Train, null, options);
        var clock = Stopwatch.StartNew();
        while (trainer.CompletedEpochs < options.Epochs)
        {
            cancellation.ThrowIfCancellationRequested();
            trainer.TrainEpoch(null, cancellation);
            onEpoch?.Invoke(trainer.CompletedEpochs);
        }
        clock.Stop();
        return Evaluate(name, model, data, settings, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Scores an already trained <paramref name="model"/> and calibrates it on validation.</summary>
    public static TrainedModel Evaluate(string name, DdnnModel model, DataSplits data, PaperSettings settings, double trainSeconds = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(settings);
        if (data.Validation.Count == 0) throw new ArgumentException($"the validation split of {data.SourceName} is empty; thresholds cannot be calibrated", nameof(data));
        if (data.Test.Count == 0) throw new ArgumentException($"the test split of {data.SourceName} is empty", nameof(data));
        var evaluator = new DdnnEvaluator(model, settings.EvaluationBatch);
        var validation = evaluator.Score(data.Validation);
        var test = evaluator.Score(data.Test);
        var calibrated = CalibratedPoint.Calibrate(validation, test, new CommunicationLedger(model.Config), settings.Target);
        return new TrainedModel(name, model, validation, test, calibrated, trainSeconds);
    }

    /// <summary>Test scores with <paramref name="device"/> absent for every sample.</summary>
    public SplitScores TestWithout(MultiViewDataset test, int device, int batch) => new DdnnEvaluator(Model, batch).Score(test, device);
}

using Ddnn.Training.Optim;

namespace Ddnn.Training.Trainer;

/// <summary>How <see cref="DdnnTrainer"/> trains: epochs, batch size, Adam learning rate and its schedule, seed and device dropout.</summary>
public sealed record TrainingOptions
{
    /// <summary>Total epochs of the run (a resumed run continues up to this many).</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Samples per mini-batch (the last batch of an epoch may be smaller).</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Adam learning rate (betas 0.9 / 0.999, eps 1e-8).</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>How the rate changes over the run's steps (its horizon is <see cref="Epochs"/>).</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Constant;

    /// <summary>Seed of the mini-batch shuffles and the device-dropout draws.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Probability that a device is absent for a training sample (0 = no device dropout).</summary>
    public double DeviceDropout { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid option.</summary>
    public TrainingOptions Validate()
    {
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "epochs must be at least 1.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "batch size must be at least 1.");
        if (!(LearningRate > 0) || float.IsInfinity(LearningRate))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "learning rate must be a positive finite number.");
        if (!Enum.IsDefined(Schedule))
            throw new ArgumentOutOfRangeException(nameof(Schedule), Schedule, "unknown learning-rate schedule.");
        if (!(DeviceDropout >= 0 && DeviceDropout <= 1))
            throw new ArgumentOutOfRangeException(nameof(DeviceDropout), DeviceDropout, "device dropout must be in [0, 1].");
        return this;
    }
}

/// <summary>What one training epoch did: mean loss per exit, throughput and validation accuracy per exit.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Loss">Mean weighted total loss over the epoch's batches.</param>
/// <param name="ExitLosses">Mean cross-entropy of each exit (in <see cref="ExitLayout"/> order).</param>
/// <param name="ValidationAccuracy">Accuracy of each exit on the validation split against the global label (empty without validation data).</param>
/// <param name="Seconds">Wall-clock seconds of the epoch's training (validation excluded).</param>
/// <param name="SamplesPerSecond">Training samples processed per second over the epoch.</param>
public sealed record EpochRecord(int Epoch, double Loss, double[] ExitLosses, double[] ValidationAccuracy, double Seconds, double SamplesPerSecond);

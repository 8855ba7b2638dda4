using Ddnn.Core.Model;
using Ddnn.Training.Calibration;
using Ddnn.Training.Optim;

namespace Ddnn.Training.Experiments;

/// <summary>How <see cref="PaperRunner"/> trains and evaluates its models.</summary>
public sealed record PaperSettings
{
    /// <summary>The MP-CC model every study varies (devices, aggregators, filters); its input must match the data.</summary>
    public required DdnnConfig BaseConfig { get; init; }

    /// <summary>Training epochs of every model.</summary>
    public int Epochs { get; init; } = 8;
    /// <summary>Training mini-batch size of every model.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Adam's initial learning rate for every model, before <see cref="Schedule"/>.</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>
    /// Learning-rate schedule of every model. Cosine decays the rate to zero at the last epoch, so a short run ends on
    /// settled weights instead of wherever the last large step left a binarized net.
    /// </summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Cosine;

    /// <summary>Seed of every model's initialization, batch order and device dropout.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>
    /// Training seeds averaged in the number-of-devices study: <see cref="Seed"/>, <see cref="Seed"/> + 1, ... (the
    /// base model is the all-devices point of the first seed). One model per point is noisy at quick sizes; the mean
    /// over seeds is what the study's finding judges.
    /// </summary>
    public int DeviceStudySeeds { get; init; } = 1;

    /// <summary>Device-dropout probability of the model in the missing-device study.</summary>
    public double DeviceDropout { get; init; } = 0.25;

    /// <summary>Step of the threshold sweep.</summary>
    public double SweepStep { get; init; } = 0.05;

    /// <summary>What the calibrated threshold must achieve on the validation split.</summary>
    public CalibrationTarget Target { get; init; } = new CalibrationTarget.AccuracyDrop(0.01);

    /// <summary>Filters f of every device block in the filters study (the base model's f is reused).</summary>
    public IReadOnlyList<int> FilterChoices { get; init; } = [1, 2, 4, 8];

    /// <summary>Evaluation batch size.</summary>
    public int EvaluationBatch { get; init; } = 256;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public PaperSettings Validate()
    {
        ArgumentNullException.ThrowIfNull(BaseConfig);
        if (!BaseConfig.HasLocalExit) throw new ArgumentException("the studies need a base model with a local exit", nameof(BaseConfig));
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "must be at least 1");
        if (DeviceStudySeeds < 1) throw new ArgumentOutOfRangeException(nameof(DeviceStudySeeds), DeviceStudySeeds, "must be at least 1");
        if (!Enum.IsDefined(Schedule)) throw new ArgumentOutOfRangeException(nameof(Schedule), Schedule, "unknown learning-rate schedule");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "must be at least 1");
        if (!(DeviceDropout > 0 && DeviceDropout < 1)) throw new ArgumentOutOfRangeException(nameof(DeviceDropout), DeviceDropout, "must be in (0, 1)");
        if (!(SweepStep > 0 && SweepStep <= 1)) throw new ArgumentOutOfRangeException(nameof(SweepStep), SweepStep, "must be in (0, 1]");
        ArgumentNullException.ThrowIfNull(Target);
        if (FilterChoices.Count == 0 || FilterChoices.Any(f => f < 1))
            throw new ArgumentException("filter choices must be a non-empty list of positive counts", nameof(FilterChoices));
        return this;
    }
}

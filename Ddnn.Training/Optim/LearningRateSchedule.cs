namespace Ddnn.Training.Optim;

/// <summary>How the learning rate changes over a run.</summary>
public enum LearningRateSchedule
{
    /// <summary>The base rate for every step (the reference PyTorch runs).</summary>
    Constant,

    /// <summary>
    /// Half a cosine from the base rate down to zero over the run's steps. Binarized layers flip latent signs on every
    /// large step, so a constant rate leaves the last epochs' accuracy swinging by several points; the decay lets the
    /// final weights settle.
    /// </summary>
    Cosine,
}

/// <summary>The rate a <see cref="LearningRateSchedule"/> gives at a step.</summary>
public static class LearningRateSchedules
{
    /// <summary>Short names used on the command line and in files.</summary>
    public static readonly IReadOnlyList<string> Names = ["constant", "cosine"];

    /// <summary>
    /// The rate of step <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>: a pure function of the
    /// step, so a resumed run gets exactly the rates an uninterrupted one would.
    /// </summary>
    public static float Rate(this LearningRateSchedule schedule, float baseRate, long step, long totalSteps)
    {
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "must be at least 1.");
        if (step < 0 || step >= totalSteps)
            throw new ArgumentOutOfRangeException(nameof(step), step, $"must be in [0, {totalSteps}).");
        return schedule switch
        {
            LearningRateSchedule.Constant => baseRate,
            LearningRateSchedule.Cosine => (float)(baseRate * 0.5 * (1 + Math.Cos(Math.PI * step / totalSteps))),
            _ => throw new ArgumentOutOfRangeException(nameof(schedule), schedule, "unknown learning-rate schedule."),
        };
    }

    /// <summary>Parses a short name from <see cref="Names"/>.</summary>
    public static LearningRateSchedule Parse(string name) => name switch
    {
        "constant" => LearningRateSchedule.Constant,
        "cosine" => LearningRateSchedule.Cosine,
        _ => throw new ArgumentException($"unknown learning-rate schedule '{name}'; expected one of {string.Join(", ", Names)}.", nameof(name)),
    };

    /// <summary>The short name of <paramref name="schedule"/>.</summary>
    public static string ToShortName(this LearningRateSchedule schedule) => Names[(int)schedule];
}

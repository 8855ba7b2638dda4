namespace Ddnn.Training.Data;

/// <summary>How to split a user's MVMC.npz.</summary>
public sealed record MvmcOptions
{
    /// <summary>The first this-many samples are the training part (680 in the authors' split); the rest are the test split.</summary>
    public int TrainPartCount { get; init; } = 680;

    /// <summary>
    /// Every this-many-th sample of the training part (indices k·n − 1) goes to the validation split, the others
    /// to training: 68 of 680 by default. Interleaving rather than a tail cut keeps validation representative if
    /// the file is ordered by scene or class. 0 leaves validation empty.
    /// </summary>
    public int ValidationEvery { get; init; } = 10;

    /// <summary>Throws for an empty training part or a <see cref="ValidationEvery"/> of 1 or less than 0.</summary>
    public void Validate()
    {
        if (TrainPartCount < 1)
            throw new ArgumentOutOfRangeException(nameof(TrainPartCount), $"TrainPartCount must be >= 1, got {TrainPartCount}");
        if (ValidationEvery < 0 || ValidationEvery == 1)
            throw new ArgumentOutOfRangeException(nameof(ValidationEvery), $"ValidationEvery must be 0 (no validation) or >= 2, got {ValidationEvery}");
    }
}

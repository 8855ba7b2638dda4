namespace Ddnn.Training.Data;

/// <summary>Sizes and seed of the synthetic multi-camera scene data set.</summary>
public sealed record SyntheticSceneOptions
{
    /// <summary>Samples in the training split.</summary>
    public int TrainCount { get; init; } = 3000;
    /// <summary>Samples in the validation split, used to calibrate exit thresholds.</summary>
    public int ValidationCount { get; init; } = 600;
    /// <summary>Samples in the test split.</summary>
    public int TestCount { get; init; } = 1200;
    /// <summary>Fixes the camera placement and every sample; the same seed gives the same bytes on every machine.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Side of each square RGB view in pixels.</summary>
    public int ImageSize { get; init; } = 32;

    /// <summary>Number of cameras (end devices).</summary>
    public int Devices { get; init; } = 6;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (TrainCount < 0)
            throw new ArgumentOutOfRangeException(nameof(TrainCount), $"TrainCount must be >= 0, got {TrainCount}");
        if (ValidationCount < 0)
            throw new ArgumentOutOfRangeException(nameof(ValidationCount), $"ValidationCount must be >= 0, got {ValidationCount}");
        if (TestCount < 0)
            throw new ArgumentOutOfRangeException(nameof(TestCount), $"TestCount must be >= 0, got {TestCount}");
        if (ImageSize < 8 || ImageSize > 512)
            throw new ArgumentOutOfRangeException(nameof(ImageSize), $"ImageSize must be in 8..512, got {ImageSize}");
        if (Devices < 1 || Devices > 64)
            throw new ArgumentOutOfRangeException(nameof(Devices), $"Devices must be in 1..64, got {Devices}");
        long perSplitLimit = int.MaxValue / (3L * ImageSize * ImageSize * Devices);
        int largest = Math.Max(TrainCount, Math.Max(ValidationCount, TestCount));
        if (largest > perSplitLimit)
            throw new ArgumentOutOfRangeException(nameof(TrainCount), $"a split of {largest} samples exceeds the {perSplitLimit} that fit in one array at this image size and device count");
    }
}

namespace Ddnn.Training.Data;

/// <summary>Per-source loading options; <see cref="DatasetSource.Load"/> uses the one that matches the source.</summary>
public sealed record DatasetLoadOptions
{
    /// <summary>Split sizes, seed, image size and camera count of the generated scenes.</summary>
    public SyntheticSceneOptions Synthetic { get; init; } = new();
    /// <summary>Validation size and per-split cap for MV-FMNIST (the directory comes from the source).</summary>
    public FashionMnistOptions FashionMnist { get; init; } = new();
    /// <summary>How the MVMC file is divided into training, validation and test.</summary>
    public MvmcOptions Mvmc { get; init; } = new();
}

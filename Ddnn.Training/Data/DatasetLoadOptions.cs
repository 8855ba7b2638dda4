namespace Ddnn.Training.Data;

/// <summary>Per-source loading options; <see cref="DatasetSource.Load"/> uses the one that matches the source.</summary>
public sealed record DatasetLoadOptions
{
    public SyntheticSceneOptions Synthetic { get; init; } = new();
    public FashionMnistOptions FashionMnist { get; init; } = new();
    public MvmcOptions Mvmc { get; init; } = new();
}

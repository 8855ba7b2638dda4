namespace Ddnn.Training.Data;

/// <summary>Where to find Fashion-MNIST and how much of it to load as MV-FMNIST.</summary>
public sealed record FashionMnistOptions
{
    /// <summary>Install location of the Debian package dataset-fashion-mnist.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Directory holding the four gzip-compressed IDX files.</summary>
    public string Directory { get; init; } = DefaultDirectory;

    /// <summary>The last this-many training-file images form the validation split (5000 per the spec).</summary>
    public int ValidationCount { get; init; } = 5000;

    /// <summary>When set, each split keeps only its first this-many samples (for quick runs).</summary>
    public int? MaxSamplesPerSplit { get; init; }

    /// <summary>Throws for an empty directory or a negative count.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Directory, nameof(Directory));
        if (ValidationCount < 0)
            throw new ArgumentOutOfRangeException(nameof(ValidationCount), $"ValidationCount must be >= 0, got {ValidationCount}");
        if (MaxSamplesPerSplit is < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxSamplesPerSplit), $"MaxSamplesPerSplit must be >= 0, got {MaxSamplesPerSplit}");
    }
}

namespace Ddnn.Training.Data;

/// <summary>Which data set to load, as written on the command line: <c>synthetic</c>, <c>fmnist</c>, <c>fmnist:&lt;dir&gt;</c> or <c>mvmc:&lt;path&gt;</c>.</summary>
public sealed record DatasetSource
{
    private DatasetSource(DatasetKind kind, string? path)
    {
        Kind = kind;
        Path = path;
    }

    /// <summary>Which of the three sources this is, and so which loader and options apply.</summary>
    public DatasetKind Kind { get; }

    /// <summary>The Fashion-MNIST directory or the MVMC .npz path; null for synthetic.</summary>
    public string? Path { get; }

    /// <summary>The generated scenes (command-line form <c>synthetic</c>).</summary>
    public static DatasetSource Synthetic { get; } = new(DatasetKind.Synthetic, null);

    /// <summary>MV-FMNIST read from the four IDX files in <paramref name="directory"/> (command-line form <c>fmnist[:&lt;dir&gt;]</c>).</summary>
    public static DatasetSource FashionMnist(string directory = FashionMnistOptions.DefaultDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return new DatasetSource(DatasetKind.FashionMnist, directory);
    }

    /// <summary>MVMC read from the .npz at <paramref name="path"/> (command-line form <c>mvmc:&lt;path&gt;</c>).</summary>
    public static DatasetSource Mvmc(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return new DatasetSource(DatasetKind.Mvmc, path);
    }

    /// <summary>Syntax help for error messages and --help.</summary>
    public const string Syntax = "synthetic | fmnist[:<dir>] | mvmc:<path.npz>";

    /// <summary>Parses the CLI syntax; throws <see cref="ArgumentException"/> naming the text and the accepted forms.</summary>
    public static DatasetSource Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim();
        int colon = trimmed.IndexOf(':');
        string name = (colon < 0 ? trimmed : trimmed[..colon]).ToLowerInvariant();
        string? argument = colon < 0 ? null : trimmed[(colon + 1)..];
        switch (name)
        {
            case "synthetic":
                if (argument is not null)
                    throw new ArgumentException($"dataset 'synthetic' takes no path, got '{text}'", nameof(text));
                return Synthetic;
            case "fmnist":
                if (argument is null)
                    return FashionMnist();
                if (argument.Length == 0)
                    throw new ArgumentException($"dataset '{text}': empty directory after 'fmnist:'", nameof(text));
                return FashionMnist(argument);
            case "mvmc":
                if (string.IsNullOrEmpty(argument))
                    throw new ArgumentException($"dataset 'mvmc' needs the path of your MVMC.npz: mvmc:<path>", nameof(text));
                return Mvmc(argument);
            default:
                throw new ArgumentException($"unknown dataset '{text}', expected {Syntax}", nameof(text));
        }
    }

    /// <summary>Checks that the file or directory exists, so a typo fails before any work starts.</summary>
    public void RequireExists()
    {
        switch (Kind)
        {
            case DatasetKind.FashionMnist when !Directory.Exists(Path):
                throw new DirectoryNotFoundException($"Fashion-MNIST directory not found: {Path} (install the Debian package dataset-fashion-mnist or pass fmnist:<dir>)");
            case DatasetKind.Mvmc when !File.Exists(Path):
                throw new FileNotFoundException($"MVMC file not found: {Path}", Path);
        }
    }

    /// <summary>Loads the train / validation / test splits.</summary>
    public DataSplits Load(DatasetLoadOptions? options = null, CancellationToken cancellation = default)
    {
        options ??= new DatasetLoadOptions();
        RequireExists();
        return Kind switch
        {
            DatasetKind.Synthetic => SyntheticSceneGenerator.Generate(options.Synthetic, cancellation),
            DatasetKind.FashionMnist => MultiViewFashionMnist.Load(options.FashionMnist with { Directory = Path! }, cancellation),
            _ => MvmcDataset.Load(Path!, options.Mvmc),
        };
    }

    /// <summary>Raw-offload baseline in bytes per device per sample (8 bits per pixel per channel).</summary>
    public int RawBytesPerDevicePerSample(DatasetLoadOptions? options = null) => Kind switch
    {
        DatasetKind.Synthetic => SyntheticSceneGenerator.RawBytesPerDevicePerSample((options ?? new DatasetLoadOptions()).Synthetic),
        DatasetKind.FashionMnist => MultiViewFashionMnist.RawBytesPerDevicePerSample,
        _ => MvmcDataset.RawBytesPerDevicePerSample,
    };

    /// <summary>The command-line form that <see cref="Parse"/> reads back; the default Fashion-MNIST directory is left out.</summary>
    public override string ToString() => Kind switch
    {
        DatasetKind.Synthetic => "synthetic",
        DatasetKind.FashionMnist => Path == FashionMnistOptions.DefaultDirectory ? "fmnist" : $"fmnist:{Path}",
        _ => $"mvmc:{Path}",
    };
}

namespace Ddnn.Training.Experiments;

/// <summary>The paper's MVMC reference figures (shared/spec/ddnn.md, from the authors' published CSVs).</summary>
internal static class PaperReference
{
    /// <summary>MP-CC local and cloud accuracy (paper text).</summary>
    public const double MpCcAccuracy = 0.98;

    /// <summary>Overall accuracy for 1..6 devices.</summary>
    public static IReadOnlyList<double> DevicesAccuracy { get; } = [0.58, 0.80, 0.88, 0.96, 0.99, 0.99];

    /// <summary>Threshold sweep: T, local exit fraction, overall accuracy.</summary>
    public static IReadOnlyList<(double T, double LocalExit, double Overall)> Sweep { get; } =
    [
        (0.1, 0.0, 0.96), (0.3, 0.0058, 0.96), (0.5, 0.0175, 0.96), (0.6, 0.0292, 0.96), (0.7, 0.228, 0.96),
        (0.8, 0.608, 0.97), (0.9, 0.83, 0.96), (1.0, 1.0, 0.92),
    ];

    /// <summary>Filters study (two device layers): f, overall accuracy, bytes per device.</summary>
    public static IReadOnlyList<(int Filters, double Overall, double Bytes)> Filters { get; } =
        [(1, 0.91, 14), (2, 0.95, 16), (4, 0.96, 21), (8, 0.97, 30)];

    /// <summary>The paper's operating point: T = 0.8, 60.82% local exits, 97% overall, ~62 bytes per device.</summary>
    public const double OperatingThreshold = 0.8;
    /// <summary>Fraction of samples that exit locally at the operating point.</summary>
    public const double OperatingLocalExit = 0.6082;
    /// <summary>Overall cascade accuracy at the operating point.</summary>
    public const double OperatingAccuracy = 0.97;
    /// <summary>Bytes each device sends per sample at the operating point (approximate).</summary>
    public const double OperatingBytes = 62;

    /// <summary>"Over 20x" less communication than raw offload.</summary>
    public const double RawOffloadReduction = 20;
}

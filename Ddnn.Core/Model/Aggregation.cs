namespace Ddnn.Core.Model;

/// <summary>How an aggregator fuses the inputs of several devices (or edges).</summary>
public enum Aggregation
{
    /// <summary>MP: element-wise max over the present inputs.</summary>
    MaxPool,

    /// <summary>AP: element-wise mean over the present inputs.</summary>
    AveragePool,

    /// <summary>CC: concatenation; an absent input's slot is filled with zeros.</summary>
    Concat,
}

/// <summary>The paper's two-letter names (MP, AP, CC) and "local-cloud" scheme strings such as "MP-CC".</summary>
public static class AggregationNames
{
    /// <summary>The nine local-cloud schemes the paper evaluates, in its order.</summary>
    public static IReadOnlyList<(Aggregation Local, Aggregation Cloud)> PaperSchemes { get; } =
    [
        (Aggregation.MaxPool, Aggregation.Concat), (Aggregation.AveragePool, Aggregation.Concat),
        (Aggregation.MaxPool, Aggregation.MaxPool), (Aggregation.AveragePool, Aggregation.AveragePool),
        (Aggregation.Concat, Aggregation.Concat), (Aggregation.Concat, Aggregation.MaxPool),
        (Aggregation.Concat, Aggregation.AveragePool), (Aggregation.AveragePool, Aggregation.MaxPool),
        (Aggregation.MaxPool, Aggregation.AveragePool),
    ];

    /// <summary>The paper's two-letter name: MP, AP or CC.</summary>
    public static string ToShortName(this Aggregation a) => a switch
    {
        Aggregation.MaxPool => "MP",
        Aggregation.AveragePool => "AP",
        Aggregation.Concat => "CC",
        _ => throw new ArgumentOutOfRangeException(nameof(a), a, "unknown aggregation"),
    };

    /// <summary>Parses MP, AP or CC (case-insensitive; the long names max, mean/average and concat too).</summary>
    public static Aggregation Parse(string text, string what = "aggregation") =>
        text.Trim().ToUpperInvariant() switch
        {
            "MP" or "MAX" or "MAXPOOL" => Aggregation.MaxPool,
            "AP" or "AVG" or "MEAN" or "AVERAGE" or "AVERAGEPOOL" => Aggregation.AveragePool,
            "CC" or "CONCAT" => Aggregation.Concat,
            _ => throw new FormatException($"{what}: '{text}' is not an aggregation; use MP, AP or CC."),
        };

    /// <summary>Parses a "local-cloud" scheme such as "MP-CC".</summary>
    public static (Aggregation Local, Aggregation Cloud) ParseScheme(string scheme)
    {
        var parts = scheme.Split('-');
        if (parts.Length != 2)
            throw new FormatException($"scheme '{scheme}' must be LOCAL-CLOUD, e.g. MP-CC.");
        return (Parse(parts[0], $"scheme '{scheme}' (local)"), Parse(parts[1], $"scheme '{scheme}' (cloud)"));
    }

    /// <summary>The "local-cloud" scheme string, such as "MP-CC", that <see cref="ParseScheme"/> reads back.</summary>
    public static string SchemeName(Aggregation local, Aggregation cloud) => $"{local.ToShortName()}-{cloud.ToShortName()}";
}

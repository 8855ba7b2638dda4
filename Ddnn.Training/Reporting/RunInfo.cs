using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ddnn.Training.Reporting;

/// <summary>What produced a results folder: command line, seeds, dataset, threads, software versions and timings (run.json).</summary>
public sealed partial record RunInfo
{
    /// <summary>The command as typed, program name first, one argument per entry.</summary>
    public required IReadOnlyList<string> CommandLine { get; init; }
    /// <summary>The training seed (weight initialisation and batch order).</summary>
    public required long Seed { get; init; }

    /// <summary>Seed of the generated data (synthetic scenes), apart from the training seed; null where no data was generated.</summary>
    public long? DataSeed { get; init; }
    /// <summary>The data set in command-line form (e.g. "synthetic", "mvmc:/data/MVMC.npz").</summary>
    public required string Dataset { get; init; }
    /// <summary>Threads the kernels were allowed to use.</summary>
    public required int Threads { get; init; }
    /// <summary>When the run started, in UTC.</summary>
    public DateTimeOffset StartedUtc { get; init; }
    /// <summary>Software and machine facts by name, such as <see cref="DefaultVersions"/> returns.</summary>
    public IReadOnlyDictionary<string, string> Versions { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Wall-clock seconds per named phase or study, in the order they ran.</summary>
    public IReadOnlyList<PhaseTiming> Timings { get; init; } = [];

    [JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
    [JsonSerializable(typeof(RunInfo))]
    private sealed partial class RunInfoContext : JsonSerializerContext;

    /// <summary>Versions every run records: ddnn's assembly version, the .NET runtime, the OS and the processor count.</summary>
    public static SortedDictionary<string, string> DefaultVersions()
    {
        var assembly = typeof(RunInfo).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                      ?? assembly.GetName().Version?.ToString() ?? "unknown";
        return new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["ddnn"] = version,
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["os"] = RuntimeInformation.OSDescription,
            ["architecture"] = RuntimeInformation.ProcessArchitecture.ToString(),
            ["processors"] = Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    /// <summary>The run.json text: indented, camelCase property names; <see cref="FromJson"/> reads it back.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, RunInfoContext.Default.RunInfo);

    /// <exception cref="InvalidDataException">The JSON is not a run description; the message names <paramref name="source"/>.</exception>
    public static RunInfo FromJson(string json, string source = "run.json")
    {
        ArgumentNullException.ThrowIfNull(json);
        RunInfo? info;
        try
        {
            info = JsonSerializer.Deserialize(json, RunInfoContext.Default.RunInfo);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not a valid run description: {e.Message}", e);
        }
        if (info is null) throw new InvalidDataException($"{source}: holds null instead of a run description");
        // The generated reader sets every init-only property, so one missing from the JSON arrives as null rather than
        // its default (dotnet/runtime issue 84484); the optional collections get their defaults back here.
        return info with
        {
            Versions = info.Versions ?? new SortedDictionary<string, string>(StringComparer.Ordinal),
            Timings = info.Timings ?? [],
        };
    }
}

/// <summary>How long one named phase (a study, data loading, training) took.</summary>
public sealed record PhaseTiming(string Name, double Seconds);

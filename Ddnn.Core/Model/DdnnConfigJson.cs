using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ddnn.Core.Model;

/// <summary>
/// Reads and writes <see cref="DdnnConfig"/> as JSON (camelCase names, aggregators as "MP"/"AP"/"CC", local
/// aggregator null for no local exit). Unknown fields are errors, so a typo never silently falls back to a default.
/// </summary>
public static class DdnnConfigJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        Converters = { new AggregationConverter() },
    };

    /// <summary>Parses and validates a configuration; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="DdnnConfigException">Malformed JSON, unknown fields or invalid values.</exception>
    public static DdnnConfig Parse(string json, string source = "configuration")
    {
        DdnnConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<DdnnConfig>(json, Options);
        }
        catch (Exception e) when (e is JsonException or FormatException or NotSupportedException or InvalidOperationException)
        {
            throw new DdnnConfigException([$"{source}: {e.Message}"]);
        }
        if (config is null) throw new DdnnConfigException([$"{source}: the JSON is null"]);
        return config.Validate();
    }

    /// <summary>Loads and validates a configuration file.</summary>
    public static DdnnConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"DDNN configuration file not found: {path}", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>The configuration as the JSON that <see cref="Parse"/> and <see cref="Load"/> read.</summary>
    public static string Serialize(DdnnConfig config) => JsonSerializer.Serialize(config, Options);

    /// <summary>Writes the configuration atomically (temporary file, then rename).</summary>
    public static void Save(DdnnConfig config, string path) => AtomicFile.WriteAllText(path, Serialize(config));

    private sealed class AggregationConverter : JsonConverter<Aggregation>
    {
        public override Aggregation Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String)
                throw new JsonException($"an aggregator must be a string (MP, AP or CC), got {reader.TokenType}");
            return AggregationNames.Parse(reader.GetString()!);
        }

        public override void Write(Utf8JsonWriter writer, Aggregation value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToShortName());
    }
}

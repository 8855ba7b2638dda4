using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ddnn.Core.Model;

/// <summary>
/// Reads and writes <see cref="DdnnConfig"/> as JSON (camelCase names, aggregators as "MP"/"AP"/"CC", local
/// aggregator null for no local exit). Unknown fields are errors, so a typo never silently falls back to a default.
/// No reflection is involved, so the engine stays trim- and NativeAOT-safe: the writer is source-generated, the
/// reader is written out by hand (<see cref="ReadConfig"/>).
/// </summary>
public static partial class DdnnConfigJson
{
    // The writer also emits the derived read-only properties (hasLocalExit ... deviceOutputBitsPerFilter, and
    // deviceOutputSize as {} because its tuple has no properties); files have always carried them, and the reader skips them.
    [JsonSourceGenerationOptions(
        PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = [typeof(AggregationConverter)])]
    [JsonSerializable(typeof(DdnnConfig))]
    private sealed partial class ConfigContext : JsonSerializerContext;

    private static readonly JsonDocumentOptions ReadOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Parses and validates a configuration; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="DdnnConfigException">Malformed JSON, unknown fields or invalid values.</exception>
    public static DdnnConfig Parse(string json, string source = "configuration")
    {
        DdnnConfig? config;
        try
        {
            using var document = JsonDocument.Parse(json, ReadOptions);
            config = document.RootElement.ValueKind == JsonValueKind.Null ? null : ReadConfig(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or FormatException)
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
    public static string Serialize(DdnnConfig config) => JsonSerializer.Serialize(config, ConfigContext.Default.DdnnConfig);

    /// <summary>Writes the configuration atomically (temporary file, then rename).</summary>
    public static void Save(DdnnConfig config, string path) => AtomicFile.WriteAllText(path, Serialize(config));

    // A field missing from the JSON keeps the record's default. (The source-generated reader cannot do this: it sets
    // every init-only property, so a missing one would become 0 or null; dotnet/runtime issue 84484.)
    private static DdnnConfig ReadConfig(JsonElement json)
    {
        var c = new DdnnConfig();
        foreach (var p in Fields(json, "$"))
        {
            var at = "$." + p.Name;
            var v = p.Value;
            c = p.Name switch
            {
                "devices" => c with { Devices = Int(v, at) },
                "inputChannels" => c with { InputChannels = Int(v, at) },
                "inputHeight" => c with { InputHeight = Int(v, at) },
                "inputWidth" => c with { InputWidth = Int(v, at) },
                "classes" => c with { Classes = Int(v, at) },
                "binary" => c with { Binary = Bool(v, at) },
                "deviceFilters" => c with { DeviceFilters = Ints(v, at) },
                "devicePool" => c with { DevicePool = Pool(v, at) },
                "localAggregator" => c with { LocalAggregator = v.ValueKind == JsonValueKind.Null ? null : Aggregator(v, at) },
                "edges" => c with { Edges = Items(v, at).Select((e, i) => Edge(e, $"{at}[{i}]")).ToArray() },
                "cloudAggregator" => c with { CloudAggregator = Aggregator(v, at) },
                "cloudFilters" => c with { CloudFilters = Ints(v, at) },
                "cloudPool" => c with { CloudPool = Pool(v, at) },
                "exitWeights" => c with { ExitWeights = Weights(v, at) },
                "batchNormEps" => c with { BatchNormEps = Float(v, at) },
                "batchNormMomentum" => c with { BatchNormMomentum = Float(v, at) },
                "hasLocalExit" or "hasEdges" or "deviceOutputChannels" or "deviceOutputSize" or "deviceOutputBitsPerFilter" => c,
                _ => throw Unknown(p.Name, "$"),
            };
        }
        return c;
    }

    private static EdgeConfig Edge(JsonElement json, string path)
    {
        var edge = new EdgeConfig();
        foreach (var p in Fields(json, path))
        {
            var at = $"{path}.{p.Name}";
            edge = p.Name switch
            {
                "devices" => edge with { Devices = Ints(p.Value, at) },
                "aggregator" => edge with { Aggregator = Aggregator(p.Value, at) },
                "filters" => edge with { Filters = Ints(p.Value, at) },
                "pool" => edge with { Pool = Pool(p.Value, at) },
                _ => throw Unknown(p.Name, path),
            };
        }
        return edge;
    }

    private static ExitWeights Weights(JsonElement json, string path)
    {
        var w = new ExitWeights();
        foreach (var p in Fields(json, path))
        {
            var at = $"{path}.{p.Name}";
            w = p.Name switch
            {
                "device" => w with { Device = Float(p.Value, at) },
                "local" => w with { Local = Float(p.Value, at) },
                "edge" => w with { Edge = Float(p.Value, at) },
                "cloud" => w with { Cloud = Float(p.Value, at) },
                _ => throw Unknown(p.Name, path),
            };
        }
        return w;
    }

    // A pooling window is a positional record: a missing field is 0, which validation then reports.
    private static PoolSpec Pool(JsonElement json, string path)
    {
        var pool = new PoolSpec(0, 0, 0);
        foreach (var p in Fields(json, path))
        {
            var at = $"{path}.{p.Name}";
            pool = p.Name switch
            {
                "kernel" => pool with { Kernel = Int(p.Value, at) },
                "stride" => pool with { Stride = Int(p.Value, at) },
                "pad" => pool with { Pad = Int(p.Value, at) },
                _ => throw Unknown(p.Name, path),
            };
        }
        return pool;
    }

    private static JsonElement.ObjectEnumerator Fields(JsonElement json, string path) =>
        json.ValueKind == JsonValueKind.Object ? json.EnumerateObject()
        : throw new JsonException($"{path} must be an object, got {Kind(json)}");

    private static JsonElement.ArrayEnumerator Items(JsonElement json, string path) =>
        json.ValueKind == JsonValueKind.Array ? json.EnumerateArray()
        : throw new JsonException($"{path} must be a list, got {Kind(json)}");

    private static int[] Ints(JsonElement json, string path) => Items(json, path).Select((e, i) => Int(e, $"{path}[{i}]")).ToArray();

    private static int Int(JsonElement json, string path) =>
        json.ValueKind == JsonValueKind.Number && json.TryGetInt32(out var v) ? v
        : throw new JsonException($"{path} must be a 32-bit integer, got {Kind(json)}");

    private static float Float(JsonElement json, string path) =>
        json.ValueKind == JsonValueKind.Number && json.TryGetSingle(out var v) ? v
        : throw new JsonException($"{path} must be a number, got {Kind(json)}");

    private static bool Bool(JsonElement json, string path) => json.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new JsonException($"{path} must be true or false, got {Kind(json)}"),
    };

    private static Aggregation Aggregator(JsonElement json, string path) =>
        json.ValueKind == JsonValueKind.String ? AggregationNames.Parse(json.GetString()!, path)
        : throw new JsonException($"{path}: an aggregator must be a string (MP, AP or CC), got {Kind(json)}");

    private static string Kind(JsonElement json) =>
        json.ValueKind is JsonValueKind.Object or JsonValueKind.Array ? json.ValueKind.ToString() : json.GetRawText();

    private static JsonException Unknown(string name, string path) =>
        new($"{path} has no field '{name}' (names are camelCase, as Serialize writes them)");

    // Writes aggregators as their short names; reading goes through ReadConfig, never through this converter.
    private sealed class AggregationConverter : JsonConverter<Aggregation>
    {
        public override Aggregation Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("DdnnConfigJson reads configurations with its own reader");

        public override void Write(Utf8JsonWriter writer, Aggregation value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToShortName());
    }
}

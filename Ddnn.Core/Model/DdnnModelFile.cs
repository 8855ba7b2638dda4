using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Ddnn.Core.State;

namespace Ddnn.Core.Model;

/// <summary>
/// A DDNN checkpoint: the configuration (so the file knows its shape) and the model's parameters and buffers.
/// Format (little-endian), version 1: magic "DDNNMODL", uint32 version, int32 config byte length, the config as
/// UTF-8 JSON (<see cref="DdnnConfigJson"/>), int32 state byte length, the state as <see cref="ModuleState"/> bytes
/// (its own per-tensor and file checksums), then a uint32 CRC-32 of every preceding byte. Written atomically.
/// </summary>
public static class DdnnModelFile
{
    /// <summary>The file's first eight bytes.</summary>
    public static ReadOnlySpan<byte> Magic => "DDNNMODL"u8;

    /// <summary>The format version this code writes and reads.</summary>
    public const uint Version = 1;

    /// <summary>Writes <paramref name="model"/>'s configuration and state to <paramref name="path"/> atomically.</summary>
    public static void Save(DdnnModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.WriteAllBytes(path, Serialize(model));
    }

    /// <summary>Reads a checkpoint and builds a model of its configuration holding its state.</summary>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt or its configuration is invalid.</exception>
    public static DdnnModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Deserialize(ReadFile(path), path);
    }

    /// <summary>
    /// Loads a checkpoint into an existing <paramref name="model"/> (e.g. to resume training). The file's configuration
    /// must equal the model's; on any error the model is left unchanged.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is corrupt or holds a model of another configuration.</exception>
    public static void LoadInto(DdnnModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = ReadFile(path);
        var config = Split(bytes, path, out var state);
        CheckSameConfig(model.Config, config, path);
        ModuleState.Deserialize(model, bytes.AsSpan()[state], path);
    }

    /// <summary>Only the configuration stored in a checkpoint.</summary>
    public static DdnnConfig ReadConfig(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Split(ReadFile(path), path, out _);
    }

    /// <summary>The bytes <see cref="Save"/> writes.</summary>
    public static byte[] Serialize(DdnnModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var config = Encoding.UTF8.GetBytes(DdnnConfigJson.Serialize(model.Config));
        var state = ModuleState.Serialize(model);
        var bytes = new byte[Magic.Length + 4 + 4 + config.Length + 4 + state.Length + 4];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        var pos = Magic.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(span[pos..], Version); pos += 4;
        BinaryPrimitives.WriteInt32LittleEndian(span[pos..], config.Length); pos += 4;
        config.CopyTo(span[pos..]); pos += config.Length;
        BinaryPrimitives.WriteInt32LittleEndian(span[pos..], state.Length); pos += 4;
        state.CopyTo(span[pos..]); pos += state.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(span[pos..], Crc32.Compute(span[..pos]));
        return bytes;
    }

    /// <summary>Builds a model from bytes produced by <see cref="Serialize"/>; <paramref name="source"/> names them in errors.</summary>
    public static DdnnModel Deserialize(ReadOnlySpan<byte> bytes, string source = "<memory>")
    {
        var config = Split(bytes, source, out var state);
        DdnnModel model;
        try
        {
            model = new DdnnModel(config);
        }
        catch (DdnnConfigException e)
        {
            throw new InvalidDataException($"{source}: the stored configuration does not build a model: {e.Message}", e);
        }
        ModuleState.Deserialize(model, bytes[state], source);
        return model;
    }

    private static byte[] ReadFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"DDNN model file not found: {path}", path);
        return File.ReadAllBytes(path);
    }

    private static DdnnConfig Split(ReadOnlySpan<byte> bytes, string source, out Range state)
    {
        var header = Magic.Length + 4 + 4;
        if (bytes.Length < Magic.Length || !bytes[..Magic.Length].SequenceEqual(Magic))
            throw new InvalidDataException($"{source}: not a DDNN model file (bad magic).");
        if (bytes.Length < header + 4 + 4) throw new InvalidDataException($"{source}: truncated header ({bytes.Length} bytes).");
        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[Magic.Length..]);
        if (version != Version)
            throw new InvalidDataException($"{source}: model file version {version} is not supported (expected {Version}).");
        if (Crc32.Compute(bytes[..^4]) != BinaryPrimitives.ReadUInt32LittleEndian(bytes[^4..]))
            throw new InvalidDataException($"{source}: file checksum mismatch (truncated or corrupt).");
        var configLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[(Magic.Length + 4)..]);
        if (configLength < 0 || header + (long)configLength + 4 + 4 > bytes.Length)
            throw new InvalidDataException($"{source}: invalid configuration length {configLength}.");
        var configJson = Encoding.UTF8.GetString(bytes.Slice(header, configLength));
        var stateAt = header + configLength;
        var stateLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[stateAt..]);
        if (stateLength < 0 || stateAt + 4L + stateLength + 4 != bytes.Length)
            throw new InvalidDataException($"{source}: invalid state length {stateLength} for a {bytes.Length}-byte file.");
        DdnnConfig config;
        try
        {
            config = DdnnConfigJson.Parse(configJson, source);
        }
        catch (DdnnConfigException e)
        {
            throw new InvalidDataException($"{source}: the stored configuration is invalid: {e.Message}", e);
        }
        state = new Range(stateAt + 4, stateAt + 4 + stateLength);
        return config;
    }

    private static void CheckSameConfig(DdnnConfig expected, DdnnConfig actual, string source)
    {
        var a = DdnnConfigJson.Serialize(expected);
        var b = DdnnConfigJson.Serialize(actual);
        if (a == b) return;
        using var docA = JsonDocument.Parse(a);
        using var docB = JsonDocument.Parse(b);
        var differing = new List<string>();
        foreach (var property in docA.RootElement.EnumerateObject())
        {
            var other = docB.RootElement.TryGetProperty(property.Name, out var value) ? value.GetRawText() : "(missing)";
            if (property.Value.GetRawText() != other) differing.Add($"{property.Name}: model {Compact(property.Value.GetRawText())}, file {Compact(other)}");
        }
        throw new InvalidDataException($"{source}: the file holds a model of another configuration ({string.Join("; ", differing)}).");
    }

    private static string Compact(string json) => string.Join(' ', json.Split((char[])['\n', '\r', ' '], StringSplitOptions.RemoveEmptyEntries));
}

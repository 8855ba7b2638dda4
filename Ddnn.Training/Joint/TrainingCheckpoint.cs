using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Ddnn.Core;
using Ddnn.Core.Layers;
using Ddnn.Core.Model;
using Ddnn.Core.State;
using Ddnn.Training.Optim;

namespace Ddnn.Training.Joint;

/// <summary>
/// Everything needed to continue a training run bit for bit: the configuration, the training options, the completed
/// epochs and their records, the model's parameters and buffers, and Adam's moments and step counters. The batch
/// order and device-dropout draws are functions of (seed, epoch, batch), so no generator state needs saving.
/// </summary>
/// <remarks>
/// File format (little-endian), version 1: magic "DDNNCKPT", uint32 version, int32 header length + UTF-8 JSON header,
/// int32 length + <see cref="ModuleState"/> bytes of the model, int32 parameter count, then per parameter int32 length,
/// int32 step count, float32 first moments, float32 second moments; finally a uint32 CRC-32 of every preceding byte.
/// Written atomically (temporary file, then rename), so a crash mid-write leaves the previous checkpoint intact.
/// </remarks>
public sealed class TrainingCheckpoint
{
    public static ReadOnlySpan<byte> Magic => "DDNNCKPT"u8;
    public const uint Version = 1;

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };

    private TrainingCheckpoint(Header header, byte[] modelState, AdamSlot[] adam)
    {
        HeaderData = header;
        ModelState = modelState;
        Adam = adam;
    }

    private Header HeaderData { get; }
    private byte[] ModelState { get; }
    private AdamSlot[] Adam { get; }

    public DdnnConfig Config => DdnnConfigJson.Parse(HeaderData.ConfigJson, "checkpoint configuration");
    public TrainingOptions Options => HeaderData.Options;
    public int CompletedEpochs => HeaderData.CompletedEpochs;
    public string DataFingerprint => HeaderData.DataFingerprint;
    public int Threads => HeaderData.Threads;
    public IReadOnlyList<EpochRecord> History => HeaderData.History;

    /// <summary>Captures the state of a run after <paramref name="completedEpochs"/> epochs.</summary>
    public static TrainingCheckpoint Capture(Module model, DdnnConfig config, Adam optimizer, TrainingOptions options,
        int completedEpochs, string dataFingerprint, int threads, IReadOnlyList<EpochRecord> history)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        var adam = new AdamSlot[optimizer.Parameters.Count];
        for (var i = 0; i < adam.Length; i++)
            adam[i] = new AdamSlot(optimizer.StepsOf(i), optimizer.FirstMoment(i).ToArray(), optimizer.SecondMoment(i).ToArray());
        var header = new Header(DdnnConfigJson.Serialize(config), options, completedEpochs, optimizer.StepCount, dataFingerprint,
            threads, history.ToArray());
        return new TrainingCheckpoint(header, ModuleState.Serialize(model), adam);
    }

    /// <summary>Copies the saved parameters, buffers and optimizer state into <paramref name="model"/> and <paramref name="optimizer"/>.</summary>
    /// <exception cref="InvalidDataException">The saved state does not fit the model or optimizer.</exception>
    public void Restore(Module model, Adam optimizer, string source = "checkpoint")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (optimizer.Parameters.Count != Adam.Length)
            throw new InvalidDataException($"{source}: holds optimizer state for {Adam.Length} parameters but the model has {optimizer.Parameters.Count}.");
        for (var i = 0; i < Adam.Length; i++)
            if (Adam[i].First.Length != optimizer.Parameters[i].Length)
                throw new InvalidDataException($"{source}: optimizer state #{i} has {Adam[i].First.Length} values but the parameter has {optimizer.Parameters[i].Length}.");
        ModuleState.Deserialize(model, ModelState, source);
        for (var i = 0; i < Adam.Length; i++) optimizer.RestoreState(i, Adam[i].First, Adam[i].Second, Adam[i].Steps);
        optimizer.RestoreStepCount(HeaderData.OptimizerSteps);
    }

    /// <summary>Writes the checkpoint atomically.</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.WriteAllBytes(path, Serialize());
    }

    /// <summary>Reads a checkpoint, checking its magic, version, lengths and checksum.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, truncated or corrupt; the message names the path.</exception>
    public static TrainingCheckpoint Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint not found: {path}", path);
        return Deserialize(File.ReadAllBytes(path), path);
    }

    public byte[] Serialize()
    {
        var header = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(HeaderData, JsonOptions));
        var size = Magic.Length + 4 + 4 + header.Length + 4 + ModelState.Length + 4 + 4;
        foreach (var slot in Adam) size += 8 + 8 * slot.First.Length;
        var bytes = new byte[size];
        var w = new Writer(bytes);
        w.Bytes(Magic);
        w.UInt32(Version);
        w.Int32(header.Length);
        w.Bytes(header);
        w.Int32(ModelState.Length);
        w.Bytes(ModelState);
        w.Int32(Adam.Length);
        foreach (var slot in Adam)
        {
            w.Int32(slot.First.Length);
            w.Int32(slot.Steps);
            w.Floats(slot.First);
            w.Floats(slot.Second);
        }
        w.UInt32(Crc32.Compute(bytes.AsSpan(0, w.Position)));
        return bytes;
    }

    public static TrainingCheckpoint Deserialize(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < Magic.Length + 8 || !bytes[..Magic.Length].SequenceEqual(Magic))
            throw new InvalidDataException($"{source}: not a Ddnn training checkpoint (bad magic).");
        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[Magic.Length..]);
        if (version != Version)
            throw new InvalidDataException($"{source}: checkpoint format version {version} is not supported (expected {Version}).");
        if (Crc32.Compute(bytes[..^4]) != BinaryPrimitives.ReadUInt32LittleEndian(bytes[^4..]))
            throw new InvalidDataException($"{source}: checkpoint is corrupt or truncated (checksum mismatch).");
        var r = new Reader(bytes[..^4], source);
        r.Skip(Magic.Length + 4);
        Header? header;
        var headerBytes = r.Bytes(r.Length("header length"), "header");
        try
        {
            header = JsonSerializer.Deserialize<Header>(headerBytes, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: checkpoint header is malformed: {e.Message}");
        }
        if (header?.Options is null || header.ConfigJson is null || header.History is null || header.DataFingerprint is null)
            throw new InvalidDataException($"{source}: checkpoint header is incomplete.");
        var modelState = r.Bytes(r.Length("model state length"), "model state").ToArray();
        var count = r.Length("optimizer parameter count");
        var adam = new AdamSlot[count];
        for (var i = 0; i < count; i++)
        {
            var length = r.Length($"length of optimizer state #{i}");
            var steps = r.Length($"steps of optimizer state #{i}");
            adam[i] = new AdamSlot(steps, r.Floats(length, $"first moments #{i}"), r.Floats(length, $"second moments #{i}"));
        }
        if (r.Remaining != 0) throw new InvalidDataException($"{source}: {r.Remaining} unexpected bytes at the end of the checkpoint.");
        return new TrainingCheckpoint(header, modelState, adam);
    }

    private sealed record Header(string ConfigJson, TrainingOptions Options, int CompletedEpochs, int OptimizerSteps,
        string DataFingerprint, int Threads, EpochRecord[] History);

    private sealed record AdamSlot(int Steps, float[] First, float[] Second);

    private ref struct Writer(Span<byte> bytes)
    {
        private readonly Span<byte> _bytes = bytes;
        public int Position { get; private set; }

        public void Bytes(ReadOnlySpan<byte> data) { data.CopyTo(_bytes[Position..]); Position += data.Length; }
        public void Int32(int v) { BinaryPrimitives.WriteInt32LittleEndian(_bytes[Position..], v); Position += 4; }
        public void UInt32(uint v) { BinaryPrimitives.WriteUInt32LittleEndian(_bytes[Position..], v); Position += 4; }

        public void Floats(ReadOnlySpan<float> values)
        {
            foreach (var v in values) { BinaryPrimitives.WriteSingleLittleEndian(_bytes[Position..], v); Position += 4; }
        }
    }

    /// <summary>Bounds-checked reader; a truncation names the field it was reading.</summary>
    private ref struct Reader(ReadOnlySpan<byte> bytes, string source)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _position;
        public readonly int Remaining => _bytes.Length - _position;

        public void Skip(int n) => _position += n;

        public ReadOnlySpan<byte> Bytes(int n, string what)
        {
            if (n < 0 || n > Remaining) throw new InvalidDataException($"{source}: truncated while reading the {what}.");
            var s = _bytes.Slice(_position, n);
            _position += n;
            return s;
        }

        public int Length(string what)
        {
            var v = BinaryPrimitives.ReadInt32LittleEndian(Bytes(4, what));
            if (v < 0) throw new InvalidDataException($"{source}: negative {what} ({v}).");
            return v;
        }

        public float[] Floats(int count, string what)
        {
            if (count > Remaining / 4) throw new InvalidDataException($"{source}: truncated while reading the {what}.");
            var raw = Bytes(count * 4, what);
            var values = new float[count];
            for (var k = 0; k < count; k++) values[k] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * k)..]);
            return values;
        }
    }
}

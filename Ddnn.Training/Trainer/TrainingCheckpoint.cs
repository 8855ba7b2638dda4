using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ddnn.Core.IO;
using Ddnn.Core.Layers;
using Ddnn.Core.Model;
using Ddnn.Core.State;
using Ddnn.Training.Optim;

namespace Ddnn.Training.Trainer;

/// <summary>
/// Everything needed to continue a training run bit for bit: the configuration, the training options, the completed
/// epochs and their records, the model's parameters and buffers, and Adam's moments and step counters. The batch
/// order and device-dropout draws are functions of (seed, epoch, batch), so no generator state needs saving.
/// </summary>
/// <remarks>
/// Stored as a <see cref="DdnnFileKind.TrainingCheckpoint"/> Ddnn file: a <see cref="ConfigSection"/>, a
/// <see cref="SectionType.TrainingProgress"/> section (UTF-8 JSON: options, completed epochs, optimizer steps, data
/// fingerprint, threads, history), the model's <see cref="ModuleState"/> tensor sections, then one
/// <see cref="SectionType.OptimizerSlot"/> per parameter (int32 steps, int32 length, float32 first moments, float32
/// second moments). Loading checks every tensor and slot against the model the configuration builds. Written
/// atomically, so a crash mid-write leaves the previous checkpoint intact.
/// </remarks>
public sealed partial class TrainingCheckpoint
{
    // The progress JSON keeps the serializer's defaults (PascalCase names, not indented); the code is source-generated.
    // The generated reader sets every init-only property of TrainingOptions, so a field missing from the JSON reads as
    // 0 or null, not as its initializer's default (dotnet/runtime issue 84484). Checkpoints always hold every field;
    // a field added to TrainingOptions later needs its default restored here when an older checkpoint lacks it.
    [JsonSourceGenerationOptions(WriteIndented = false)]
    [JsonSerializable(typeof(Progress))]
    private sealed partial class ProgressContext : JsonSerializerContext;

    private TrainingCheckpoint(DdnnConfig config, Progress progress, FileSection[] tensors, AdamSlot[] adam)
    {
        Config = config;
        ProgressData = progress;
        Tensors = tensors;
        Adam = adam;
    }

    private Progress ProgressData { get; }
    private FileSection[] Tensors { get; }
    private AdamSlot[] Adam { get; }

    /// <summary>The configuration of the model being trained; a resumed run rebuilds the model from it.</summary>
    public DdnnConfig Config { get; }
    /// <summary>The options the run was started (or last resumed) with.</summary>
    public TrainingOptions Options => ProgressData.Options;
    /// <summary>Epochs finished when the checkpoint was taken.</summary>
    public int CompletedEpochs => ProgressData.CompletedEpochs;
    /// <summary>The <see cref="Trainer.DataFingerprint"/> of the training split; resuming on other data is refused.</summary>
    public string DataFingerprint => ProgressData.DataFingerprint;
    /// <summary>Kernel thread count of the run, recorded because results are bit-identical only for the same count.</summary>
    public int Threads => ProgressData.Threads;
    /// <summary>One record per completed epoch.</summary>
    public IReadOnlyList<EpochRecord> History => ProgressData.History;

    /// <summary>Captures the state of a run after <paramref name="completedEpochs"/> epochs.</summary>
    public static TrainingCheckpoint Capture(Module model, DdnnConfig config, Adam optimizer, TrainingOptions options,
        int completedEpochs, string dataFingerprint, int threads, IReadOnlyList<EpochRecord> history)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(optimizer);
        var adam = new AdamSlot[optimizer.Parameters.Count];
        for (var i = 0; i < adam.Length; i++)
            adam[i] = new AdamSlot(optimizer.StepsOf(i), optimizer.FirstMoment(i).ToArray(), optimizer.SecondMoment(i).ToArray());
        var progress = new Progress(options, completedEpochs, optimizer.StepCount, dataFingerprint, threads, history.ToArray());
        return new TrainingCheckpoint(config, progress, ModuleState.Sections(model), adam);
    }

    /// <summary>Copies the saved parameters, buffers and optimizer state into <paramref name="model"/> and <paramref name="optimizer"/>.</summary>
    /// <exception cref="InvalidDataException">The saved state does not fit the model or optimizer; nothing is changed then.</exception>
    public void Restore(Module model, Adam optimizer, string source = "checkpoint")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (optimizer.Parameters.Count != Adam.Length)
            throw new InvalidDataException($"{source}: holds optimizer state for {Adam.Length} parameters but the model has {optimizer.Parameters.Count}.");
        for (var i = 0; i < Adam.Length; i++)
            if (Adam[i].First.Length != optimizer.Parameters[i].Length)
                throw new InvalidDataException($"{source}: optimizer state #{i} has {Adam[i].First.Length} values but the parameter has {optimizer.Parameters[i].Length}.");
        ModuleState.Apply(model, Tensors, source);
        for (var i = 0; i < Adam.Length; i++) optimizer.RestoreState(i, Adam[i].First, Adam[i].Second, Adam[i].Steps);
        optimizer.RestoreStepCount(ProgressData.OptimizerSteps);
    }

    /// <summary>Writes the checkpoint atomically.</summary>
    public void Save(string path) => DdnnFile.Save(path, DdnnFileKind.TrainingCheckpoint, Sections());

    /// <summary>Reads a checkpoint and checks everything in it against the model its configuration builds.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, truncated, corrupt or inconsistent; the message names the path.</exception>
    public static TrainingCheckpoint Load(string path) => FromContents(DdnnFile.Read(path, DdnnFileKind.TrainingCheckpoint));

    /// <summary>The checkpoint as the bytes <see cref="Save"/> writes.</summary>
    public byte[] Serialize() => DdnnFile.Serialize(DdnnFileKind.TrainingCheckpoint, Sections());

    /// <summary>Reads a checkpoint from <paramref name="bytes"/>, checked like <see cref="Load"/>; errors name <paramref name="source"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a checkpoint, truncated, corrupt or inconsistent.</exception>
    public static TrainingCheckpoint Deserialize(byte[] bytes, string source) =>
        FromContents(DdnnFile.Parse(bytes, source, DdnnFileKind.TrainingCheckpoint));

    private FileSection[] Sections()
    {
        var sections = new List<FileSection>(2 + Tensors.Length + Adam.Length)
        {
            ConfigSection.Of(Config),
            FileSection.Of(SectionType.TrainingProgress, 0, JsonSerializer.SerializeToUtf8Bytes(ProgressData, ProgressContext.Default.Progress)),
        };
        sections.AddRange(Tensors);
        for (var i = 0; i < Adam.Length; i++)
        {
            var w = new PayloadWriter();
            w.Int(Adam[i].Steps);
            w.Int(Adam[i].First.Length);
            w.Floats(Adam[i].First);
            w.Floats(Adam[i].Second);
            sections.Add(FileSection.Of(SectionType.OptimizerSlot, (uint)i, w.ToArray()));
        }
        return sections.ToArray();
    }

    private static TrainingCheckpoint FromContents(DdnnFileContents contents)
    {
        var source = contents.Source;
        var configSection = contents.Single(SectionType.Config);
        var config = ConfigSection.Read(configSection);
        var progress = ReadProgress(contents.Single(SectionType.TrainingProgress));
        var tensors = contents.All(SectionType.Tensor).ToArray();

        // Everything must fit the model the configuration builds, so a bad checkpoint fails here, not mid-resume.
        var model = ConfigSection.Build(config, configSection);
        ModuleState.Apply(model, tensors, source);
        var parameters = model.Parameters();
        var slots = contents.All(SectionType.OptimizerSlot);
        if (slots.Count != parameters.Count)
            throw new InvalidDataException($"{source}: holds {slots.Count} optimizer slots, but the model has {parameters.Count} parameters.");
        var adam = new AdamSlot[slots.Count];
        for (var i = 0; i < adam.Length; i++)
        {
            var section = slots[i];
            section.ExpectIndex((uint)i);
            var r = section.Reader();
            var steps = r.Int("step count", 0, int.MaxValue);
            var length = r.Int("moment length", 0, int.MaxValue);
            if (length != parameters[i].Length)
                throw r.Error($"holds {length} moments, but parameter #{i} has {parameters[i].Length} values.");
            adam[i] = new AdamSlot(steps, r.Floats(length, "first moments"), r.Floats(length, "second moments"));
            r.ExpectEnd();
        }
        return new TrainingCheckpoint(config, progress, tensors, adam);
    }

    private static Progress ReadProgress(FileSection section)
    {
        section.ExpectIndex(0);
        var json = section.Reader().RestAsText("training progress JSON");
        Progress? progress;
        try
        {
            progress = JsonSerializer.Deserialize(json, ProgressContext.Default.Progress);
        }
        catch (JsonException e)
        {
            throw section.Error($"training progress is malformed: {e.Message}");
        }
        if (progress?.Options is null || progress.History is null || progress.DataFingerprint is null)
            throw section.Error("training progress is incomplete.");
        try
        {
            progress.Options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw section.Error($"invalid training options: {e.Message}");
        }
        if (progress.CompletedEpochs < 0 || progress.CompletedEpochs != progress.History.Length)
            throw section.Error($"{progress.CompletedEpochs} completed epochs but {progress.History.Length} epoch records.");
        if (progress.OptimizerSteps < 0 || progress.Threads < 1)
            throw section.Error($"invalid optimizer step count {progress.OptimizerSteps} or thread count {progress.Threads}.");
        return progress;
    }

    private sealed record Progress(TrainingOptions Options, int CompletedEpochs, int OptimizerSteps, string DataFingerprint, int Threads,
        EpochRecord[] History);

    private sealed record AdamSlot(int Steps, float[] First, float[] Second);
}

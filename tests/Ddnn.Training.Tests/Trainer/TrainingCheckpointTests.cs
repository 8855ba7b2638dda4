using System.Text;
using Ddnn.Core;
using Ddnn.Core.Deploy;
using Ddnn.Core.IO;
using Ddnn.Core.Model;
using Ddnn.TestSupport;
using Ddnn.Training.Tests.Data;
using Ddnn.Training.Trainer;
using FsCheck.Xunit;

namespace Ddnn.Training.Tests.Trainer;

/// <summary>The training checkpoint file: exact round trip, every kind of damage, and checkpoint → export → load.</summary>
public sealed class TrainingCheckpointTests
{
    /// <summary>A checkpoint after one epoch of the tiny run, and the trainer that wrote it.</summary>
    private static readonly Lazy<(DdnnTrainer Trainer, byte[] Bytes)> OneEpoch = new(() =>
    {
        var data = TinyRuns.Small;
        var trainer = new DdnnTrainer(TinyRuns.Model(TinyRuns.Config(data.Train)), data.Train, data.Validation,
            new TrainingOptions { Epochs = 1, BatchSize = 16, Seed = 3 });
        trainer.Run();
        return (trainer, trainer.Checkpoint().Serialize());
    });

    private static byte[] Bytes => OneEpoch.Value.Bytes;

    private static InvalidDataException Rejected(RawDdnnFile raw) =>
        Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.Deserialize(raw.Build(), "run.ckpt"));

    private static int SectionOf(RawDdnnFile raw, SectionType type) => raw.Sections.FindIndex(s => s.Type == (uint)type);

    [Fact]
    public void SerializingALoadedCheckpointGivesTheSameBytes() =>
        Assert.Equal(Bytes, TrainingCheckpoint.Deserialize(Bytes, "run.ckpt").Serialize());

    [Fact]
    public void EveryGenericDamageIsReported()
    {
        using var dir = new TempDirectory();
        FileDamage.AssertEachIsReported(FileDamage.Cases(Bytes, (uint)DdnnFileKind.TrainableModel, (uint)SectionType.DevicePartition),
            dir.File("damaged.ckpt"), p => TrainingCheckpoint.Load(p));
    }

    [Fact]
    public void ACheckpointAndAModelFileGivenForEachOtherAreNamedAsSuch()
    {
        using var dir = new TempDirectory();
        var model = dir.File("model.ddnn");
        DdnnModelFile.Save(OneEpoch.Value.Trainer.Model, model);
        var e = Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.Load(model));
        Assert.Equal($"{model}: is a trainable model file, but a training checkpoint file is expected here.", e.Message);
        var checkpoint = dir.File("run.ckpt");
        File.WriteAllBytes(checkpoint, Bytes);
        e = Assert.Throws<InvalidDataException>(() => DdnnModelFile.Load(checkpoint));
        Assert.Equal($"{checkpoint}: is a training checkpoint file, but a trainable model file is expected here.", e.Message);
        e = Assert.Throws<InvalidDataException>(() => DeployedModelLoader.Load(checkpoint));
        Assert.Contains("is a training checkpoint file", e.Message);
    }

    [Fact]
    public void TensorsOfAnotherConfigurationAreReportedAtLoad()
    {
        var raw = RawDdnnFile.Parse(Bytes);
        var other = TinyRuns.Config(TinyRuns.Small.Train, deviceFilters: 3);
        raw.Sections[0] = new RawSection((uint)SectionType.Config, 0, Encoding.UTF8.GetBytes(DdnnConfigJson.Serialize(other)));
        var e = Rejected(raw);
        Assert.StartsWith("run.ckpt: section ", e.Message);
        Assert.Contains("in the file but", e.Message);
    }

    [Fact]
    public void OptimizerSlotsThatDoNotFitAreReported()
    {
        var raw = RawDdnnFile.Parse(Bytes);
        var first = SectionOf(raw, SectionType.OptimizerSlot);
        raw.Sections.RemoveAt(raw.Sections.Count - 1);
        Assert.Contains($"holds {raw.Sections.Count - first} optimizer slots, but the model has {raw.Sections.Count - first + 1} parameters", Rejected(raw).Message);

        raw = RawDdnnFile.Parse(Bytes);
        raw.Sections[first] = raw.Sections[first + 1] with { Index = 0 };
        Assert.Contains($"section {first} (optimizer slot 0): holds", Rejected(raw).Message);

        raw = RawDdnnFile.Parse(Bytes);
        raw.Sections[first] = raw.Sections[first] with { Payload = raw.Sections[first].Payload[..^4] };
        Assert.Contains("payload ends inside second moments", Rejected(raw).Message);
    }

    [Fact]
    public void MalformedOrInconsistentProgressIsReported()
    {
        var raw = RawDdnnFile.Parse(Bytes);
        var at = SectionOf(raw, SectionType.TrainingProgress);
        raw.Sections[at] = raw.Sections[at] with { Payload = "{\"Options\": 3"u8.ToArray() };
        Assert.Contains("(training progress 0): training progress is malformed", Rejected(raw).Message);

        raw = RawDdnnFile.Parse(Bytes);
        var json = Encoding.UTF8.GetString(raw.Sections[at].Payload).Replace("\"CompletedEpochs\":1", "\"CompletedEpochs\":2", StringComparison.Ordinal);
        raw.Sections[at] = raw.Sections[at] with { Payload = Encoding.UTF8.GetBytes(json) };
        Assert.Contains("2 completed epochs but 1 epoch records", Rejected(raw).Message);
    }

    [Property(MaxTest = 60)]
    public void FlippingOrCuttingBytesGivesACleanErrorOrTheIdenticalCheckpoint(uint position, byte mask, bool cut)
        => FileDamage.AssertFlipOrCutIsCleanOrIdentical(Bytes, position, mask, cut, "fuzzed.ckpt",
            (bytes, path) => TrainingCheckpoint.Deserialize(bytes, path).Serialize());

    [Fact]
    public void CheckpointThenExportThenLoadGivesTheTrainersPredictions()
    {
        using var dir = new TempDirectory();
        var trainer = OneEpoch.Value.Trainer;
        var checkpointPath = dir.File("run.ckpt");
        File.WriteAllBytes(checkpointPath, Bytes);

        // What `ddnn train` does at the end of a run, from the checkpoint: restore, save the model file, export, load.
        var checkpoint = TrainingCheckpoint.Load(checkpointPath);
        var restored = new DdnnModel(checkpoint.Config);
        checkpoint.Restore(restored, new Ddnn.Training.Optim.Adam(restored.Parameters(), checkpoint.Options.LearningRate), checkpointPath);
        var modelPath = dir.File("model.ddnn");
        DdnnModelFile.Save(restored, modelPath);
        var exported = Path.Combine(dir.Path, "export");
        var fromFile = DdnnModelFile.Load(modelPath);
        fromFile.Eval();
        var deployed = DdnnExporter.Export(fromFile);
        foreach (var id in PartitionId.AllOf(deployed)) DeployFile.SavePartition(deployed, id, Path.Combine(exported, id + DeployedModelLoader.Extension));
        var loaded = DeployedModelLoader.Load(exported);

        trainer.Model.Eval();
        var direct = DdnnExporter.Export(trainer.Model);
        var test = TinyRuns.Small.Test;
        for (var s = 0; s < test.Count; s++)
        {
            var a = direct.Infer(test.GetSample(s));
            var b = loaded.Infer(test.GetSample(s));
            for (var e = 0; e < a.Exits.Length; e++) Assert.True(a.Exits[e].AsSpan().SequenceEqual(b.Exits[e]), $"sample {s}: exit {e} differs");
        }

        // And the packed model predicts what the trained graph predicts.
        using var _ = Autograd.NoGrad();
        var config = trainer.Model.Config;
        var views = new float[test.Count * test.SampleSize];
        test.CopyBatch(Enumerable.Range(0, test.Count).ToArray(), views, new int[test.Count]);
        var graph = trainer.Model.Forward(Tensor.FromValues(views, test.Count, config.Devices, config.InputChannels, config.InputHeight, config.InputWidth));
        for (var s = 0; s < test.Count; s++)
        {
            var packed = loaded.Infer(test.GetSample(s));
            for (var e = 0; e < packed.Exits.Length; e++)
                Assert.Equal(ArgMax(graph.Exits[e].Data.AsSpan(s * config.Classes, config.Classes)), ArgMax(packed.Exits[e]));
        }
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}

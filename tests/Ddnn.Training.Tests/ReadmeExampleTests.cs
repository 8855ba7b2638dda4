using Ddnn.Core.Deploy;
using Ddnn.Core.Model;
using Ddnn.TestSupport;
using Ddnn.Training.Data;
using Ddnn.Training.Optim;
using Ddnn.Training.Trainer;

namespace Ddnn.Training.Tests;

/// <summary>
/// The README's "Use it from C#" section shows the lines between the README markers below, verbatim, so the example
/// a reader copies is one that compiles and runs; <see cref="ReadmeShowsTheExampleVerbatim"/> fails when they drift.
/// </summary>
public class ReadmeExampleTests
{
    private const string Begin = "// README:begin", End = "// README:end";

    [Fact]
    public void UseItFromCSharp()
    {
        // README:begin
        // Six cameras of 3x32x32 pixels and three classes: the synthetic scenes built into the engine.
        var data = SyntheticSceneGenerator.Generate(new SyntheticSceneOptions { TrainCount = 256, ValidationCount = 64, TestCount = 64 });

        // The paper's MP-CC model; DdnnConfigJson.Load("configs/....json") reads the same from a file.
        var config = DdnnBuilder.Devices(6).Input(3, 32, 32).Classes(3).DeviceBlocks(4)
            .LocalExit(Aggregation.MaxPool).Cloud(Aggregation.Concat, 16, 16).Build();
        var model = new DdnnModel(config);
        new Initializer(seed: 1).Initialize(model);

        // One epoch of joint training over every exit (Adam, batch 128, cosine decay), then validation.
        var options = new TrainingOptions { Epochs = 1, Schedule = LearningRateSchedule.Cosine, Seed = 1 };
        var trainer = new DdnnTrainer(model, data.Train, data.Validation, options);
        EpochRecord epoch = trainer.TrainEpoch();

        // Export bit-packed partitions and run device 0 alone on its view of the first test sample.
        model.Eval();
        DeployedModel deployed = DdnnExporter.Export(model);
        var deviceLogits = new float[config.Classes];
        deployed.Devices[0].Run(data.Test.GetView(0, 0), deviceLogits);

        // The whole cascade's exits for that sample, and the packed model as the bytes of a .ddnnp file.
        DeployedOutputs outputs = deployed.Infer(data.Test.GetSample(0));
        byte[] file = DeployFile.Serialize(deployed);
        // README:end

        Assert.True(double.IsFinite(epoch.Loss));
        Assert.Equal(deployed.ExitNames.Count, epoch.ValidationAccuracy.Length);
        Assert.All(deviceLogits, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(deviceLogits, outputs.Exits[0]);
        Assert.Equal(DeployFile.Serialize(DeployFile.Deserialize(file).ToModel()), file);
    }

    [Fact]
    public void ReadmeShowsTheExampleVerbatim()
    {
        var source = File.ReadAllLines(RepositoryFiles.Path("tests", "Ddnn.Training.Tests", "ReadmeExampleTests.cs"));
        var begin = Array.FindIndex(source, line => line.Trim() == Begin);
        var end = Array.FindIndex(source, line => line.Trim() == End);
        Assert.True(begin >= 0 && end > begin, "the example's README markers are missing");
        var indent = source[begin].Length - source[begin].TrimStart().Length;
        var example = string.Join('\n', source[(begin + 1)..end].Select(line => line.Length >= indent ? line[indent..] : line.TrimStart()));
        var readme = File.ReadAllText(RepositoryFiles.Path("README.md")).ReplaceLineEndings("\n");
        Assert.Contains(example, readme);
    }
}

using Ddnn.Core.Model;
using Ddnn.Training.Experiments;
using Ddnn.Training.Tests.Trainer;

namespace Ddnn.Training.Tests.Experiments;

/// <summary>One run of every paper study on the tiny synthetic set (1 epoch, 40 training samples), shared by the tests.</summary>
internal static class TinyPaperRun
{
    public static DdnnConfig BaseConfig { get; } = TinyRuns.Config(TinyRuns.Small.Train, deviceFilters: 2, cloudFilters: 4);

    public static PaperSettings Settings { get; } = new()
    {
        BaseConfig = BaseConfig,
        Epochs = 1,
        BatchSize = 16,
        FilterChoices = [1, 2],
        DeviceStudySeeds = 2,
        SweepStep = 0.05,
        EvaluationBatch = 16,
    };

    private static readonly Lazy<(PaperRunner Runner, IReadOnlyList<StudyOutput> Emitted, IReadOnlyList<StudyOutput> Returned)> Result = new(() =>
    {
        var runner = new PaperRunner(TinyRuns.Small, Settings);
        var emitted = new List<StudyOutput>();
        var returned = runner.Run(emitted.Add);
        return (runner, emitted, returned);
    });

    public static PaperRunner Runner => Result.Value.Runner;
    public static IReadOnlyList<StudyOutput> Emitted => Result.Value.Emitted;
    public static IReadOnlyList<StudyOutput> Studies => Result.Value.Returned;

    public static StudyOutput Study(string id) => Studies.Single(s => s.Id == id);

    private static readonly Lazy<TrainedModel> BaseModel = new(() => TrainedModel.Train("MP-CC", BaseConfig, TinyRuns.Small, Settings));

    /// <summary>The base MP-CC model trained alone (for sweep and calibration tests).</summary>
    public static TrainedModel Model => BaseModel.Value;
}

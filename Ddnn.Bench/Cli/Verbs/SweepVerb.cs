using Ddnn.Bench.Plots;
using Ddnn.Training.Experiments;
using Ddnn.Training.Reporting;

namespace Ddnn.Bench.Cli.Verbs;

/// <summary>
/// <c>ddnn sweep</c>: a trained model's entropy cascade on the test split at T = 0, step, ..., 1 (exit scores computed
/// once): local-exit %, overall accuracy and bytes per device; optionally CSV and PNG into --out.
/// </summary>
public sealed class SweepVerb : ICliVerb
{
    private static readonly CliOption Step = CliOption.Float("step", 0.05, "threshold step of the sweep", min: 0.001, max: 1);
    private static readonly CliOption Out = CliOption.String("out", null, $"also write <dir>/{PaperStudies.SweepId}/{ResultsFolder.TableFileName} and {ResultsFolder.PlotFileName}", valueName: "dir");
    internal static readonly CliOption Force = CliOption.Flag("force", "replace results already in --out");

    public string Name => "sweep";
    public string Summary => "run a trained model's early-exit cascade over T = 0..1: local exits, accuracy, bytes per device";

    public IReadOnlyList<CliOption> Options { get; } =
        [ModelOptions.Model, .. ExperimentOptions.DataOptions, ExperimentOptions.Threads, ExperimentOptions.Batch, Step, Out, Force];

    public int Run(CliArguments arguments, CliContext context)
    {
        var step = arguments.GetFloat(Step.Name);
        var outDir = arguments.GetOptionalString(Out.Name);
        var folder = outDir is null ? null : ResultsFolder.Open(outDir, arguments.GetFlag(Force.Name));
        using var threadScope = ExperimentOptions.UseThreads(arguments, out _);
        var model = ModelOptions.Load(arguments);
        var (_, splits) = ExperimentOptions.LoadData(arguments, context);
        var test = new Training.Trainer.DdnnEvaluator(model, arguments.GetInt(ExperimentOptions.Batch.Name)).Score(splits.Test);
        var ledger = new Core.Inference.CommunicationLedger(model.Config);
        var points = ThresholdSweep.Run(test, ledger, step);
        var table = ThresholdSweep.Table(points, test.Exits[test.Layout.CloudIndex].Accuracy(test.Labels));
        context.Out.WriteLine();
        context.Out.Write(table.ToConsoleString());
        if (folder is not null)
        {
            var plots = new PlotWriter();
            folder.WriteStudy(PaperStudies.SweepId, study =>
            {
                study.WriteTable(table);
                plots.Write(ThresholdSweep.Plot(points), study.PathOf(ResultsFolder.PlotFileName));
            });
            context.Out.WriteLine($"written to {folder.StudyPath(PaperStudies.SweepId)}");
        }
        return CliApp.ExitSuccess;
    }
}

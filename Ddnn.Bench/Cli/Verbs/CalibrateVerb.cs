using System.Globalization;
using Ddnn.Training.Experiments;

namespace Ddnn.Bench.Cli.Verbs;

/// <summary>
/// <c>ddnn calibrate</c>: picks the early-exit threshold on the validation split for an accuracy-drop target or a byte
/// budget, then reports the chosen T with its test-set figures (local exits, accuracy, bytes, reduction vs raw offload).
/// </summary>
public sealed class CalibrateVerb : ICliVerb
{
    public string Name => "calibrate";
    public string Summary => "choose the early-exit threshold on validation for a target (drop:1% or bytes:N) and report it on test";

    public IReadOnlyList<CliOption> Options { get; } =
        [ModelOptions.Model, .. ExperimentOptions.DataOptions, ExperimentOptions.Threads, ExperimentOptions.Batch, ExperimentOptions.Target];

    public int Run(CliArguments arguments, CliContext context)
    {
        var target = ExperimentOptions.ReadTarget(arguments);
        using var threadScope = ExperimentOptions.UseThreads(arguments, out _);
        var model = ModelOptions.Load(arguments);
        var (_, splits) = ExperimentOptions.LoadData(arguments, context);
        var settings = new PaperSettings { BaseConfig = model.Config, Target = target, EvaluationBatch = arguments.GetInt(ExperimentOptions.Batch.Name) };
        var result = TrainedModel.Evaluate("model", model, splits, settings);
        var v = result.Calibrated.Validation;
        var inv = CultureInfo.InvariantCulture;
        context.Out.WriteLine();
        context.Out.WriteLine(string.Create(inv,
            $"target: {PaperStudies.TargetText(v.Target)}{(v.TargetMet ? "" : " (NOT met on validation: closest threshold shown)")}"));
        context.Out.WriteLine(string.Create(inv,
            $"chosen on validation: T = {string.Join("/", v.Thresholds.Select(t => t.ToString("0.###", inv)))}: {100 * v.LocalExitFraction:F1}% local exits, accuracy {100 * v.Accuracy:F1}% (cloud-only {100 * v.CloudOnlyAccuracy:F1}%), {v.BytesPerDevice:F1} bytes per device"));
        context.Out.WriteLine();
        context.Out.Write(PaperStudies.OffloadTable(result, "At the chosen T on the test split").ToConsoleString());
        return CliApp.ExitSuccess;
    }
}

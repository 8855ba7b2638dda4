using Ddnn.Core.Model;
using Ddnn.Training.Trainer;

namespace Ddnn.Bench.Cli.Verbs;

/// <summary><c>ddnn eval</c>: evaluates a saved model: exit accuracies, calibrated cascade, communication and device-absent accuracy.</summary>
public sealed class EvalVerb : ICliVerb
{
    private static readonly CliOption Json = CliOption.String("json", null, "also write the report as JSON to this file", valueName: "file");

    public string Name => "eval";
    public string Summary => "evaluate a trained DDNN: exit accuracies, calibrated early exits, bytes per device, device-absent accuracy";

    public IReadOnlyList<CliOption> Options { get; } =
        [ModelOptions.Model, .. ExperimentOptions.DataOptions, ExperimentOptions.Threads, ExperimentOptions.Batch, ExperimentOptions.Target, Json];

    public int Run(CliArguments arguments, CliContext context)
    {
        var target = ExperimentOptions.ReadTarget(arguments);
        using var threadScope = ExperimentOptions.UseThreads(arguments, out _);
        var (_, model) = ModelOptions.LoadAny(arguments);
        var (source, splits) = ExperimentOptions.LoadData(arguments, context);
        var report = EvaluationReport.Evaluate(model, splits.Validation, splits.Test, target, source.ToString(),
            arguments.GetInt(ExperimentOptions.Batch.Name), context.Error, context.Cancellation);
        context.Out.WriteLine();
        report.WriteTables(context.Out);
        if (arguments.GetOptionalString(Json.Name) is { } json)
        {
            report.Save(json);
            context.Out.WriteLine($"report written to {json}");
        }
        return CliApp.ExitSuccess;
    }
}

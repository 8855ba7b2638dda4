using Ddnn.Core.Model;

namespace Ddnn.Bench.Cli;

/// <summary>The --model option of the verbs that read a trained model file, and its loading.</summary>
public static class ModelOptions
{
    public static CliOption Model { get; } =
        CliOption.String("model", null, "model file written by 'ddnn train --out <dir>' (<dir>/model.ddnn; required)", valueName: "file");

    /// <summary>Loads the model named by --model; a missing option or file is a usage error.</summary>
    public static DdnnModel Load(CliArguments arguments)
    {
        var (path, model) = LoadAny(arguments);
        if (!model.Config.HasLocalExit)
            throw CliUsageException.BadValue(Model.Name, path, "the model has no local exit, so it has no early-exit threshold");
        return model;
    }

    /// <summary>The --model file (required, must exist) and the model it holds, with or without a local exit.</summary>
    public static (string Path, DdnnModel Model) LoadAny(CliArguments arguments)
    {
        var path = arguments.GetOptionalString(Model.Name) ?? throw new CliUsageException("--model <file> is required");
        if (!File.Exists(path)) throw CliUsageException.BadValue(Model.Name, path, "no such file");
        return (path, DdnnModelFile.Load(path));
    }
}

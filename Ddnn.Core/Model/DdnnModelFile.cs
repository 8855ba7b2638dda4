using System.Text.Json;
using Ddnn.Core.IO;
using Ddnn.Core.State;

namespace Ddnn.Core.Model;

/// <summary>
/// A trainable DDNN model file (<see cref="DdnnFileKind.TrainableModel"/>, what <c>ddnn train</c> writes as
/// <c>model.ddnn</c>): a <see cref="ConfigSection"/> (so the file knows its shape), then the parameters and
/// batch-norm buffers as <see cref="ModuleState"/> tensor sections. Written atomically.
/// </summary>
public static class DdnnModelFile
{
    /// <summary>Writes <paramref name="model"/>'s configuration and state to <paramref name="path"/> atomically.</summary>
    public static void Save(DdnnModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        DdnnFile.Save(path, DdnnFileKind.TrainableModel, Sections(model));
    }

    /// <summary>Reads a model file and builds a model of its configuration holding its state.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt, of another kind, or its configuration or tensors are invalid.</exception>
    public static DdnnModel Load(string path) => FromContents(DdnnFile.Read(path, DdnnFileKind.TrainableModel));

    /// <summary>
    /// Loads a model file into an existing <paramref name="model"/>. The file's configuration must equal the model's;
    /// on any error the model is left unchanged.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is corrupt or holds a model of another configuration.</exception>
    public static void LoadInto(DdnnModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var contents = DdnnFile.Read(path, DdnnFileKind.TrainableModel);
        CheckSameConfig(model.Config, ConfigSection.Read(contents.Single(SectionType.Config)), contents.Source);
        ModuleState.Apply(model, contents.All(SectionType.Tensor), contents.Source);
    }

    /// <summary>Only the configuration stored in a model file.</summary>
    public static DdnnConfig ReadConfig(string path) =>
        ConfigSection.Read(DdnnFile.Read(path, DdnnFileKind.TrainableModel).Single(SectionType.Config));

    /// <summary>The bytes <see cref="Save"/> writes.</summary>
    public static byte[] Serialize(DdnnModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return DdnnFile.Serialize(DdnnFileKind.TrainableModel, Sections(model));
    }

    /// <summary>Builds a model from bytes produced by <see cref="Serialize"/>; <paramref name="source"/> names them in errors.</summary>
    public static DdnnModel Deserialize(byte[] bytes, string source = "<memory>") =>
        FromContents(DdnnFile.Parse(bytes, source, DdnnFileKind.TrainableModel));

    /// <summary>Builds the model held by verified <see cref="DdnnFileKind.TrainableModel"/> contents.</summary>
    public static DdnnModel FromContents(DdnnFileContents contents)
    {
        ArgumentNullException.ThrowIfNull(contents);
        if (contents.Kind != DdnnFileKind.TrainableModel)
            throw new InvalidDataException($"{contents.Source}: is a {contents.Kind.Describe()} file, not a {DdnnFileKind.TrainableModel.Describe()} file.");
        var configSection = contents.Single(SectionType.Config);
        var model = ConfigSection.Build(ConfigSection.Read(configSection), configSection);
        ModuleState.Apply(model, contents.All(SectionType.Tensor), contents.Source);
        return model;
    }

    private static FileSection[] Sections(DdnnModel model) => [ConfigSection.Of(model.Config), .. ModuleState.Sections(model)];

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

using Ddnn.Core.IO;
using Ddnn.Core.Model;

namespace Ddnn.Core.Deploy;

/// <summary>
/// Opens whatever a user points at as a deployed model: a trainable model file (<see cref="DdnnModelFile"/>, exported
/// on the fly), a whole-model deploy file, or a directory of deploy files (e.g. one per partition, as
/// <c>ddnn export</c> writes them) merged into one model.
/// </summary>
public static class DeployedModelLoader
{
    /// <summary>The file name of the whole-model file in an export directory.</summary>
    public const string WholeModelFile = "model.ddnnp";

    /// <summary>The extension of deploy files.</summary>
    public const string Extension = ".ddnnp";

    /// <exception cref="FileNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file(s) are malformed, incomplete or of different configurations.</exception>
    public static DeployedModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            var whole = Path.Combine(path, WholeModelFile);
            if (File.Exists(whole)) return DeployFile.Load(whole);
            var files = Directory.GetFiles(path, "*" + Extension).Order(StringComparer.Ordinal).ToArray();
            if (files.Length == 0) throw new FileNotFoundException($"no {Extension} deploy files in directory {path}", path);
            var bundle = DeployFile.LoadBundle(files[0]);
            foreach (var file in files.Skip(1)) bundle.Merge(DeployFile.LoadBundle(file));
            return bundle.ToModel();
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"model not found: {path}", path);
        var contents = DdnnFile.Read(path, DdnnFileKind.TrainableModel, DdnnFileKind.PackedModel, DdnnFileKind.PackedPartition);
        switch (contents.Kind)
        {
            case DdnnFileKind.TrainableModel:
                var model = DdnnModelFile.FromContents(contents);
                model.Eval();
                return DdnnExporter.Export(model);
            case DdnnFileKind.PackedModel:
                return DeployFile.FromContents(contents).ToModel();
            default:
                var bundle = DeployFile.FromContents(contents);
                throw new InvalidDataException(
                    $"{path}: holds only partition {string.Join(", ", bundle.Partitions)}; give the export directory (or its {WholeModelFile}) to load the whole model.");
        }
    }
}

using Ddnn.Core.Deploy;
using Ddnn.Core.Inference;
using Ddnn.Core.Model;
using Ddnn.Training.Reporting;

namespace Ddnn.Bench.Cli.Verbs;

/// <summary><c>ddnn export</c>: turns a training checkpoint into packed deploy files, one per partition plus the whole model.</summary>
public sealed class ExportVerb : ICliVerb
{
    private static readonly CliOption ModelOption = CliOption.String("model", null, "training checkpoint (.ddnn) of a binary model", valueName: "file");
    private static readonly CliOption OutOption = CliOption.String("out", null, "directory for model.ddnnp and one <partition>.ddnnp per tier", valueName: "dir");

    public string Name => "export";
    public string Summary => "export a trained binary model into bit-packed deploy files, one per device, aggregator, edge and cloud";
    private static readonly CliOption ScoresOption = ScoreEncodingOption.Create("f32",
        "how devices will send class scores to the local aggregator: float32, or uint8 over each device exit's fixed range");
    public IReadOnlyList<CliOption> Options { get; } = [ModelOption, OutOption, ScoresOption];

    public int Run(CliArguments arguments, CliContext context)
    {
        var modelPath = arguments.GetOptionalString(ModelOption.Name) ?? throw new CliUsageException("--model <file> is required");
        var outDir = arguments.GetOptionalString(OutOption.Name) ?? throw new CliUsageException("--out <dir> is required");
        DdnnModel model;
        DeployedModel deployed;
        try
        {
            model = DdnnModelFile.Load(modelPath);
            model.Eval();
            deployed = DdnnExporter.Export(model, ScoreEncodingOption.Read(arguments)!.Value);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or ArgumentException)
        {
            throw CliUsageException.CannotUse("export", modelPath, e);
        }
        Directory.CreateDirectory(outDir);
        var table = new ResultTable($"deploy files in {outDir}",
        [
            ResultColumn.Text("partition"), ResultColumn.Text("file"), ResultColumn.Number("size", unit: "B"),
            ResultColumn.Number("parameters", unit: "B"), ResultColumn.Number("tight", unit: "bits"), ResultColumn.Number("paper", unit: "bits"),
            ResultColumn.Number("peak working", unit: "B"),
        ]);
        var paperBits = new CommunicationLedger(model.Config).DeviceMemoryBits;
        foreach (var id in PartitionId.AllOf(deployed))
        {
            var path = Path.Combine(outDir, id + DeployedModelLoader.Extension);
            DeployFile.SavePartition(deployed, id, path);
            var parameters = id.Kind switch
            {
                PartitionKind.Device => deployed.Devices[id.Index].ParameterBytes,
                PartitionKind.Local => deployed.Local!.ParameterBytes,
                PartitionKind.Edge => deployed.Edges[id.Index].ParameterBytes,
                _ => deployed.Cloud.ParameterBytes,
            };
            // Memory counts are a device's concern: the paper bounds what an end device must hold.
            var device = id.Kind == PartitionKind.Device ? deployed.Devices[id.Index] : null;
            table.AddRow(id.ToString(), Path.GetFileName(path), new FileInfo(path).Length, parameters,
                device?.TightParameterBits, device is null ? null : paperBits, device?.PeakWorkingBytes);
        }
        var whole = Path.Combine(outDir, DeployedModelLoader.WholeModelFile);
        DeployFile.Save(deployed, whole);
        table.AddRow("whole model", DeployedModelLoader.WholeModelFile, new FileInfo(whole).Length, null, null, null, null);
        context.Out.WriteLine($"exported {modelPath} ({model.Config.Devices} devices, {model.Config.Classes} classes) to {outDir}");
        table.Footnote = "parameter bytes: as stored for the kernels (channels padded to 64-bit words per pixel); tight bits: 1 per weight,\n" +
            "32 per threshold or float; paper bits: the paper's count (binary weights 1 bit, bias and 4 BN floats 32 bits each).";
        context.Out.Write(table.ToConsoleString());
        return CliApp.ExitSuccess;
    }
}

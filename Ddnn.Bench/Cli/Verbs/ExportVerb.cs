using System.Globalization;
using Ddnn.Core.Deploy;
using Ddnn.Core.Inference;
using Ddnn.Core.Model;
using Ddnn.Training.Cli;
using Ddnn.Training.Reporting;

namespace Ddnn.Bench.Cli.Verbs;

/// <summary><c>ddnn export</c>: turns a training checkpoint into packed deploy files, one per partition plus the whole model.</summary>
public sealed class ExportVerb : ICliVerb
{
    private static readonly CliOption ModelOption = CliOption.String("model", null, "training checkpoint (.ddnn) of a binary model", valueName: "file");
    private static readonly CliOption OutOption = CliOption.String("out", null, "directory for model.ddnnp and one <partition>.ddnnp per tier", valueName: "dir");

    public string Name => "export";
    public string Summary => "export a trained binary model into bit-packed deploy files, one per device, aggregator, edge and cloud";
    public IReadOnlyList<CliOption> Options { get; } = [ModelOption, OutOption];

    public int Run(CliArguments arguments, CliContext context)
    {
        var modelPath = arguments.GetOptionalString(ModelOption.Name) ?? throw new CliUsageException("export needs --model <checkpoint>");
        var outDir = arguments.GetOptionalString(OutOption.Name) ?? throw new CliUsageException("export needs --out <dir>");
        DdnnModel model;
        DeployedModel deployed;
        try
        {
            model = DdnnModelFile.Load(modelPath);
            model.Eval();
            deployed = DdnnExporter.Export(model);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or ArgumentException)
        {
            throw new CliUsageException($"cannot export {modelPath}: {e.Message}", e);
        }
        Directory.CreateDirectory(outDir);
        var inv = CultureInfo.InvariantCulture;
        var table = new TextTable("partition", "file", "file bytes", "parameter bytes", "tight bits", "paper bits", "peak working bytes");
        var paperBits = new CommunicationLedger(model.Config).DeviceMemoryBits;
        foreach (var id in PartitionId.AllOf(deployed))
        {
            var path = Path.Combine(outDir, id + DeployedModelLoader.Extension);
            DeployFile.SavePartition(deployed, id, path);
            var (parameters, tight, paper, peak) = id.Kind switch
            {
                PartitionKind.Device => (deployed.Devices[id.Index].ParameterBytes, deployed.Devices[id.Index].TightParameterBits.ToString(inv),
                    paperBits.ToString(inv), deployed.Devices[id.Index].PeakWorkingBytes.ToString(inv)),
                PartitionKind.Local => (deployed.Local!.ParameterBytes, "-", "-", "-"),
                PartitionKind.Edge => (deployed.Edges[id.Index].ParameterBytes, "-", "-", "-"),
                _ => (deployed.Cloud.ParameterBytes, "-", "-", "-"),
            };
            table.AddRow(id.ToString(), Path.GetFileName(path), new FileInfo(path).Length.ToString(inv), parameters.ToString(inv), tight, paper, peak);
        }
        var whole = Path.Combine(outDir, DeployedModelLoader.WholeModelFile);
        DeployFile.Save(deployed, whole);
        table.AddRow("whole model", DeployedModelLoader.WholeModelFile, new FileInfo(whole).Length.ToString(inv), "-", "-", "-", "-");
        context.Out.WriteLine($"exported {modelPath} ({model.Config.Devices} devices, {model.Config.Classes} classes) to {outDir}");
        table.Write(context.Out);
        context.Out.WriteLine("parameter bytes: as stored for the kernels (channels padded to 64-bit words per pixel); tight bits: 1 per weight,");
        context.Out.WriteLine("32 per threshold or float; paper bits: the paper's count (binary weights 1 bit, bias and 4 BN floats 32 bits each).");
        return CliApp.ExitSuccess;
    }
}

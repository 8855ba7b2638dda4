using Ddnn.Core.Deploy;
using Ddnn.Core.Inference;

namespace Ddnn.Bench.Cli.Verbs;

/// <summary>
/// <c>ddnn device</c>: one end device's program over a file of views (<see cref="DeviceStream"/>), as the NativeAOT host
/// <c>ddnn-device</c> of tests/Ddnn.PackageConsumer runs it; the same bytes, under the JIT.
/// </summary>
public sealed class DeviceVerb : ICliVerb
{
    private static readonly CliOption PartitionOption = CliOption.String("partition", null, "the device's deploy file (dev<d>.ddnnp of ddnn export)", valueName: "file");
    private static readonly CliOption ViewsOption = CliOption.String("views", null, "float32 little-endian views, C*H*W values each (NCHW), back to back", valueName: "file");
    private static readonly CliOption OutOption = CliOption.String("out", null,
        "file for the messages: per view uint32 LE length + scores message, uint32 LE length + feature message", valueName: "file");
    private static readonly CliOption ScoresOption = ScoreEncodingOption.Create("f32", "how the scores travel: float32, or uint8 over the device exit's fixed range");
    private static readonly CliOption FirstSampleOption = CliOption.Int("first-sample", 0, "sample id of the first view; each next view counts up by one", min: 0);

    public string Name => "device";
    public string Summary => "run one device partition over a file of views and write the scores and feature messages it would send";
    public IReadOnlyList<CliOption> Options { get; } = [PartitionOption, ViewsOption, OutOption, ScoresOption, FirstSampleOption];

    public int Run(CliArguments arguments, CliContext context)
    {
        var partitionPath = arguments.GetOptionalString(PartitionOption.Name) ?? throw new CliUsageException("--partition <file> is required");
        var viewsPath = arguments.GetOptionalString(ViewsOption.Name) ?? throw new CliUsageException("--views <file> is required");
        var outPath = arguments.GetOptionalString(OutOption.Name) ?? throw new CliUsageException("--out <file> is required");
        DevicePartition partition;
        try
        {
            partition = DeployFile.LoadDevice(partitionPath);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
        {
            throw CliUsageException.CannotUse("load", partitionPath, e);
        }
        var scores = ScoreEncodingOption.Read(arguments) ?? ScoreEncoding.Float32;
        long count;
        try
        {
            using var views = File.OpenRead(viewsPath);
            using var messages = File.Create(outPath);
            count = DeviceStream.Run(partition, views, messages, scores, (uint)arguments.GetInt(FirstSampleOption.Name));
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw CliUsageException.CannotUse("run device " + partition.Index + " over", viewsPath, e);
        }
        context.Out.WriteLine($"device {partition.Index}: {count} views, {count * 2} messages written to {outPath}");
        return CliApp.ExitSuccess;
    }
}

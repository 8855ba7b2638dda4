using System.Globalization;
using Ddnn.Core.Deploy;
using Ddnn.Core.Inference;

namespace Ddnn.PackageConsumer;

/// <summary>
/// <c>ddnn-device</c>: the program of one end device, published with NativeAOT. It loads the device's packed partition
/// (a <c>devN.ddnnp</c> of <c>ddnn export</c>, configuration included), reads views and writes each view's scores and
/// feature messages, framed (<see cref="DeviceStream"/>). <c>ddnn device</c> does the same under the JIT.
/// </summary>
public static class Program
{
    private const string Usage = """
        usage: ddnn-device --partition <devN.ddnnp> [--views <file>|-] [--out <file>|-] [--scores f32|u8] [--first-sample <n>]

        Runs one device's packed partition (a ddnn export file holding one device partition) over views and writes,
        for each view, the scores message and then the feature message the device would send.
          --partition     the device's deploy file (dev<d>.ddnnp)
          --views         float32 little-endian views, C*H*W values each (NCHW), back to back; - (default): stdin
          --out           where the messages go; - (default): stdout
          --scores        how the scores travel: f32 (float32, default) or u8 (uint8 over the exit's fixed range)
          --first-sample  sample id of the first view (default 0); each next view counts up by one
        Output per view: uint32 LE length, scores message, uint32 LE length, feature message (docs/serving.md wire format).
        Exit codes: 0 done, 1 the files could not be read or used, 2 usage error.
        """;

    public static int Main(string[] args)
    {
        string? partitionPath = null, viewsPath = "-", outPath = "-";
        var scores = ScoreEncoding.Float32;
        uint firstSample = 0;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help")
            {
                Console.Out.Write(Usage);
                return 0;
            }
            if (i + 1 >= args.Length) return UsageError($"{name} needs a value");
            var value = args[++i];
            switch (name)
            {
                case "--partition": partitionPath = value; break;
                case "--views": viewsPath = value; break;
                case "--out": outPath = value; break;
                case "--scores":
                    if (value is not ("f32" or "u8")) return UsageError($"--scores '{value}': expected f32 or u8");
                    scores = value == "u8" ? ScoreEncoding.UInt8 : ScoreEncoding.Float32;
                    break;
                case "--first-sample":
                    if (!uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out firstSample))
                        return UsageError($"--first-sample '{value}': expected a whole number 0..{uint.MaxValue}");
                    break;
                default: return UsageError($"unknown option '{name}'");
            }
        }
        if (partitionPath is null) return UsageError("--partition <devN.ddnnp> is required");

        try
        {
            var partition = DeployFile.LoadDevice(partitionPath);
            using var views = viewsPath == "-" ? Console.OpenStandardInput() : File.OpenRead(viewsPath);
            using var messages = outPath == "-" ? Console.OpenStandardOutput() : File.Create(outPath);
            DeviceStream.Run(partition, views, messages, scores, firstSample);
            return 0;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"ddnn-device: {e.Message}");
            return 1;
        }
    }

    private static int UsageError(string message)
    {
        Console.Error.WriteLine($"ddnn-device: {message} (--help shows the usage)");
        return 2;
    }
}

using System.Diagnostics;
using System.Globalization;
using Ddnn.Core.Deploy;
using Ddnn.Core.Inference;
using Ddnn.Core.Runtime;
using Ddnn.Kernels.Binary;
using Ddnn.Training.Data;
using Ddnn.Training.Reporting;

namespace Ddnn.Bench.Cli.Verbs;

/// <summary>
/// <c>ddnn infer</c>: runs the packed cascade runtime (devices, local aggregator, edges, cloud over simulated links) on a data
/// split or one sample and prints per-tier exits, latency and bytes.
/// </summary>
public sealed class InferVerb : ICliVerb
{
    private static readonly CliOption ModelOption = CliOption.String("model", null, "checkpoint (.ddnn), deploy file (.ddnnp) or export directory", valueName: "path");
    private static readonly CliOption SplitOption = CliOption.Enum("split", "test", ["train", "validation", "test"], "data split to run");
    private static readonly CliOption SampleOption = CliOption.Int("sample", null, "run only this sample of the split and print every tier", min: 0);
    private static readonly CliOption ThresholdOption = CliOption.Float("threshold", 0.8, "local exit when normalized entropy < T", min: 0);
    private static readonly CliOption EdgeThresholdOption = CliOption.Float("edge-threshold", 0.8, "models with edges: edge-level exit when normalized entropy < T", min: 0);
    private static readonly CliOption ScoresOption = ScoreEncodingOption.Create(null,
        "encoding of the class scores devices send (default: as the model was exported; float32 for a training checkpoint)");
    private static readonly CliOption LossOption = CliOption.Float("loss", 0, "probability that any message is lost", min: 0, max: 1);
    private static readonly CliOption LinkSeedOption = CliOption.Int("link-seed", 1, "seed of the message-loss draws", min: 0);
    private static readonly CliOption DropDeviceOption = CliOption.Int("drop-device", null, "this device never answers (failure drill)", min: 0);
    private static readonly CliOption CloudDownOption = CliOption.Flag("cloud-down", "the cloud never answers (failure drill)");

    public string Name => "infer";
    public string Summary => "run the packed DDNN cascade on a data set or one sample: per-tier exits, latency and bytes";

    public IReadOnlyList<CliOption> Options { get; } =
    [
        ModelOption, .. ExperimentOptions.DataOptions, SplitOption, SampleOption, ThresholdOption, EdgeThresholdOption, ScoresOption, LossOption,
        LinkSeedOption, DropDeviceOption, CloudDownOption,
    ];

    public int Run(CliArguments arguments, CliContext context)
    {
        var modelPath = arguments.GetOptionalString(ModelOption.Name) ?? throw new CliUsageException("--model <path> is required");
        DeployedModel model;
        try
        {
            model = DeployedModelLoader.Load(modelPath);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or ArgumentException)
        {
            throw CliUsageException.CannotUse("load", modelPath, e);
        }
        var (_, splits) = ExperimentOptions.Load(arguments, context);
        var split = arguments.GetEnum(SplitOption.Name) switch { "train" => splits.Train, "validation" => splits.Validation, _ => splits.Test };
        CheckCompatible(model, split);

        var faults = new FaultScript();
        if (arguments.GetOptionalInt(DropDeviceOption.Name) is { } drop)
        {
            if (drop >= model.Devices.Length) throw CliUsageException.BadValue(DropDeviceOption.Name, drop.ToString(CultureInfo.InvariantCulture), $"the model has devices 0..{model.Devices.Length - 1}");
            faults.DeviceDown(drop);
        }
        if (arguments.GetFlag(CloudDownOption.Name)) faults.CloudDown();
        var loss = arguments.GetFloat(LossOption.Name);
        var options = new CascadeOptions
        {
            LocalThreshold = arguments.GetFloat(ThresholdOption.Name),
            EdgeThreshold = arguments.GetFloat(EdgeThresholdOption.Name),
            Scores = ScoreEncodingOption.Read(arguments),
            Seed = (ulong)arguments.GetInt(LinkSeedOption.Name),
            Faults = faults,
            DeviceToLocal = WithLoss(LinkSpec.DefaultDeviceToLocal, loss),
            DeviceToCloud = WithLoss(LinkSpec.DefaultDeviceToCloud, loss),
            LocalToCloud = WithLoss(LinkSpec.DefaultLocalToCloud, loss),
        };
        var runtime = new CascadeRuntime(model, options);

        if (arguments.GetOptionalInt(SampleOption.Name) is { } sample)
        {
            if (sample >= split.Count) throw CliUsageException.BadValue(SampleOption.Name, sample.ToString(CultureInfo.InvariantCulture), $"the {split.Name} split has {split.Count} samples");
            PrintSample(context.Out, model, runtime, split, sample);
        }
        else
        {
            PrintRun(context, model, runtime, split);
        }
        return CliApp.ExitSuccess;
    }

    private static LinkSpec WithLoss(LinkSpec link, double loss) => new(link.LatencyMs, link.BytesPerSecond, loss, link.TimeoutMs);

    internal static void CheckCompatible(DeployedModel model, MultiViewDataset split)
    {
        var c = model.Config;
        if (split.ViewCount != c.Devices || split.Channels != c.InputChannels || split.Height != c.InputHeight || split.Width != c.InputWidth || split.ClassCount != c.Classes)
            throw new CliUsageException($"the data set ({split.ViewCount} views of {split.Channels}x{split.Height}x{split.Width}, {split.ClassCount} classes) does not fit the model ({c.Devices} devices of {c.InputChannels}x{c.InputHeight}x{c.InputWidth}, {c.Classes} classes)");
    }

    private static void PrintSample(TextWriter output, DeployedModel model, CascadeRuntime runtime, MultiViewDataset split, int sample)
    {
        var inv = CultureInfo.InvariantCulture;
        var views = split.GetSample(sample);
        var tiers = model.Infer(views);
        var table = new ResultTable($"sample {sample} of {split.Name}, label {split.GetLabel(sample)}; every tier, all devices present",
            [ResultColumn.Text("exit"), ResultColumn.Number("prediction"), ResultColumn.Number("entropy", "0.0000")]);
        for (var e = 0; e < tiers.Exits.Length; e++)
        {
            var scores = DdnnScoring.Score(Ddnn.Core.Tensor.FromValues(tiers.Exits[e], 1, model.Config.Classes), model.ExitNames[e]);
            table.AddRow(model.ExitNames[e], scores.Predictions[0], scores.Entropies[0]);
        }
        output.Write(table.ToConsoleString());
        var o = runtime.Run(sample, views);
        output.WriteLine();
        var run = new ResultTable("cascade runtime", [ResultColumn.Text("property"), ResultColumn.Text("value")])
            .AddRow("exit", o.Tier.ToString() + (o.Degraded ? " (degraded)" : ""))
            .AddRow("prediction", o.Prediction.ToString(inv))
            .AddRow("latency", o.LatencyMs.ToString("0.000 ms", inv))
            .AddRow("devices at local", Flags(o.PresentAtLocal))
            .AddRow("devices at edge/cloud", Flags(o.PresentAtCloud))
            .AddRow("bytes device->local", o.DeviceToLocalBytes.ToString(inv))
            .AddRow("edge level", o.EdgePrediction < 0 ? "-" : string.Create(inv, $"{o.EdgePrediction} (entropy {o.EdgeEntropy:0.0000}, edges answered {Flags(o.EdgesAnswered)})"))
            .AddRow("bytes device->edge/cloud", o.DeviceToCloudBytes.ToString(inv))
            .AddRow("bytes edges->local/cloud", o.EdgeBytes.ToString(inv))
            .AddRow("bytes local<->cloud", o.LocalToCloudBytes.ToString(inv));
        output.Write(run.ToConsoleString());
    }

    /// <summary>
    /// How often the devices' split-sum shortcut could not vouch for a channel group (a conv value within its error
    /// margin of a threshold) and the exact summation order was run instead: the cost side of the shortcut, on real data.
    /// </summary>
    private static string ShortcutRecomputes(DeployedModel model)
    {
        var stats = new FloatBlockStats();
        foreach (var device in model.Devices) stats += device.OwnFirstBlockStats;
        return stats.SplitSumGroupsTried == 0
            ? "- (no split-sum shortcut)"
            : string.Create(CultureInfo.InvariantCulture,
                $"{stats.SplitSumGroupsRecomputed} of {stats.SplitSumGroupsTried} ({100 * stats.RecomputedFraction:0.000} %)");
    }

    private static string Flags(bool[] present) => string.Concat(present.Select(p => p ? '1' : '0'));

    private static void PrintRun(CliContext context, DeployedModel model, CascadeRuntime runtime, MultiViewDataset split)
    {
        var outcomes = new CascadeOutcome[split.Count];
        var stopwatch = Stopwatch.StartNew();
        for (var s = 0; s < split.Count; s++)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            outcomes[s] = runtime.Run(s, split.GetSample(s));
        }
        stopwatch.Stop();
        var table = RunTable($"cascade runtime on {split.Name}", model, runtime.Scores, runtime.Options.LocalThreshold, split, outcomes,
            "mean simulated latency", "wall time (all tiers, in process)", stopwatch.Elapsed);
        context.Out.Write(table.ToConsoleString());
    }

    /// <summary>
    /// The run table of <c>ddnn infer</c> (accuracy, exits per tier, degraded answers, latency, bytes against the
    /// ledgers) over <paramref name="outcomes"/>, one per sample of <paramref name="split"/> (null: never answered,
    /// counted with the unanswered); <c>ddnn serve all</c> prints the same table for its served run.
    /// </summary>
    internal static ResultTable RunTable(string title, DeployedModel model, ScoreEncoding scores, double localThreshold, MultiViewDataset split,
        IReadOnlyList<CascadeOutcome?> outcomes, string latencyLabel, string wallLabel, TimeSpan wall, LinkBytes? measured = null)
    {
        var inv = CultureInfo.InvariantCulture;
        var tiers = new int[Enum.GetValues<ExitTier>().Length];
        int correct = 0;
        double latency = 0;
        long deviceBytes = 0, cloudLinkBytes = 0, edgeBytes = 0;
        for (var s = 0; s < outcomes.Count; s++)
        {
            if (outcomes[s] is not { } o)
            {
                tiers[(int)ExitTier.None]++;
                continue;
            }
            tiers[(int)o.Tier]++;
            if (o.Prediction == split.GetLabel(s)) correct++;
            latency += o.LatencyMs;
            deviceBytes += o.DeviceToLocalBytes + o.DeviceToCloudBytes;
            cloudLinkBytes += o.LocalToCloudBytes;
            edgeBytes += o.EdgeBytes;
        }
        if (measured is { } m) (deviceBytes, cloudLinkBytes, edgeBytes) = (m.Devices, m.LocalCloud, m.Edges);
        var n = Math.Max(outcomes.Count, 1);
        var devices = model.Devices.Length;
        var localFraction = tiers[(int)ExitTier.Local] / (double)n;
        var paper = new CommunicationLedger(model.Config, scores);
        var wire = new WireLedger(model.Config, scores);
        var perDevice = deviceBytes / (double)n / devices;
        // Every message on every link, against raw tiles sent without any framing (which favours raw offload).
        var allLinks = (deviceBytes + cloudLinkBytes + edgeBytes) / (double)n;
        return new ResultTable(title, [ResultColumn.Text("metric"), ResultColumn.Text("value")])
            .AddRow("samples", outcomes.Count.ToString(inv))
            .AddRow("threshold T", localThreshold.ToString(inv))
            .AddRow("class scores on the wire", scores == ScoreEncoding.UInt8 ? "uint8" : "float32")
            .AddRow("accuracy", (correct / (double)n).ToString("0.0000", inv))
            .AddRow("local exits", (localFraction * 100).ToString("0.00", inv) + " %")
            .AddRow("edge exits", (tiers[(int)ExitTier.Edge] * 100.0 / n).ToString("0.00", inv) + " %")
            .AddRow("cloud exits", (tiers[(int)ExitTier.Cloud] * 100.0 / n).ToString("0.00", inv) + " %")
            .AddRow("degraded (local / edge fallback / none)", $"{tiers[(int)ExitTier.LocalFallback]} / {tiers[(int)ExitTier.EdgeFallback]} / {tiers[(int)ExitTier.None]}")
            .AddRow(latencyLabel, (latency / n).ToString("0.000", inv) + " ms")
            .AddRow("bytes per device per sample (real messages)", perDevice.ToString("0.00", inv))
            .AddRow("  ledger from message sizes at this l", wire.BytesPerDevice(localFraction).ToString("0.00", inv))
            .AddRow("  paper formula at this l", paper.BytesPerDevice(localFraction).ToString("0.00", inv))
            .AddRow("  raw offload", paper.RawOffloadBytesPerDevice.ToString("0", inv))
            .AddRow("  reduction vs raw", (paper.RawOffloadBytesPerDevice / perDevice).ToString("0.0", inv) + "x")
            .AddRow("first-layer groups recomputed in exact order", ShortcutRecomputes(model))
            .AddRow("bytes local<->cloud per sample", (cloudLinkBytes / (double)n).ToString("0.00", inv))
            .AddRow("bytes from edges per sample", (edgeBytes / (double)n).ToString("0.00", inv))
            .AddRow("all links per sample", allLinks.ToString("0.00", inv))
            .AddRow("  vs raw offload of every device", (devices * paper.RawOffloadBytesPerDevice / allLinks).ToString("0.0", inv) + "x")
            .AddRow(wallLabel, string.Create(inv, $"{wall.TotalMilliseconds:0} ms, {outcomes.Count / Math.Max(wall.TotalSeconds, 1e-9):0} samples/s"));
    }
}

/// <summary>Bytes sent on the paper's links over a whole run, when measured outside the outcomes (e.g. from MQTT payloads).</summary>
/// <param name="Devices">Every device message (scores and maps).</param>
/// <param name="LocalCloud">Cloud requests and answers.</param>
/// <param name="Edges">Edge scores and edge maps.</param>
internal readonly record struct LinkBytes(long Devices, long LocalCloud, long Edges);

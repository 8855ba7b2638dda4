using Ddnn.Core.Inference;
using Ddnn.Core.Model;

namespace Ddnn.Core.Deploy;

/// <summary>
/// A DDNN exported into one partition per tier: every end device, the local aggregator (if the model has a local
/// exit), every edge and the cloud. <see cref="Infer"/> runs all tiers in process for one sample (the reference the
/// cascade runtime is checked against). Partitions hold scratch buffers: one thread at a time.
/// </summary>
public sealed class DeployedModel
{
    /// <summary>Assembles the partitions; they must match <paramref name="config"/>.</summary>
    public DeployedModel(DdnnConfig config, DevicePartition[] devices, LocalPartition? local, FusionPartition[] edges, FusionPartition cloud)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(edges);
        ArgumentNullException.ThrowIfNull(cloud);
        if (devices.Length != config.Devices) throw new ArgumentException($"{devices.Length} device partitions for {config.Devices} devices.", nameof(devices));
        if (config.HasLocalExit != (local is not null)) throw new ArgumentException("the local partition must exist exactly when the model has a local exit.", nameof(local));
        if (edges.Length != config.Edges.Count) throw new ArgumentException($"{edges.Length} edge partitions for {config.Edges.Count} edges.", nameof(edges));
        if (local is not null)
            for (var d = 0; d < devices.Length; d++)
                if (!local.DeviceScores[d].Lower.SequenceEqual(devices[d].ScoreQuantizer.Lower)
                    || !local.DeviceScores[d].Upper.SequenceEqual(devices[d].ScoreQuantizer.Upper))
                    throw new ArgumentException($"the local partition's uint8 score ranges for device {d} do not match device {d}'s exit; the partitions come from different exports.", nameof(local));
        Config = config;
        Devices = devices;
        Local = local;
        Edges = edges;
        Cloud = cloud;
        var names = new List<string>();
        for (var d = 0; d < devices.Length; d++) names.Add($"dev{d}");
        if (local is not null) names.Add("local");
        for (var e = 0; e < edges.Length; e++) names.Add($"edge{e}");
        names.Add("cloud");
        ExitNames = names;
    }

    /// <summary>The configuration the partitions were exported from.</summary>
    public DdnnConfig Config { get; }
    /// <summary>One partition per end device, in device order (length <see cref="DdnnConfig.Devices"/>).</summary>
    public DevicePartition[] Devices { get; }
    /// <summary>The local aggregator, or null when the model has no local exit.</summary>
    public LocalPartition? Local { get; }

    /// <summary>How devices send class scores to the local aggregator (float32 without a local exit).</summary>
    public ScoreEncoding Scores => Local?.Scores ?? ScoreEncoding.Float32;
    /// <summary>One partition per edge node, in edge order (empty without edges).</summary>
    public FusionPartition[] Edges { get; }
    /// <summary>The cloud partition, whose exit is the last in the cascade.</summary>
    public FusionPartition Cloud { get; }

    /// <summary>Exit names in the order of <see cref="DdnnModel.ExitNames"/>.</summary>
    public IReadOnlyList<string> ExitNames { get; }

    /// <summary>Float input length of one device for one sample (C·H·W).</summary>
    public int ViewLength => Config.InputChannels * Config.InputHeight * Config.InputWidth;

    /// <summary>
    /// Runs every tier on one sample: <paramref name="views"/> is (D, C, H, W); <paramref name="present"/> (length D,
    /// empty = all) marks the devices present. Absent devices still run (their exits are reported) but no aggregator
    /// sees them, as in the training graph. Returns logits per exit in <see cref="ExitNames"/> order and the device
    /// feature maps.
    /// </summary>
    public DeployedOutputs Infer(ReadOnlySpan<float> views, ReadOnlySpan<bool> present = default)
    {
        var d = Config.Devices;
        if (views.Length != d * ViewLength)
            throw new ArgumentException($"views have {views.Length} values, expected D·C·H·W = {d * ViewLength}.", nameof(views));
        if (!present.IsEmpty && present.Length != d)
            throw new ArgumentException($"present has {present.Length} flags, expected {d}.", nameof(present));
        var presentFlags = present.IsEmpty ? null : present.ToArray();
        bool Present(int i) => presentFlags is null || presentFlags[i];

        var exits = new List<float[]>();
        var deviceLogits = new float[d][];
        var features = new ulong[d][];
        for (var i = 0; i < d; i++)
        {
            deviceLogits[i] = new float[Config.Classes];
            Devices[i].Run(views.Slice(i * ViewLength, ViewLength), deviceLogits[i]);
            features[i] = Devices[i].Features.ToArray();
            exits.Add(deviceLogits[i]);
        }
        var anyPresent = false;
        for (var i = 0; i < d; i++) anyPresent |= Present(i);
        if (!anyPresent) throw new ArgumentException("at least one device must be present.", nameof(present));

        if (Local is not null)
        {
            var input = new float[]?[d];
            for (var i = 0; i < d; i++) input[i] = Present(i) ? deviceLogits[i] : null;
            var local = new float[Config.Classes];
            Local.Run(input, local);
            exits.Add(local);
        }

        ulong[]?[] cloudInputs;
        if (Edges.Length == 0)
        {
            cloudInputs = new ulong[]?[d];
            for (var i = 0; i < d; i++) cloudInputs[i] = Present(i) ? features[i] : null;
        }
        else
        {
            cloudInputs = new ulong[]?[Edges.Length];
            for (var e = 0; e < Edges.Length; e++)
            {
                var owned = Config.Edges[e].Devices;
                var input = new ulong[]?[owned.Count];
                for (var k = 0; k < owned.Count; k++) input[k] = Present(owned[k]) ? features[owned[k]] : null;
                var logits = new float[Config.Classes];
                Edges[e].Run(input, logits);
                // An edge with no device present still has an exit (over zeros) but counts as absent for the cloud.
                cloudInputs[e] = input.Any(x => x is not null) ? Edges[e].Features.ToArray() : null;
                exits.Add(logits);
            }
        }
        var cloud = new float[Config.Classes];
        Cloud.Run(cloudInputs, cloud);
        exits.Add(cloud);
        return new DeployedOutputs(exits.ToArray(), features);
    }
}

/// <summary>Result of <see cref="DeployedModel.Infer"/>: logits per exit (in exit-name order) and each device's packed feature map.</summary>
public sealed record DeployedOutputs(float[][] Exits, ulong[][] DeviceFeatures);

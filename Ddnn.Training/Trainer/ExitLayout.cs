using Ddnn.Core.Model;

namespace Ddnn.Training.Trainer;

/// <summary>
/// The fixed order in which the trainer, loss and evaluator list a model's exits: device 0..D−1, then the local exit
/// (when present), then edge 0..E−1, then the cloud. Names match DdnnModel.ExitNames: "dev0", "local", "edge0", "cloud".
/// </summary>
public sealed class ExitLayout
{
    /// <summary>The exit order of models built from <paramref name="config"/>.</summary>
    public ExitLayout(DdnnConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        var names = new List<string>();
        for (var d = 0; d < config.Devices; d++) names.Add($"dev{d}");
        if (config.HasLocalExit) names.Add("local");
        for (var e = 0; e < config.Edges.Count; e++) names.Add($"edge{e}");
        names.Add("cloud");
        Names = names;
        LocalIndex = config.HasLocalExit ? config.Devices : -1;
        FirstEdgeIndex = config.Devices + (config.HasLocalExit ? 1 : 0);
        CloudIndex = names.Count - 1;
    }

    /// <summary>The configuration whose exits are listed.</summary>
    public DdnnConfig Config { get; }

    /// <summary>Every exit's name in layout order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Total number of exits: devices, local (if any), edges and cloud.</summary>
    public int Count => Names.Count;

    /// <summary>Number of device exits (they come first).</summary>
    public int DeviceCount => Config.Devices;

    /// <summary>Index of the local exit, or −1 without one.</summary>
    public int LocalIndex { get; }

    /// <summary>Index of edge 0 (equal to <see cref="CloudIndex"/> without edges).</summary>
    public int FirstEdgeIndex { get; }

    /// <summary>Index of the cloud exit, always the last.</summary>
    public int CloudIndex { get; }

    /// <summary>The logits of every exit of <paramref name="outputs"/>, in layout order.</summary>
    public void Collect(DdnnOutputs outputs, Span<Core.Tensor> into)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        if (into.Length != Count)
            throw new ArgumentException($"{into.Length} slots for {Count} exits", nameof(into));
        if (outputs.DeviceLogits.Count != Config.Devices || outputs.EdgeLogits.Count != Config.Edges.Count
            || (outputs.LocalLogits is null) == Config.HasLocalExit)
            throw new ArgumentException(
                $"the outputs ({outputs.DeviceLogits.Count} device exits, {(outputs.LocalLogits is null ? "no" : "a")} local exit, " +
                $"{outputs.EdgeLogits.Count} edge exits) do not match the configuration ({Config.Devices} devices, " +
                $"{(Config.HasLocalExit ? "a" : "no")} local exit, {Config.Edges.Count} edges)", nameof(outputs));
        for (var d = 0; d < Config.Devices; d++) into[d] = outputs.DeviceLogits[d];
        if (outputs.LocalLogits is { } local) into[LocalIndex] = local;
        for (var e = 0; e < Config.Edges.Count; e++) into[FirstEdgeIndex + e] = outputs.EdgeLogits[e];
        into[CloudIndex] = outputs.CloudLogits;
    }
}

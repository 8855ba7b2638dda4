using Ddnn.Core.Layers;

namespace Ddnn.Core.Model;

/// <summary>
/// A distributed DNN built from a validated <see cref="DdnnConfig"/>: device sections with exits, an optional local
/// aggregator exit, optional edge sections with exits, and the cloud section with its exit. Parameters start at
/// zero (BN gamma 1); initialise them with Training's Initializer.
/// </summary>
/// <remarks>
/// Parameter names (PyTorch style, matching ddnn_step.json for the MP-CC model):
/// <c>dev{d}.conv.*</c>, <c>dev{d}.bn.*</c> (device block 0), <c>dev{d}.block{k}.conv.*</c>/<c>.bn.*</c> (device block k ≥ 1),
/// <c>dev{d}.exit.fc.*</c>, <c>dev{d}.exit.bn.*</c>; <c>local_exit.fc.*</c>/<c>.bn.*</c> (CC local aggregator only);
/// <c>edge{e}.block{k}.conv.*</c>/<c>.bn.*</c>, <c>edge{e}.exit.fc.*</c>/<c>.bn.*</c>; <c>cloud{k}.conv.*</c>/<c>.bn.*</c>,
/// <c>cloud_exit.fc.*</c>/<c>.bn.*</c>. Registration order: devices, local exit, edges, cloud blocks, cloud exit.
/// </remarks>
public sealed class DdnnModel : Module
{
    private readonly DeviceSection[] _devices;
    private readonly EdgeSection[] _edges;
    private readonly ConvPoolBNBlock[] _cloudBlocks;
    private readonly string[] _cloudBlockNames;
    private readonly string[] _exitNames;
    private readonly float[] _exitWeights;

    /// <summary>Builds the network for <paramref name="config"/> (validated again here).</summary>
    /// <exception cref="DdnnConfigException">The configuration is invalid or its shapes do not fit together.</exception>
    public DdnnModel(DdnnConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        _devices = new DeviceSection[config.Devices];
        for (var d = 0; d < _devices.Length; d++) _devices[d] = RegisterModule($"dev{d}", new DeviceSection(config, d));

        if (config.LocalAggregator == Aggregation.Concat)
            LocalExit = RegisterModule("local_exit", DdnnBlocks.Exit(config, config.Devices * config.Classes));

        _edges = new EdgeSection[config.Edges.Count];
        for (var e = 0; e < _edges.Length; e++) _edges[e] = RegisterModule($"edge{e}", new EdgeSection(config, e));

        var (channels, size) = CloudInput(config, _edges);
        _cloudBlocks = new ConvPoolBNBlock[config.CloudFilters.Count];
        _cloudBlockNames = new string[_cloudBlocks.Length];
        for (var k = 0; k < _cloudBlocks.Length; k++)
        {
            _cloudBlockNames[k] = $"cloud{k}";
            _cloudBlocks[k] = RegisterModule(_cloudBlockNames[k], DdnnBlocks.Conv(config, channels, config.CloudFilters[k], config.CloudPool, floatInput: false));
            channels = config.CloudFilters[k];
            size = DdnnBlocks.Pooled(size, config.CloudPool, $"cloud block {k}");
        }
        CloudExit = RegisterModule("cloud_exit", DdnnBlocks.Exit(config, DdnnBlocks.Features(channels, size)));

        var names = new List<string>();
        var weights = new List<float>();
        for (var d = 0; d < config.Devices; d++) { names.Add($"dev{d}"); weights.Add(config.ExitWeights.Device); }
        if (config.HasLocalExit) { names.Add("local"); weights.Add(config.ExitWeights.Local); }
        for (var e = 0; e < _edges.Length; e++) { names.Add($"edge{e}"); weights.Add(config.ExitWeights.Edge); }
        names.Add("cloud");
        weights.Add(config.ExitWeights.Cloud);
        _exitNames = names.ToArray();
        _exitWeights = weights.ToArray();
    }

    /// <summary>The configuration this model was built from.</summary>
    public DdnnConfig Config { get; }

    /// <summary>The device sections, device 0 first.</summary>
    public IReadOnlyList<DeviceSection> Devices => _devices;

    /// <summary>The CC local aggregator's exit, or null (MP/AP local exits have no parameters; no local exit).</summary>
    public LinearBNBlock? LocalExit { get; }

    /// <summary>The edge sections, edge 0 first (empty without edges).</summary>
    public IReadOnlyList<EdgeSection> Edges => _edges;

    /// <summary>The cloud blocks, "cloud0" first.</summary>
    public IReadOnlyList<ConvPoolBNBlock> CloudBlocks => _cloudBlocks;

    /// <summary>The cloud exit.</summary>
    public LinearBNBlock CloudExit { get; }

    /// <summary>Exit names in <see cref="DdnnOutputs.Exits"/> order: dev0.., local (if any), edge0.., cloud.</summary>
    public IReadOnlyList<string> ExitNames => _exitNames;

    /// <summary>Each exit's weight in the joint loss (from <see cref="DdnnConfig.ExitWeights"/>), in <see cref="ExitNames"/> order.</summary>
    public IReadOnlyList<float> ExitLossWeights => _exitWeights;

    /// <summary>
    /// Runs the whole tree on <paramref name="views"/> (B, D, C, H, W) with the devices present per sample given by
    /// <paramref name="present"/> (B × D; null = all present). Absent devices still compute their own sections and
    /// exits (the trainer ignores those losses), but aggregators never see them: MP/AP use the present devices only
    /// and CC fills their slot with zeros, so no gradient from a fused exit reaches an absent device.
    /// </summary>
    /// <param name="views">The input, batch × devices × channels × height × width; view d goes to device d.</param>
    /// <param name="present">Which devices each sample has; null means all of them.</param>
    /// <param name="activations">When given, receives intermediate tensors by name: "{block}.pool" (max-pooled conv
    /// output before BN) and "{block}.feat" (block output) for every block ("dev{d}", "dev{d}.block{k}", "edge{e}.block{k}",
    /// "cloud{k}"), "{exit}.fc_out" (linear output before BN) for "dev{d}.exit", "local_exit", "edge{e}.exit", "cloud_exit",
    /// and the fused inputs "edge{e}.in" and "cloud.in" (after aggregation, before the first block).</param>
    public DdnnOutputs Forward(Tensor views, DeviceMask? present = null, IDictionary<string, Tensor>? activations = null)
    {
        CheckInput(views, present);
        var features = Graph.NewArray<Tensor>(_devices.Length);
        var deviceLogits = Graph.NewArray<Tensor>(_devices.Length);
        for (var d = 0; d < _devices.Length; d++)
        {
            var device = _devices[d];
            features[d] = device.Features(Ops.Select(views, d), activations);
            deviceLogits[d] = DdnnBlocks.RunExit(device.Exit, features[d], device.ExitName, activations);
        }

        var local = Config.LocalAggregator switch
        {
            null => null,
            Aggregation.Concat => DdnnBlocks.RunExit(LocalExit!, Ops.MaskedConcat(deviceLogits, present), "local_exit", activations),
            Aggregation aggregation => DdnnBlocks.Fuse(aggregation, deviceLogits, present),
        };

        var edgeLogits = _edges.Length == 0 ? [] : Graph.NewArray<Tensor>(_edges.Length);
        Tensor cloudInput;
        if (_edges.Length == 0)
        {
            cloudInput = DdnnBlocks.Fuse(Config.CloudAggregator, features, present);
        }
        else
        {
            var edgeMaps = new Tensor[_edges.Length];
            for (var e = 0; e < _edges.Length; e++)
            {
                var owned = _edges[e].Config.Devices;
                var parts = new Tensor[owned.Count];
                for (var i = 0; i < parts.Length; i++) parts[i] = features[owned[i]];
                edgeMaps[e] = _edges[e].Features(parts, SubMask(present, owned), activations);
                edgeLogits[e] = DdnnBlocks.RunExit(_edges[e].Exit, edgeMaps[e], _edges[e].ExitName, activations);
            }
            cloudInput = DdnnBlocks.Fuse(Config.CloudAggregator, edgeMaps, EdgeMask(present));
        }

        if (activations is not null) activations["cloud.in"] = cloudInput;
        var x = cloudInput;
        for (var k = 0; k < _cloudBlocks.Length; k++) x = DdnnBlocks.Run(_cloudBlocks[k], x, _cloudBlockNames[k], activations);
        var cloud = DdnnBlocks.RunExit(CloudExit, x, "cloud_exit", activations);
        return Graph.Current is { } graph
            ? graph.RentObject(static () => new DdnnOutputs()).Fill(deviceLogits, local, edgeLogits, cloud, features)
            : new DdnnOutputs(deviceLogits, local, edgeLogits, cloud, features);
    }

    /// <summary>Channels and size of what the cloud's first block receives.</summary>
    private static (int Channels, (int Height, int Width) Size) CloudInput(DdnnConfig config, EdgeSection[] edges)
    {
        if (edges.Length == 0)
        {
            var f = config.DeviceOutputChannels;
            return (config.CloudAggregator == Aggregation.Concat ? config.Devices * f : f, config.DeviceOutputSize);
        }
        var size = edges[0].OutputSize;
        var channels = 0;
        for (var e = 0; e < edges.Length; e++)
        {
            if (edges[e].OutputSize != size)
                throw new DdnnConfigException([$"edges[{e}] sends a {edges[e].OutputSize.Height}x{edges[e].OutputSize.Width} map but edges[0] a {size.Height}x{size.Width} one; the cloud needs equal sizes"]);
            channels = config.CloudAggregator == Aggregation.Concat ? channels + edges[e].OutputChannels : edges[e].OutputChannels;
        }
        return (channels, size);
    }

    private void CheckInput(Tensor views, DeviceMask? present)
    {
        ArgumentNullException.ThrowIfNull(views);
        var c = Config;
        var expected = $"(B, D, C, H, W) = (B, {c.Devices}, {c.InputChannels}, {c.InputHeight}, {c.InputWidth})";
        if (views.Rank != 5 || views.Shape[0] < 1 || views.Shape[1] != c.Devices || views.Shape[2] != c.InputChannels
            || views.Shape[3] != c.InputHeight || views.Shape[4] != c.InputWidth)
            throw new ArgumentException($"DDNN input must be {expected} with B >= 1, got {views.ShapeText}.", nameof(views));
        if (present is null) return;
        var batch = views.Shape[0];
        if (present.Batch != batch || present.Devices != c.Devices)
            throw new ArgumentException($"device mask is {present.Batch}x{present.Devices} (samples x devices) but the input {views.ShapeText} needs {batch}x{c.Devices}.", nameof(present));
        for (var b = 0; b < batch; b++)
            if (present.CountPresent(b) == 0)
                throw new ArgumentException($"sample {b} has no device present; every sample needs at least one device.", nameof(present));
    }

    /// <summary>The mask restricted to <paramref name="devices"/>, in that order (null stays null).</summary>
    private static DeviceMask? SubMask(DeviceMask? present, IReadOnlyList<int> devices)
    {
        if (present is null) return null;
        var sub = new DeviceMask(present.Batch, devices.Count);
        for (var b = 0; b < present.Batch; b++)
            for (var i = 0; i < devices.Count; i++)
                sub.Set(b, i, present.IsPresent(b, devices[i]));
        return sub;
    }

    /// <summary>An edge counts as present for a sample when any of its devices is.</summary>
    private DeviceMask? EdgeMask(DeviceMask? present)
    {
        if (present is null) return null;
        var mask = new DeviceMask(present.Batch, _edges.Length);
        for (var b = 0; b < present.Batch; b++)
            for (var e = 0; e < _edges.Length; e++)
            {
                var any = false;
                foreach (var d in _edges[e].Config.Devices) any |= present.IsPresent(b, d);
                mask.Set(b, e, any);
            }
        return mask;
    }
}

using Ddnn.Core.Layers;

namespace Ddnn.Core.Model;

/// <summary>
/// An edge node: fuses its devices' feature maps (<see cref="EdgeConfig.Aggregator"/>), runs its blocks (children
/// "block0", "block1", ...; possibly none) and its exit ("exit"), and sends its last map to the cloud.
/// </summary>
public sealed class EdgeSection : Module
{
    private readonly ConvPoolBNBlock[] _blocks;
    private readonly string[] _blockNames;
    private readonly string _inputName;

    internal EdgeSection(DdnnConfig config, int edge)
    {
        Name = $"edge{edge}";
        _inputName = Name + ".in";
        ExitName = Name + ".exit";
        Config = config.Edges[edge];
        var f = config.DeviceOutputChannels;
        var channels = Config.Aggregator == Aggregation.Concat ? Config.Devices.Count * f : f;
        var size = config.DeviceOutputSize;
        _blocks = new ConvPoolBNBlock[Config.Filters.Count];
        _blockNames = new string[_blocks.Length];
        for (var k = 0; k < _blocks.Length; k++)
        {
            _blockNames[k] = $"{Name}.block{k}";
            _blocks[k] = RegisterModule($"block{k}", DdnnBlocks.Conv(config, channels, Config.Filters[k], Config.Pool, floatInput: false));
            channels = Config.Filters[k];
            size = DdnnBlocks.Pooled(size, Config.Pool, $"edges[{edge}] block {k}");
        }
        OutputChannels = channels;
        OutputSize = size;
        Exit = RegisterModule("exit", DdnnBlocks.Exit(config, DdnnBlocks.Features(channels, size)));
    }

    /// <summary>The section's name in the model, "edge{e}" (the prefix of its parameter names).</summary>
    public string Name { get; }

    /// <summary>"edge{e}.exit", the exit's name prefix.</summary>
    public string ExitName { get; }

    /// <summary>This edge's configuration (its devices, aggregator, filters and pool).</summary>
    public EdgeConfig Config { get; }

    /// <summary>The edge blocks (may be empty).</summary>
    public IReadOnlyList<ConvPoolBNBlock> Blocks => _blocks;

    /// <summary>The edge exit.</summary>
    public LinearBNBlock Exit { get; }

    /// <summary>Channels of the map the edge sends to the cloud.</summary>
    public int OutputChannels { get; }

    /// <summary>Spatial size of the map the edge sends to the cloud.</summary>
    public (int Height, int Width) OutputSize { get; }

    /// <summary>
    /// Fuses <paramref name="deviceFeatures"/> (this edge's devices, in <see cref="EdgeConfig.Devices"/> order) under
    /// <paramref name="present"/> (samples × this edge's devices) and runs the blocks; returns the map sent upward.
    /// The fused input is recorded as "edge{e}.in", the blocks as "edge{e}.block{k}.pool" / ".feat".
    /// </summary>
    public Tensor Features(IReadOnlyList<Tensor> deviceFeatures, DeviceMask? present, IDictionary<string, Tensor>? activations = null)
    {
        ArgumentNullException.ThrowIfNull(deviceFeatures);
        if (deviceFeatures.Count != Config.Devices.Count)
            throw new ArgumentException($"{Name} owns {Config.Devices.Count} devices but got {deviceFeatures.Count} feature maps.", nameof(deviceFeatures));
        var x = DdnnBlocks.Fuse(Config.Aggregator, deviceFeatures, present);
        if (activations is not null) activations[_inputName] = x;
        for (var k = 0; k < _blocks.Length; k++) x = DdnnBlocks.Run(_blocks[k], x, _blockNames[k], activations);
        return x;
    }
}

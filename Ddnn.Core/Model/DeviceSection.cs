using Ddnn.Core.Layers;

namespace Ddnn.Core.Model;

/// <summary>
/// One end device's part of a DDNN: its conv-pool-BN blocks (per <see cref="DdnnConfig.DeviceFilters"/>) and its
/// exit over the flattened last feature map. Block 0's conv and batch norm are registered directly as "conv" and
/// "bn" (PyTorch's <c>dev{d}.conv.*</c>, <c>dev{d}.bn.*</c>); block k ≥ 1 is the child "block{k}"; the exit is "exit".
/// </summary>
public sealed class DeviceSection : Module
{
    private readonly ConvPoolBNBlock[] _blocks;
    private readonly string[] _blockNames;

    internal DeviceSection(DdnnConfig config, int device)
    {
        Name = $"dev{device}";
        _blocks = new ConvPoolBNBlock[config.DeviceFilters.Count];
        _blockNames = new string[_blocks.Length];
        var channels = config.InputChannels;
        var size = (config.InputHeight, config.InputWidth);
        for (var k = 0; k < _blocks.Length; k++)
        {
            var block = DdnnBlocks.Conv(config, channels, config.DeviceFilters[k], config.DevicePool, floatInput: k == 0);
            _blocks[k] = block;
            _blockNames[k] = k == 0 ? Name : $"{Name}.block{k}";
            if (k == 0)
            {
                // The block object itself stays unregistered; only its parts carry names and mode.
                RegisterModule("conv", block.Conv);
                RegisterModule("bn", block.BN);
            }
            else
            {
                RegisterModule($"block{k}", block);
            }
            channels = config.DeviceFilters[k];
            size = DdnnBlocks.Pooled(size, config.DevicePool, $"device {device} block {k}");
        }
        OutputChannels = channels;
        OutputSize = size;
        Exit = RegisterModule("exit", DdnnBlocks.Exit(config, DdnnBlocks.Features(channels, size)));
        ExitName = Name + ".exit";
    }

    /// <summary>The section's name in the model, "dev{d}" (the prefix of its parameter names).</summary>
    public string Name { get; }

    /// <summary>"dev{d}.exit", the exit's name prefix.</summary>
    public string ExitName { get; }

    /// <summary>The device blocks, first (float input) first.</summary>
    public IReadOnlyList<ConvPoolBNBlock> Blocks => _blocks;

    /// <summary>The device exit (classifier over the flattened last feature map).</summary>
    public LinearBNBlock Exit { get; }

    /// <summary>Channels of the feature map the device sends upward.</summary>
    public int OutputChannels { get; }

    /// <summary>Spatial size of the feature map the device sends upward.</summary>
    public (int Height, int Width) OutputSize { get; }

    /// <summary>
    /// Runs the blocks on one device's input (N, C, H, W). Activations are recorded as "dev{d}.pool" / ".feat" for
    /// block 0 and "dev{d}.block{k}.pool" / ".feat" for later blocks.
    /// </summary>
    public Tensor Features(Tensor x, IDictionary<string, Tensor>? activations = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        for (var k = 0; k < _blocks.Length; k++)
            x = DdnnBlocks.Run(_blocks[k], x, _blockNames[k], activations);
        return x;
    }
}

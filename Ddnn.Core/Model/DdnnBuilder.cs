namespace Ddnn.Core.Model;

/// <summary>
/// Typed, fluent construction of a <see cref="DdnnConfig"/>. <see cref="Build"/> runs the same validation as the
/// JSON loader, e.g. <c>DdnnBuilder.Devices(6).Input(1, 16, 16).Classes(10).DeviceBlocks(4).LocalExit(Aggregation.MaxPool)
/// .Cloud(Aggregation.Concat, 16, 16).Build()</c>.
/// </summary>
public sealed class DdnnBuilder
{
    private DdnnConfig _config;
    private readonly List<EdgeConfig> _edges = [];

    private DdnnBuilder(int devices) => _config = new DdnnConfig { Devices = devices };

    /// <summary>Starts a model with <paramref name="count"/> end devices and the paper's defaults elsewhere.</summary>
    public static DdnnBuilder Devices(int count) => new(count);

    /// <summary>Each device's view: channels × height × width.</summary>
    public DdnnBuilder Input(int channels, int height, int width)
    {
        _config = _config with { InputChannels = channels, InputHeight = height, InputWidth = width };
        return this;
    }

    /// <summary>Classes every exit scores (at least 2).</summary>
    public DdnnBuilder Classes(int count)
    {
        _config = _config with { Classes = count };
        return this;
    }

    /// <summary>eBNN blocks (true, the default) or their float counterparts.</summary>
    public DdnnBuilder Binary(bool binary = true)
    {
        _config = _config with { Binary = binary };
        return this;
    }

    /// <summary>One device block per entry, with that many filters.</summary>
    public DdnnBuilder DeviceBlocks(params int[] filters)
    {
        _config = _config with { DeviceFilters = filters.ToArray() };
        return this;
    }

    /// <summary>The pooling window after each device block (default k3 s2 p1, which halves the map).</summary>
    public DdnnBuilder DevicePool(int kernel, int stride, int pad)
    {
        _config = _config with { DevicePool = new PoolSpec(kernel, stride, pad) };
        return this;
    }

    /// <summary>A local exit fusing the device exits' logits.</summary>
    public DdnnBuilder LocalExit(Aggregation aggregator)
    {
        _config = _config with { LocalAggregator = aggregator };
        return this;
    }

    /// <summary>No local exit: devices send their feature maps upward for every sample.</summary>
    public DdnnBuilder NoLocalExit()
    {
        _config = _config with { LocalAggregator = null };
        return this;
    }

    /// <summary>An edge node owning <paramref name="devices"/>, with its own blocks and exit.</summary>
    public DdnnBuilder Edge(IEnumerable<int> devices, Aggregation aggregator, params int[] filters)
    {
        _edges.Add(new EdgeConfig { Devices = devices.ToArray(), Aggregator = aggregator, Filters = filters.ToArray() });
        return this;
    }

    /// <summary>The cloud: how it fuses what it receives and its blocks' filters.</summary>
    public DdnnBuilder Cloud(Aggregation aggregator, params int[] filters)
    {
        _config = _config with { CloudAggregator = aggregator, CloudFilters = filters.ToArray() };
        return this;
    }

    /// <summary>The pooling window after each cloud block (default k3 s1 p1, which keeps the map's size).</summary>
    public DdnnBuilder CloudPool(int kernel, int stride, int pad)
    {
        _config = _config with { CloudPool = new PoolSpec(kernel, stride, pad) };
        return this;
    }

    /// <summary>Sets local and cloud aggregators from a paper scheme name such as "MP-CC".</summary>
    public DdnnBuilder Scheme(string scheme)
    {
        var (local, cloud) = AggregationNames.ParseScheme(scheme);
        _config = _config with { LocalAggregator = local, CloudAggregator = cloud };
        return this;
    }

    /// <summary>How much each exit's loss counts in the joint loss (default: all 1).</summary>
    public DdnnBuilder ExitWeights(ExitWeights weights)
    {
        _config = _config with { ExitWeights = weights };
        return this;
    }

    /// <summary>Every batch norm's variance epsilon (positive) and running-statistics momentum (the new batch's weight, in (0, 1]).</summary>
    public DdnnBuilder BatchNorm(float eps, float momentum)
    {
        _config = _config with { BatchNormEps = eps, BatchNormMomentum = momentum };
        return this;
    }

    /// <summary>Validates and returns the configuration.</summary>
    /// <exception cref="DdnnConfigException">Lists every problem found.</exception>
    public DdnnConfig Build() => (_config with { Edges = _edges.ToArray() }).Validate();
}

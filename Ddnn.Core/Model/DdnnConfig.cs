namespace Ddnn.Core.Model;

/// <summary>A pooling window: kernel, stride and padding (padding is −inf for max-pool).</summary>
public sealed record PoolSpec(int Kernel, int Stride, int Pad)
{
    /// <summary>Devices: k3 s2 p1 halves the map.</summary>
    public static PoolSpec DeviceDefault { get; } = new(3, 2, 1);

    /// <summary>Cloud and edge: k3 s1 p1 keeps the map's size.</summary>
    public static PoolSpec CloudDefault { get; } = new(3, 1, 1);

    /// <summary>Output length of a pooled dimension of length <paramref name="n"/> (floor mode; 0 when the window does not fit).</summary>
    public int Output(int n) => n + 2 * Pad < Kernel ? 0 : (n + 2 * Pad - Kernel) / Stride + 1;
}

/// <summary>An edge node: the devices it owns, how it fuses their feature maps, its own blocks and exit.</summary>
public sealed record EdgeConfig
{
    /// <summary>Indices of the devices this edge owns; every device belongs to exactly one edge when edges exist.</summary>
    public IReadOnlyList<int> Devices { get; init; } = [];

    /// <summary>How the edge fuses its devices' ±1 feature maps.</summary>
    public Aggregation Aggregator { get; init; } = Aggregation.Concat;

    /// <summary>Filters of each of the edge's conv blocks (may be empty: the edge then only aggregates and exits).</summary>
    public IReadOnlyList<int> Filters { get; init; } = [16];

    /// <summary>The edge's pooling window.</summary>
    public PoolSpec Pool { get; init; } = PoolSpec.CloudDefault;
}

/// <summary>Weights of the exits in the joint loss (paper default: all 1).</summary>
public sealed record ExitWeights
{
    /// <summary>Weight of each device exit's loss; finite and non-negative (0 drops those loss terms).</summary>
    public float Device { get; init; } = 1f;
    /// <summary>Weight of the local aggregator exit's loss; finite and non-negative.</summary>
    public float Local { get; init; } = 1f;
    /// <summary>Weight of each edge exit's loss; finite and non-negative.</summary>
    public float Edge { get; init; } = 1f;
    /// <summary>Weight of the cloud exit's loss; finite and non-negative.</summary>
    public float Cloud { get; init; } = 1f;
}

/// <summary>
/// The shape of a DDNN: devices, an optional local exit, optional edges and the cloud. Built by
/// <see cref="DdnnBuilder"/> or read by <see cref="DdnnConfigJson"/>; both go through <see cref="Validate"/>.
/// </summary>
public sealed record DdnnConfig
{
    /// <summary>End devices, each seeing its own view of a sample; at least 1.</summary>
    public int Devices { get; init; } = 6;
    /// <summary>Channels of one device's input view (1 for grey images, 3 for RGB).</summary>
    public int InputChannels { get; init; } = 1;
    /// <summary>Rows of one device's input view, in pixels.</summary>
    public int InputHeight { get; init; } = 16;
    /// <summary>Columns of one device's input view, in pixels.</summary>
    public int InputWidth { get; init; } = 16;
    /// <summary>Classes every exit scores; at least 2.</summary>
    public int Classes { get; init; } = 10;

    /// <summary>True: eBNN blocks (binary weights, sign activations); false: their float counterparts (float weights, ReLU).</summary>
    public bool Binary { get; init; } = true;

    /// <summary>Filters of each device block; the paper's MV-FMNIST model has one block of f filters.</summary>
    public IReadOnlyList<int> DeviceFilters { get; init; } = [4];

    /// <summary>The pooling window after each device block; its stride sets how fast the device map shrinks.</summary>
    public PoolSpec DevicePool { get; init; } = PoolSpec.DeviceDefault;

    /// <summary>Aggregator of the local exit over the device exits' logits; null means no local exit.</summary>
    public Aggregation? LocalAggregator { get; init; } = Aggregation.MaxPool;

    /// <summary>Edge nodes between the devices and the cloud; empty means devices talk to the cloud directly.</summary>
    public IReadOnlyList<EdgeConfig> Edges { get; init; } = [];

    /// <summary>How the cloud fuses the feature maps it receives (from the devices, or from the edges).</summary>
    public Aggregation CloudAggregator { get; init; } = Aggregation.Concat;

    /// <summary>Filters of each cloud block; the paper's default is two blocks of 16.</summary>
    public IReadOnlyList<int> CloudFilters { get; init; } = [16, 16];

    /// <summary>The pooling window after each cloud block.</summary>
    public PoolSpec CloudPool { get; init; } = PoolSpec.CloudDefault;

    /// <summary>How much each exit's loss counts in the joint training loss.</summary>
    public ExitWeights ExitWeights { get; init; } = new();

    /// <summary>Added to the variance before the square root in every batch norm; positive.</summary>
    public float BatchNormEps { get; init; } = 2e-5f;
    /// <summary>Weight of the new batch statistic in every batch norm's running mean and variance; in (0, 1].</summary>
    public float BatchNormMomentum { get; init; } = 0.1f;

    /// <summary>True when the devices' exit scores are fused into a local exit (a <see cref="LocalAggregator"/> is set).</summary>
    public bool HasLocalExit => LocalAggregator is not null;
    /// <summary>True when edge nodes sit between the devices and the cloud.</summary>
    public bool HasEdges => Edges.Count > 0;

    /// <summary>Filters f of the last device block: the channels each device sends upward.</summary>
    public int DeviceOutputChannels => DeviceFilters[^1];

    /// <summary>Spatial size of the device feature map after all device blocks.</summary>
    public (int Height, int Width) DeviceOutputSize
    {
        get
        {
            var (h, w) = (InputHeight, InputWidth);
            foreach (var _ in DeviceFilters) (h, w) = (DevicePool.Output(h), DevicePool.Output(w));
            return (h, w);
        }
    }

    /// <summary>Bits per filter of the device feature map (the paper's o).</summary>
    public int DeviceOutputBitsPerFilter => DeviceOutputSize.Height * DeviceOutputSize.Width;

    /// <summary>Checks every invariant and throws one <see cref="DdnnConfigException"/> listing all problems.</summary>
    public DdnnConfig Validate()
    {
        var problems = new List<string>();
        void Positive(int v, string name) { if (v < 1) problems.Add($"{name} must be at least 1, got {v}"); }
        Positive(Devices, "devices");
        Positive(InputChannels, "inputChannels");
        Positive(InputHeight, "inputHeight");
        Positive(InputWidth, "inputWidth");
        if (Classes < 2) problems.Add($"classes must be at least 2, got {Classes}");
        if (DeviceFilters.Count == 0) problems.Add("deviceFilters must list at least one block");
        CheckFilters(DeviceFilters, "deviceFilters", problems);
        CheckFilters(CloudFilters, "cloudFilters", problems);
        CheckPool(DevicePool, "devicePool", problems);
        CheckPool(CloudPool, "cloudPool", problems);
        if (problems.Count == 0)
        {
            var (h, w) = (InputHeight, InputWidth);
            for (var i = 0; i < DeviceFilters.Count; i++)
            {
                (h, w) = (DevicePool.Output(h), DevicePool.Output(w));
                if (h < 1 || w < 1)
                {
                    problems.Add($"device block {i} pools the {InputHeight}x{InputWidth} input down to nothing ({h}x{w}); use fewer blocks or a larger input");
                    break;
                }
            }
        }
        if (LocalAggregator == Aggregation.Concat && Devices < 1)
            problems.Add("a CC local aggregator needs at least one device");
        if (!(BatchNormEps > 0)) problems.Add($"batchNormEps must be positive, got {BatchNormEps}");
        if (!(BatchNormMomentum > 0 && BatchNormMomentum <= 1)) problems.Add($"batchNormMomentum must be in (0, 1], got {BatchNormMomentum}");
        CheckWeights(problems);
        CheckEdges(problems);
        if (problems.Count > 0) throw new DdnnConfigException(problems);
        return this;
    }

    private void CheckEdges(List<string> problems)
    {
        if (Edges.Count == 0) return;
        var owner = new int[Math.Max(Devices, 0)];
        Array.Fill(owner, -1);
        for (var e = 0; e < Edges.Count; e++)
        {
            var edge = Edges[e];
            if (edge.Devices.Count == 0) problems.Add($"edges[{e}] owns no device");
            foreach (var d in edge.Devices)
            {
                if (d < 0 || d >= Devices) { problems.Add($"edges[{e}] names device {d}, but devices are 0..{Devices - 1}"); continue; }
                if (owner[d] >= 0) problems.Add($"device {d} belongs to both edges[{owner[d]}] and edges[{e}]");
                else owner[d] = e;
            }
            CheckFilters(edge.Filters, $"edges[{e}].filters", problems);
            CheckPool(edge.Pool, $"edges[{e}].pool", problems);
        }
        for (var d = 0; d < owner.Length; d++)
            if (owner[d] < 0) problems.Add($"device {d} belongs to no edge; with edges, every device needs one");
        var channels = Edges.Select(EdgeOutputChannels).Distinct().Count();
        if (CloudAggregator != Aggregation.Concat && channels > 1)
            problems.Add($"cloud aggregator {CloudAggregator.ToShortName()} needs edges with equal output channels; use CC");
    }

    /// <summary>Channels an edge sends to the cloud.</summary>
    public int EdgeOutputChannels(EdgeConfig edge) =>
        edge.Filters.Count > 0 ? edge.Filters[^1]
        : edge.Aggregator == Aggregation.Concat ? edge.Devices.Count * DeviceOutputChannels
        : DeviceOutputChannels;

    private void CheckWeights(List<string> problems)
    {
        var w = ExitWeights;
        foreach (var (name, v) in new[] { ("device", w.Device), ("local", w.Local), ("edge", w.Edge), ("cloud", w.Cloud) })
            if (!(v >= 0) || float.IsInfinity(v)) problems.Add($"exitWeights.{name} must be a finite non-negative number, got {v}");
    }

    private static void CheckFilters(IReadOnlyList<int> filters, string name, List<string> problems)
    {
        for (var i = 0; i < filters.Count; i++)
            if (filters[i] < 1) problems.Add($"{name}[{i}] must be at least 1, got {filters[i]}");
    }

    private static void CheckPool(PoolSpec pool, string name, List<string> problems)
    {
        if (pool.Kernel < 1 || pool.Stride < 1 || pool.Pad < 0)
            problems.Add($"{name} needs kernel >= 1, stride >= 1 and pad >= 0, got k{pool.Kernel} s{pool.Stride} p{pool.Pad}");
        else if (pool.Pad * 2 > pool.Kernel)
            problems.Add($"{name}: padding {pool.Pad} is more than half the kernel {pool.Kernel}");
    }
}

/// <summary>An invalid DDNN configuration; the message lists every problem found.</summary>
public sealed class DdnnConfigException(IReadOnlyList<string> problems)
    : ArgumentException("invalid DDNN configuration: " + string.Join("; ", problems))
{
    /// <summary>Every invariant the configuration breaks, one message each, in check order.</summary>
    public IReadOnlyList<string> Problems { get; } = problems;
}

using Ddnn.Core.Deploy;

namespace Ddnn.Core.Serving;

/// <summary>What a topic of a <see cref="TopicScheme"/> is for.</summary>
public enum TopicKind
{
    /// <summary><c>ddnn/&lt;deployment&gt;/status/&lt;tier&gt;</c>: a tier's retained announcement (or its last will).</summary>
    Status,

    /// <summary><c>ddnn/&lt;deployment&gt;/tick</c>: the aggregator's frame tick.</summary>
    Tick,

    /// <summary><c>ddnn/&lt;deployment&gt;/request/edge</c>: the aggregator asks the devices for their maps, the edges to run.</summary>
    EdgeRequest,

    /// <summary><c>ddnn/&lt;deployment&gt;/request/cloud</c>: the aggregator asks the cloud to run, the devices or edges for their maps.</summary>
    CloudRequest,

    /// <summary><c>ddnn/&lt;deployment&gt;/to/&lt;receiver&gt;/&lt;sender&gt;</c>: one sender's message to one receiver.</summary>
    Addressed,

    /// <summary><c>ddnn/&lt;deployment&gt;/job/cloud</c>: with cloud workers, the aggregator's self-contained cloud request, read by one worker through a shared subscription.</summary>
    CloudJob,
}

/// <summary>A topic of a <see cref="TopicScheme"/>, parsed: its kind and, where the topic names them, tier and sender.</summary>
/// <param name="Kind">What the topic is for.</param>
/// <param name="Tier">The announcing tier (<see cref="TopicKind.Status"/>) or the receiver (<see cref="TopicKind.Addressed"/>).</param>
/// <param name="Sender">The sender named by an <see cref="TopicKind.Addressed"/> topic.</param>
public readonly record struct ParsedTopic(TopicKind Kind, PartitionId Tier = default, PartitionId Sender = default);

/// <summary>
/// The MQTT topics of one deployment, all under <c>ddnn/&lt;deployment&gt;/</c>; tiers are named as their partitions
/// (<c>dev0</c>, <c>local</c>, <c>edge0</c>, <c>cloud</c>, see <see cref="PartitionId"/>). Every tier subscribes to
/// <see cref="StatusFilter"/> and its own <see cref="Inbox"/>; devices, edges and the cloud also to the tick and the
/// requests they answer; cloud workers (<see cref="CloudWorkers"/>) only to the statuses and <see cref="SharedCloudJob"/>. The last level of an addressed topic names the sender, so a receiver checks it against the
/// message's sender byte and a broker ACL can pin each client to its own topics (<c>ddnn/+/to/+/%u</c>).
/// </summary>
public sealed class TopicScheme
{
    /// <summary>The first level of every topic.</summary>
    public const string Prefix = "ddnn";

    /// <summary>Longest deployment name.</summary>
    public const int MaxDeploymentLength = 64;

    private readonly string _root;

    /// <summary>Most cloud workers of one deployment: their indices are one byte, the sender byte of their answers.</summary>
    public const int MaxCloudWorkers = 256;

    /// <summary>
    /// The topics of deployment <paramref name="deployment"/>: 1 to 64 of A–Z, a–z, 0–9, '-', '_', '.'. With
    /// <paramref name="cloudWorkers"/> &gt; 0 the cloud is that many workers (<c>cloud</c>, <c>cloud1</c>, …) that share
    /// the self-contained cloud requests on <see cref="CloudJob"/> (docs/serving.md, scale-out); with 0 the one cloud
    /// gathers the maps itself.
    /// </summary>
    public TopicScheme(string deployment, int cloudWorkers = 0)
    {
        if (cloudWorkers is < 0 or > MaxCloudWorkers) throw new ArgumentOutOfRangeException(nameof(cloudWorkers), cloudWorkers, $"cloud workers must be 0 (one cloud gathering the maps) to {MaxCloudWorkers}.");
        CloudWorkers = cloudWorkers;
        ArgumentNullException.ThrowIfNull(deployment);
        if (deployment.Length is 0 or > MaxDeploymentLength || !deployment.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new ArgumentException($"deployment name '{deployment}' must be 1 to {MaxDeploymentLength} letters, digits, '-', '_' or '.' (no '/', '+', '#').", nameof(deployment));
        Deployment = deployment;
        _root = $"{Prefix}/{deployment}/";
        Tick = _root + "tick";
        EdgeRequest = _root + "request/edge";
        CloudRequest = _root + "request/cloud";
        StatusFilter = _root + "status/+";
        CloudJob = _root + "job/cloud";
        // One group per deployment: every worker of it shares one queue of jobs.
        SharedCloudJob = $"$share/{Prefix}-{deployment}/{CloudJob}";
    }

    /// <summary>Cloud workers sharing the cloud requests (0: one cloud that gathers the maps itself).</summary>
    public int CloudWorkers { get; }

    /// <summary>True when the cloud is <see cref="CloudWorkers"/> workers fed with self-contained requests on <see cref="CloudJob"/>.</summary>
    public bool HasCloudWorkers => CloudWorkers > 0;

    /// <summary>How many cloud tiers there are: the workers, or the one cloud.</summary>
    public int CloudTiers => Math.Max(1, CloudWorkers);

    /// <summary><c>ddnn/&lt;deployment&gt;/job/cloud</c>: the aggregator's self-contained cloud requests.</summary>
    public string CloudJob { get; }

    /// <summary><c>$share/ddnn-&lt;deployment&gt;/ddnn/&lt;deployment&gt;/job/cloud</c>: what each worker subscribes to, so the broker hands each job to one of them.</summary>
    public string SharedCloudJob { get; }

    /// <summary>
    /// Every tier of a deployment of <paramref name="model"/>: <see cref="PartitionId.AllOf"/>, with every cloud worker
    /// in place of the cloud, and the local aggregator also when the model has no local exit (it paces the run and
    /// takes the answers, it only decides no local exit).
    /// </summary>
    public IReadOnlyList<PartitionId> Tiers(DeployedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var tiers = PartitionId.AllOf(model).ToList();
        var local = new PartitionId(PartitionKind.Local);
        if (!tiers.Contains(local)) tiers.Insert(model.Devices.Length, local);
        for (var k = 1; k < CloudTiers; k++) tiers.Add(new PartitionId(PartitionKind.Cloud, k));
        return tiers;
    }

    /// <summary>The deployment name.</summary>
    public string Deployment { get; }

    /// <summary>Every topic of the deployment, as an MQTT filter (<c>ddnn/&lt;deployment&gt;/#</c>).</summary>
    public string All => _root + "#";

    /// <summary><c>ddnn/&lt;deployment&gt;/tick</c>.</summary>
    public string Tick { get; }

    /// <summary><c>ddnn/&lt;deployment&gt;/request/edge</c>.</summary>
    public string EdgeRequest { get; }

    /// <summary><c>ddnn/&lt;deployment&gt;/request/cloud</c>.</summary>
    public string CloudRequest { get; }

    /// <summary><c>ddnn/&lt;deployment&gt;/status/+</c>: every tier's announcement.</summary>
    public string StatusFilter { get; }

    /// <summary><c>ddnn/&lt;deployment&gt;/status/&lt;tier&gt;</c>: the tier's retained announcement, also its MQTT last-will topic.</summary>
    public string Status(PartitionId tier) => _root + "status/" + tier;

    /// <summary><c>ddnn/&lt;deployment&gt;/to/&lt;receiver&gt;/+</c>: everything addressed to <paramref name="receiver"/>.</summary>
    public string Inbox(PartitionId receiver) => _root + "to/" + receiver + "/+";

    /// <summary><c>ddnn/&lt;deployment&gt;/to/&lt;receiver&gt;/&lt;sender&gt;</c>.</summary>
    public string To(PartitionId receiver, PartitionId sender) => _root + "to/" + receiver + "/" + sender;

    /// <summary>Parses a topic of this deployment; false for anything else (another deployment, unknown level, bad tier name).</summary>
    public bool TryParse(string topic, out ParsedTopic parsed)
    {
        parsed = default;
        if (topic is null || !topic.StartsWith(_root, StringComparison.Ordinal)) return false;
        var rest = topic.AsSpan(_root.Length);
        if (rest.SequenceEqual("tick")) { parsed = new(TopicKind.Tick); return true; }
        if (rest.SequenceEqual("request/edge")) { parsed = new(TopicKind.EdgeRequest); return true; }
        if (rest.SequenceEqual("request/cloud")) { parsed = new(TopicKind.CloudRequest); return true; }
        if (rest.SequenceEqual("job/cloud")) { parsed = new(TopicKind.CloudJob); return true; }
        if (rest.StartsWith("status/"))
        {
            if (!TryParseTier(rest["status/".Length..], out var tier)) return false;
            parsed = new(TopicKind.Status, tier);
            return true;
        }
        if (rest.StartsWith("to/"))
        {
            rest = rest["to/".Length..];
            var slash = rest.IndexOf('/');
            if (slash < 0 || !TryParseTier(rest[..slash], out var receiver) || !TryParseTier(rest[(slash + 1)..], out var sender)) return false;
            parsed = new(TopicKind.Addressed, receiver, sender);
            return true;
        }
        return false;
    }

    /// <summary>
    /// The kind of message a topic carries (null for a topic no tier publishes on, e.g. addressed to a device): what a
    /// transport counts bytes by.
    /// </summary>
    public static ServingMessageKind? MessageKind(in ParsedTopic topic) => topic.Kind switch
    {
        TopicKind.Status => ServingMessageKind.Status,
        TopicKind.Tick => ServingMessageKind.Tick,
        TopicKind.EdgeRequest => ServingMessageKind.EdgeRequest,
        TopicKind.CloudRequest => ServingMessageKind.CloudRequest,
        TopicKind.CloudJob => ServingMessageKind.CloudJob,
        _ => (topic.Sender.Kind, topic.Tier.Kind) switch
        {
            (PartitionKind.Device, PartitionKind.Local) => ServingMessageKind.DeviceScores,
            (PartitionKind.Device, PartitionKind.Edge or PartitionKind.Cloud) => ServingMessageKind.DeviceFeatures,
            (PartitionKind.Edge, PartitionKind.Local) => ServingMessageKind.EdgeScores,
            (PartitionKind.Edge, PartitionKind.Cloud) => ServingMessageKind.EdgeFeatures,
            (PartitionKind.Cloud, PartitionKind.Local) => ServingMessageKind.CloudAnswer,
            _ => null,
        },
    };

    /// <summary>
    /// Splits an MQTT 5 shared subscription <c>$share/&lt;group&gt;/&lt;filter&gt;</c> into its group and filter; false
    /// for an ordinary filter. A broker hands each message matching a shared filter to one member of its group.
    /// </summary>
    public static bool TrySplitShared(string subscription, out string group, out string filter)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        group = filter = "";
        const string share = "$share/";
        if (!subscription.StartsWith(share, StringComparison.Ordinal)) return false;
        var slash = subscription.IndexOf('/', share.Length);
        if (slash <= share.Length || slash == subscription.Length - 1) return false;
        group = subscription[share.Length..slash];
        filter = subscription[(slash + 1)..];
        return true;
    }

    /// <summary>True when MQTT filter <paramref name="filter"/> (with <c>+</c> for one level and a final <c>#</c> for the rest) matches <paramref name="topic"/>.</summary>
    public static bool Matches(string filter, string topic)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(topic);
        var f = filter.AsSpan();
        var t = topic.AsSpan();
        while (true)
        {
            var fe = f.IndexOf('/');
            var fl = fe < 0 ? f : f[..fe];
            if (fl.SequenceEqual("#")) return true;
            var te = t.IndexOf('/');
            var tl = te < 0 ? t : t[..te];
            if (!fl.SequenceEqual("+") && !fl.SequenceEqual(tl)) return false;
            if (fe < 0 || te < 0) return fe < 0 && te < 0;
            f = f[(fe + 1)..];
            t = t[(te + 1)..];
        }
    }

    /// <summary>
    /// Parses a tier name: <c>local</c>, <c>cloud</c>, <c>dev</c>/<c>edge</c> followed by 0–255 without leading zeros,
    /// or a cloud worker <c>cloud1</c>–<c>cloud255</c> (worker 0 is <c>cloud</c>, so <c>cloud0</c> is no name).
    /// </summary>
    public static bool TryParseTier(ReadOnlySpan<char> name, out PartitionId tier)
    {
        tier = default;
        if (name.SequenceEqual("local")) { tier = new(PartitionKind.Local); return true; }
        if (name.SequenceEqual("cloud")) { tier = new(PartitionKind.Cloud); return true; }
        PartitionKind kind;
        if (name.StartsWith("dev")) { kind = PartitionKind.Device; name = name[3..]; }
        else if (name.StartsWith("edge")) { kind = PartitionKind.Edge; name = name[4..]; }
        else if (name.StartsWith("cloud") && !name.SequenceEqual("cloud0")) { kind = PartitionKind.Cloud; name = name[5..]; }
        else return false;
        if (name.Length is 0 or > 3 || (name.Length > 1 && name[0] == '0')) return false;
        var index = 0;
        foreach (var c in name)
        {
            if (!char.IsAsciiDigit(c)) return false;
            index = index * 10 + (c - '0');
        }
        if (index > byte.MaxValue) return false;
        tier = new(kind, index);
        return true;
    }
}

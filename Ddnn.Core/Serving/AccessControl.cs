using System.Text;
using Ddnn.Core.Deploy;

namespace Ddnn.Core.Serving;

/// <summary>What an ACL rule allows: receiving messages on (and subscribing within) a filter, or publishing to a topic.</summary>
public enum TopicAccess
{
    /// <summary>Receive messages whose topic matches the rule's filter; subscribe to filters the rule's filter covers.</summary>
    Read,

    /// <summary>Publish to exactly the rule's topic (write rules never hold wildcards).</summary>
    Write,
}

/// <summary>One rule of a user's ACL.</summary>
public readonly record struct AclRule(TopicAccess Access, string Filter);

/// <summary>
/// Who may do what on the broker of one deployment: one user per tier (named as the tier, <c>dev0</c>, <c>local</c>,
/// <c>edge0</c>, <c>cloud</c>) and a read-only <see cref="MonitorUser"/>. The one model both the mosquitto ACL file
/// (<see cref="ToMosquittoAcl"/>) and the embedded broker's checks are made from, so the two cannot drift apart.
/// Everything not allowed is refused. The rules follow the topic table (docs/serving.md):
/// <list type="bullet">
/// <item>device d publishes only its status and its own addressed topics (its scores to local, its map to its own edge
/// or, without edges, the cloud), and reads only the statuses, the tick and the two requests (what goes to every device);</item>
/// <item>edge e publishes its status and its scores and map; it reads statuses, tick, requests and its inbox
/// <c>to/edge&lt;e&gt;/+</c>, where only its own devices may publish;</item>
/// <item>only local publishes the tick and the requests; it reads statuses and its inbox;</item>
/// <item>only the cloud publishes the cloud answer; it reads statuses, tick, the cloud request and its inbox;</item>
/// <item>with cloud workers (<see cref="TopicScheme.CloudWorkers"/>), the maps of the cloud's inputs go to the
/// aggregator's inbox instead, only the aggregator publishes the jobs, and worker k (<c>cloud</c>, <c>cloud1</c>, …)
/// reads statuses and the jobs and publishes only its status and its answer <c>to/local/cloud&lt;k&gt;</c>.</item>
/// </list>
/// Rules are listed per user rather than as <c>pattern</c> rules keyed on the user name: a pattern such as
/// <c>to/+/%u</c> would let a device publish to any receiver (another edge's inbox, another device's), so only explicit
/// topics are exact.
/// </summary>
public sealed class AccessControlList
{
    /// <summary>The read-only user that watches a deployment (<c>ddnn serve all</c>'s observer): statuses and the broker's byte counters.</summary>
    public const string MonitorUser = "monitor";

    /// <summary>mosquitto's byte counters under <c>$SYS</c>, which the monitor reads.</summary>
    public const string BrokerBytesFilter = "$SYS/broker/bytes/#";

    private readonly Dictionary<string, AclRule[]> _rules;

    private AccessControlList(TopicScheme topics, Dictionary<string, AclRule[]> rules)
    {
        Topics = topics;
        _rules = rules;
    }

    /// <summary>The deployment's topics.</summary>
    public TopicScheme Topics { get; }

    /// <summary>Every user, tiers in <see cref="PartitionId.AllOf"/> order, then the monitor.</summary>
    public IReadOnlyList<string> Users => [.. _rules.Keys];

    /// <summary>The rules of <paramref name="user"/> (none for an unknown user).</summary>
    public IReadOnlyList<AclRule> RulesOf(string user) => _rules.TryGetValue(user, out var rules) ? rules : [];

    /// <summary>The user name a tier connects with by default: its name.</summary>
    public static string UserOf(PartitionId tier) => tier.ToString();

    /// <summary>The ACL of deployment <paramref name="topics"/> serving <paramref name="model"/>.</summary>
    public static AccessControlList For(TopicScheme topics, DeployedModel model)
    {
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentNullException.ThrowIfNull(model);
        var local = new PartitionId(PartitionKind.Local);
        var cloud = new PartitionId(PartitionKind.Cloud);
        var rules = new Dictionary<string, AclRule[]>(StringComparer.Ordinal);
        // With cloud workers the cloud inputs' maps go to the aggregator, which alone sends the bundled jobs.
        var workers = topics.HasCloudWorkers;
        foreach (var tier in topics.Tiers(model))
        {
            var reads = new List<string> { topics.StatusFilter };
            var writes = new List<string> { topics.Status(tier) };
            switch (tier.Kind)
            {
                case PartitionKind.Device:
                    reads.AddRange([topics.Tick, topics.EdgeRequest, topics.CloudRequest]);
                    var edge = EdgeOf(model, tier.Index);
                    if (model.Local is not null || (workers && edge is null)) writes.Add(topics.To(local, tier));
                    if (edge is { } e) writes.Add(topics.To(new PartitionId(PartitionKind.Edge, e), tier));
                    else if (!workers) writes.Add(topics.To(cloud, tier));
                    break;
                case PartitionKind.Edge:
                    reads.AddRange([topics.Tick, topics.EdgeRequest, topics.CloudRequest, topics.Inbox(tier)]);
                    // Its scores go to the aggregator with or without a local exit, and with cloud workers its map too.
                    writes.Add(topics.To(local, tier));
                    if (!workers) writes.Add(topics.To(cloud, tier));
                    break;
                case PartitionKind.Local:
                    reads.Add(topics.Inbox(tier));
                    writes.Add(topics.Tick);
                    if (model.Edges.Length > 0) writes.Add(topics.EdgeRequest);
                    writes.Add(topics.CloudRequest);
                    if (workers) writes.Add(topics.CloudJob);
                    break;
                case PartitionKind.Cloud when workers:
                    // A worker reads only the jobs (through its shared subscription) and answers under its own name.
                    reads.Add(topics.CloudJob);
                    writes.Add(topics.To(local, tier));
                    break;
                default:
                    // The cloud answers the aggregator, which without a local exit still takes the answers.
                    reads.AddRange([topics.Tick, topics.CloudRequest, topics.Inbox(tier)]);
                    writes.Add(topics.To(local, tier));
                    break;
            }
            rules.Add(UserOf(tier), [.. reads.Select(r => new AclRule(TopicAccess.Read, r)), .. writes.Select(w => new AclRule(TopicAccess.Write, w))]);
        }
        rules.Add(MonitorUser, [new AclRule(TopicAccess.Read, topics.StatusFilter), new AclRule(TopicAccess.Read, BrokerBytesFilter)]);
        return new AccessControlList(topics, rules);
    }

    /// <summary>The edge device <paramref name="device"/> belongs to, or null in a model without edges.</summary>
    private static int? EdgeOf(DeployedModel model, int device)
    {
        for (var e = 0; e < model.Edges.Length; e++)
            if (model.Config.Edges[e].Devices.Contains(device)) return e;
        return null;
    }

    /// <summary>True when <paramref name="user"/> may publish to <paramref name="topic"/> (an exact topic of a write rule).</summary>
    public bool MayPublish(string? user, string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (user is null || !_rules.TryGetValue(user, out var rules)) return false;
        foreach (var rule in rules)
            if (rule.Access == TopicAccess.Write && string.Equals(rule.Filter, topic, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>True when <paramref name="user"/> may receive a message published to <paramref name="topic"/>.</summary>
    public bool MayRead(string? user, string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (user is null || !_rules.TryGetValue(user, out var rules)) return false;
        foreach (var rule in rules)
            if (rule.Access == TopicAccess.Read && TopicScheme.Matches(rule.Filter, topic)) return true;
        return false;
    }

    /// <summary>
    /// True when <paramref name="user"/> may subscribe to <paramref name="filter"/>: some read rule covers every topic the
    /// filter can match, so a subscription never asks for more than the user may read.
    /// </summary>
    public bool MaySubscribe(string? user, string filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (user is null || !_rules.TryGetValue(user, out var rules)) return false;
        foreach (var rule in rules)
            if (rule.Access == TopicAccess.Read && Covers(rule.Filter, filter)) return true;
        return false;
    }

    /// <summary>True when every topic <paramref name="inner"/> matches is matched by <paramref name="outer"/>.</summary>
    public static bool Covers(string outer, string inner)
    {
        ArgumentNullException.ThrowIfNull(outer);
        ArgumentNullException.ThrowIfNull(inner);
        var o = outer.Split('/');
        var i = inner.Split('/');
        for (var k = 0; k < o.Length; k++)
        {
            if (o[k] == "#") return true;
            if (k >= i.Length || i[k] == "#") return false;
            if (o[k] == "+") continue;
            if (i[k] == "+" || !string.Equals(o[k], i[k], StringComparison.Ordinal)) return false;
        }
        return o.Length == i.Length;
    }

    /// <summary>
    /// The ACL as a mosquitto 2 <c>acl_file</c>: one <c>user</c> block per user with its <c>topic read</c> and
    /// <c>topic write</c> lines, nothing for anyone else (mosquitto refuses what no rule allows).
    /// </summary>
    public string ToMosquittoAcl()
    {
        var text = new StringBuilder();
        text.Append("# ACL of deployment '").Append(Topics.Deployment).Append("', written by ddnn serve broker-config (docs/serving.md, access control).\n");
        text.Append("# No pattern rules: each user may publish exactly its own topics and read what is addressed to it.\n");
        foreach (var (user, rules) in _rules)
        {
            text.Append('\n').Append("user ").Append(user).Append('\n');
            foreach (var rule in rules)
                text.Append("topic ").Append(rule.Access == TopicAccess.Read ? "read " : "write ").Append(rule.Filter).Append('\n');
        }
        return text.ToString();
    }
}

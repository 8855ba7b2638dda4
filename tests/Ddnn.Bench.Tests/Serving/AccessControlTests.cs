using Ddnn.Bench.Serving;
using Ddnn.Core.Deploy;
using Ddnn.Core.Runtime;
using Ddnn.Core.Serving;
using Ddnn.TestSupport;

namespace Ddnn.Bench.Tests.Serving;

/// <summary>The ACL model (<see cref="AccessControlList"/>) and the credential files (<see cref="BrokerCredentials"/>).</summary>
public sealed class AccessControlTests(ServedModels models) : IClassFixture<ServedModels>
{
    private static readonly TopicScheme Topics = new("dep");

    private static PartitionId Dev(int d) => new(PartitionKind.Device, d);
    private static PartitionId EdgeOf(int e) => new(PartitionKind.Edge, e);
    private static readonly PartitionId Local = new(PartitionKind.Local);
    private static readonly PartitionId Cloud = new(PartitionKind.Cloud);

    private AccessControlList Plain() => AccessControlList.For(Topics, DeployedModelLoader.Load(models.Plain));
    private AccessControlList WithEdges() => AccessControlList.For(Topics, DeployedModelLoader.Load(models.Edges));

    [Fact]
    public void A_device_publishes_only_its_own_topics()
    {
        var acl = Plain();
        Assert.True(acl.MayPublish("dev2", Topics.To(Local, Dev(2))));
        Assert.True(acl.MayPublish("dev2", Topics.To(Cloud, Dev(2))));
        Assert.True(acl.MayPublish("dev2", Topics.Status(Dev(2))));
        Assert.False(acl.MayPublish("dev2", Topics.To(Local, Dev(3))));
        Assert.False(acl.MayPublish("dev2", Topics.To(Cloud, Dev(3))));
        Assert.False(acl.MayPublish("dev2", Topics.Status(Dev(3))));
        Assert.False(acl.MayPublish("dev2", Topics.To(Local, Cloud)));
        Assert.False(acl.MayPublish("dev2", Topics.Tick));
        Assert.False(acl.MayPublish("dev2", Topics.CloudRequest));
        Assert.False(acl.MayPublish("dev2", Topics.To(Dev(3), Dev(2))));
        Assert.False(acl.MayPublish("dev2", "ddnn/other/" + "to/local/dev2"));
    }

    [Fact]
    public void With_cloud_workers_the_maps_go_to_the_aggregator_only_it_sends_jobs_and_each_worker_answers_as_itself()
    {
        var topics = new TopicScheme("dep", cloudWorkers: 2);
        var worker1 = new PartitionId(PartitionKind.Cloud, 1);
        foreach (var acl in new[] { AccessControlList.For(topics, DeployedModelLoader.Load(models.Plain)), AccessControlList.For(topics, DeployedModelLoader.Load(models.Edges)) })
        {
            Assert.Contains("cloud1", acl.Users);
            Assert.Equal(["local"], acl.Users.Where(u => acl.MayPublish(u, topics.CloudJob)));
            Assert.Equal(["cloud", "cloud1"], acl.Users.Where(u => acl.MayRead(u, topics.CloudJob)));
            Assert.Equal(["cloud1"], acl.Users.Where(u => acl.MayPublish(u, topics.To(Local, worker1))));
            Assert.Equal(["cloud1"], acl.Users.Where(u => acl.MayPublish(u, topics.Status(worker1))));
            Assert.DoesNotContain(acl.Users, u => acl.MayPublish(u, topics.To(Cloud, Dev(2))) || acl.MayPublish(u, topics.To(Cloud, EdgeOf(0))));
            Assert.False(acl.MayRead("cloud1", topics.To(Local, Dev(2))));
            Assert.False(acl.MayRead("cloud1", topics.Tick));
            Assert.False(acl.MayPublish("cloud1", topics.To(Local, Cloud)));
        }
        var plain = AccessControlList.For(topics, DeployedModelLoader.Load(models.Plain));
        Assert.True(plain.MayPublish("dev2", topics.To(Local, Dev(2))));
        var edges = AccessControlList.For(topics, DeployedModelLoader.Load(models.Edges));
        Assert.True(edges.MayPublish("edge0", topics.To(Local, EdgeOf(0))));
    }

    [Fact]
    public void A_device_reads_only_what_goes_to_every_device()
    {
        var acl = Plain();
        foreach (var topic in new[] { Topics.Tick, Topics.EdgeRequest, Topics.CloudRequest, Topics.Status(Local), Topics.Status(Dev(3)) })
            Assert.True(acl.MayRead("dev2", topic), topic);
        foreach (var topic in new[] { Topics.To(Local, Dev(3)), Topics.To(Cloud, Dev(3)), Topics.To(Local, Cloud), "$SYS/broker/bytes/sent" })
            Assert.False(acl.MayRead("dev2", topic), topic);
        Assert.True(acl.MaySubscribe("dev2", Topics.StatusFilter));
        Assert.False(acl.MaySubscribe("dev2", Topics.All));
        Assert.False(acl.MaySubscribe("dev2", "#"));
        Assert.False(acl.MaySubscribe("dev2", Topics.Inbox(Local)));
        Assert.False(acl.MaySubscribe("dev2", "ddnn/+/tick"));
    }

    [Fact]
    public void Only_the_aggregator_ticks_and_requests_and_only_the_cloud_answers()
    {
        foreach (var acl in new[] { Plain(), WithEdges() })
        {
            foreach (var topic in new[] { Topics.Tick, Topics.CloudRequest })
                Assert.Equal(["local"], acl.Users.Where(u => acl.MayPublish(u, topic)));
            Assert.Equal(["cloud"], acl.Users.Where(u => acl.MayPublish(u, Topics.To(Local, Cloud))));
            // Every tier publishes its own status, and nobody else's.
            foreach (var user in acl.Users.Where(u => u != AccessControlList.MonitorUser))
                Assert.Equal([user], acl.Users.Where(u => acl.MayPublish(u, $"ddnn/dep/status/{user}")));
            Assert.DoesNotContain(acl.RulesOf(AccessControlList.MonitorUser), r => r.Access == TopicAccess.Write);
        }
        Assert.Equal(["local"], WithEdges().Users.Where(u => WithEdges().MayPublish(u, Topics.EdgeRequest)));
        Assert.DoesNotContain(Plain().Users, u => Plain().MayPublish(u, Topics.EdgeRequest));
    }

    [Fact]
    public void An_edge_reads_only_its_own_devices_and_a_device_sends_its_map_only_to_its_edge()
    {
        var acl = WithEdges(); // edge0: devices 0-2, edge1: devices 3-5
        Assert.True(acl.MaySubscribe("edge0", Topics.Inbox(EdgeOf(0))));
        Assert.False(acl.MaySubscribe("edge0", Topics.Inbox(EdgeOf(1))));
        Assert.False(acl.MaySubscribe("edge0", Topics.Inbox(Local)));
        Assert.False(acl.MaySubscribe("edge0", Topics.Inbox(Cloud)));
        Assert.False(acl.MayRead("edge0", Topics.To(EdgeOf(1), Dev(3))));
        Assert.True(acl.MayRead("edge0", Topics.To(EdgeOf(0), Dev(1))));
        // Only edge0's own devices may write where edge0 reads.
        for (var d = 0; d < 6; d++)
        {
            Assert.Equal(d < 3, acl.MayPublish($"dev{d}", Topics.To(EdgeOf(0), Dev(d))));
            Assert.Equal(d >= 3, acl.MayPublish($"dev{d}", Topics.To(EdgeOf(1), Dev(d))));
            Assert.False(acl.MayPublish($"dev{d}", Topics.To(Cloud, Dev(d))));
        }
        Assert.True(acl.MayPublish("edge1", Topics.To(Cloud, EdgeOf(1))));
        Assert.True(acl.MayPublish("edge1", Topics.To(Local, EdgeOf(1))));
        Assert.False(acl.MayPublish("edge1", Topics.To(Cloud, EdgeOf(0))));
    }

    private sealed class NoTransport : IMessageTransport
    {
        public void Publish(string topic, ReadOnlySpan<byte> payload, Delivery delivery, bool retain) { }
    }

    private sealed class NoSensor : IDeviceSensor
    {
        public bool TryRead(int device, uint sample, Span<float> view) => false;
    }

    [Fact]
    public void Every_tier_may_subscribe_to_what_it_reads_and_publish_its_status()
    {
        // The aggregator is a tier of every deployment: without a local exit it still paces the run and takes the answers.
        foreach (var path in new[] { models.Plain, models.Edges, models.NoLocal })
        {
            var model = DeployedModelLoader.Load(path);
            var acl = AccessControlList.For(Topics, model);
            Assert.True(acl.MayPublish("cloud", Topics.To(Local, Cloud)), $"{path}: the cloud may not answer the aggregator");
            var fingerprint = ModelFingerprint.Of(model);
            var clock = new MonotonicClock();
            var transport = new NoTransport();
            var tiers = new List<ServingTier>();
            for (var d = 0; d < model.Devices.Length; d++)
                tiers.Add(new DeviceTier(model, d, fingerprint, Topics, transport, clock, new NoSensor()));
            for (var e = 0; e < model.Edges.Length; e++)
                tiers.Add(new EdgeTier(model, e, fingerprint, Topics, transport, clock));
            tiers.Add(new LocalAggregatorTier(model, fingerprint, Topics, transport, clock));
            tiers.Add(new CloudTier(model, fingerprint, Topics, transport, clock));
            Assert.Equal(acl.Users.Where(u => u != AccessControlList.MonitorUser).Order(StringComparer.Ordinal), tiers.Select(t => AccessControlList.UserOf(t.Id)).Order(StringComparer.Ordinal));
            foreach (var tier in tiers)
            {
                var user = AccessControlList.UserOf(tier.Id);
                foreach (var filter in tier.Subscriptions) Assert.True(acl.MaySubscribe(user, filter), $"{user} may not subscribe to {filter}");
                Assert.True(acl.MayPublish(user, tier.WillTopic), $"{user} may not publish its will");
            }
        }
    }

    [Theory]
    [InlineData("a/b/c", "a/b/c", true)]
    [InlineData("a/+/c", "a/b/c", true)]
    [InlineData("a/+/c", "a/+/c", true)]
    [InlineData("a/b/c", "a/+/c", false)]
    [InlineData("a/#", "a/b/c", true)]
    [InlineData("a/#", "a/+/#", true)]
    [InlineData("a/+", "a/#", false)]
    [InlineData("a/+", "a/b/c", false)]
    [InlineData("a/b", "a/b/c", false)]
    [InlineData("a/b/c", "a/b", false)]
    [InlineData("a/+/c", "#", false)]
    public void A_read_rule_covers_only_filters_inside_it(string outer, string inner, bool covers) =>
        Assert.Equal(covers, AccessControlList.Covers(outer, inner));

    [Fact]
    public void The_mosquitto_acl_file_has_one_exact_block_per_user_and_no_patterns()
    {
        var text = WithEdges().ToMosquittoAcl();
        Assert.DoesNotContain("pattern", text.Split('\n').Where(l => !l.StartsWith('#')), StringComparer.Ordinal);
        Assert.Contains("""
            user dev4
            topic read ddnn/dep/status/+
            topic read ddnn/dep/tick
            topic read ddnn/dep/request/edge
            topic read ddnn/dep/request/cloud
            topic write ddnn/dep/status/dev4
            topic write ddnn/dep/to/local/dev4
            topic write ddnn/dep/to/edge1/dev4

            """.ReplaceLineEndings("\n"), text, StringComparison.Ordinal);
        Assert.Contains("user monitor\ntopic read ddnn/dep/status/+\ntopic read $SYS/broker/bytes/#\n", text, StringComparison.Ordinal);
        Assert.Equal(WithEdges().Users.Count, text.Split('\n').Count(l => l.StartsWith("user ", StringComparison.Ordinal)));
    }

    // Written by mosquitto_passwd 2.0.11 (`mosquitto_passwd -b file dev0 secret`): the format is mosquitto's own.
    private const string MosquittoEntry = "$7$101$onEE3IdTNAB5uTRK$4oxpuuKQyievRf1QwxbEamfrCBh+PgNe7u1h2flDC8zErC9l+SoKeH+jQGQZSF1IALkW90bJZQMs6f76UK66gg==";

    [Fact]
    public void Password_hashes_are_mosquittos_format()
    {
        Assert.True(MosquittoPasswordFile.Verify(MosquittoEntry, "secret"));
        Assert.False(MosquittoPasswordFile.Verify(MosquittoEntry, "Secret"));
        var salt = Convert.FromBase64String("onEE3IdTNAB5uTRK");
        Assert.Equal(MosquittoEntry, MosquittoPasswordFile.Hash("secret", salt));
        var fresh = MosquittoPasswordFile.Hash("pw");
        Assert.Matches(@"^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$", fresh);
        Assert.NotEqual(fresh, MosquittoPasswordFile.Hash("pw")); // a fresh salt each time
        Assert.True(MosquittoPasswordFile.Verify(fresh, "pw"));
        Assert.False(MosquittoPasswordFile.Verify("$6$x$y", "pw"));
        Assert.False(MosquittoPasswordFile.Verify("$7$101$not base64$x", "pw"));
        var parsed = MosquittoPasswordFile.Parse("dev0:" + MosquittoEntry + "\n\n");
        Assert.Equal(MosquittoEntry, parsed["dev0"]);
        Assert.Contains("line 2", Assert.Throws<InvalidDataException>(() => MosquittoPasswordFile.Parse("dev0:" + MosquittoEntry + "\ndev1:plain\n")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_credential_set_writes_secret_files_readable_by_the_owner_only()
    {
        using var dir = new TempDirectory();
        var set = BrokerCredentials.Generate(Plain());
        set.WriteTo(dir.Path);
        Assert.Equal(Plain().Users, set.Passwords.Keys);
        Assert.Equal(set.Passwords.Count, set.Passwords.Values.Distinct().Count());
        var hashes = MosquittoPasswordFile.Parse(File.ReadAllText(dir.File(BrokerCredentials.PasswordFileName)));
        foreach (var (user, password) in set.Passwords)
        {
            Assert.Equal(32, password.Length);
            var file = BrokerCredentials.PasswordFileOf(dir.Path, user);
            Assert.Equal(password, BrokerCredentials.ReadPassword(file));
            Assert.True(MosquittoPasswordFile.Verify(hashes[user], password), user);
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir.File(BrokerCredentials.PasswordFileName)));
        Assert.Equal(Plain().ToMosquittoAcl(), File.ReadAllText(dir.File(BrokerCredentials.AclFileName)));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));
        Assert.Contains("cannot read the password file", Assert.Throws<IOException>(() => BrokerCredentials.ReadPassword(dir.File("missing"))).Message, StringComparison.Ordinal);
        File.WriteAllText(dir.File("empty"), "\n");
        Assert.Contains("is empty", Assert.Throws<IOException>(() => BrokerCredentials.ReadPassword(dir.File("empty"))).Message, StringComparison.Ordinal);
    }
}

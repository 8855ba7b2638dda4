using Ddnn.Bench.Serving;
using Ddnn.Core.Deploy;
using Ddnn.Core.Serving;

namespace Ddnn.Bench.Tests.Serving;

public sealed class ServedLinksTests
{
    private static readonly TopicScheme Topics = new("dep");
    private static readonly PartitionId Local = new(PartitionKind.Local), Cloud = new(PartitionKind.Cloud);
    private static readonly PartitionId Device = new(PartitionKind.Device, 3), Edge = new(PartitionKind.Edge, 1);

    public static TheoryData<string, string> Links() => new()
    {
        { Topics.Status(Device), ServedLinks.Status },
        { Topics.Tick, ServedLinks.Tick },
        { Topics.EdgeRequest, ServedLinks.EdgeRequest },
        { Topics.CloudRequest, ServedLinks.CloudRequest },
        { Topics.To(Local, Device), ServedLinks.DeviceToLocal },
        { Topics.To(Edge, Device), ServedLinks.DeviceToEdge },
        { Topics.To(Cloud, Device), ServedLinks.DeviceToCloud },
        { Topics.To(Local, Edge), ServedLinks.EdgeToLocal },
        { Topics.To(Cloud, Edge), ServedLinks.EdgeToCloud },
        { Topics.To(Local, Cloud), ServedLinks.CloudToLocal },
        { Topics.To(Cloud, Local), ServedLinks.Other },
        { "ddnn/other/tick", ServedLinks.Other },
        { Topics.CloudJob, ServedLinks.CloudJob },
        { Topics.To(Local, new PartitionId(PartitionKind.Cloud, 1)), ServedLinks.CloudToLocal },
    };

    [Theory, MemberData(nameof(Links))]
    public void Each_topic_is_counted_under_its_link(string topic, string link) => Assert.Equal(link, ServedLinks.Of(Topics, topic));

    [Theory]
    [InlineData(false, 7, "dev->local")]
    [InlineData(true, 7, "dev->local (maps)")]
    [InlineData(true, 3, "dev->local (maps) warm-up")]
    public void A_map_on_the_aggregators_inbox_counts_apart_from_the_scores(bool map, uint sample, string link)
    {
        // With cloud workers a device's scores and map share to/local/dev<d>: the wire kind tells them apart.
        var payload = new byte[ServingEnvelope.Bytes + 40];
        payload[0] = ServingEnvelope.Version;
        var length = map
            ? WireMessage.WriteFeatures(3, sample, new ulong[4 * 4], 4, 4, 4, payload.AsSpan(ServingEnvelope.Bytes))
            : WireMessage.WriteScores(3, sample, new float[3], Ddnn.Core.Inference.ScoreEncoding.Float32, null, payload.AsSpan(ServingEnvelope.Bytes));
        var classify = ServedLinks.Classifier(new TopicScheme("dep", cloudWorkers: 2), measuredFrom: 5);
        Assert.Equal(link, classify(Topics.To(Local, Device), payload.AsSpan(0, ServingEnvelope.Bytes + length)));
    }
}

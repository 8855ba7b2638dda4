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
    };

    [Theory, MemberData(nameof(Links))]
    public void Each_topic_is_counted_under_its_link(string topic, string link) => Assert.Equal(link, ServedLinks.Of(Topics, topic));
}

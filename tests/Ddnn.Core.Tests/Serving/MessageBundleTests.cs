using Ddnn.Core.Deploy;
using Ddnn.Core.Inference;
using Ddnn.Core.Model;
using Ddnn.Core.Runtime;
using Ddnn.Core.Serving;
using Ddnn.Core.Tests.Deploy;
using Ddnn.Core.Tests.Model;

namespace Ddnn.Core.Tests.Serving;

/// <summary>Bundles: several messages for one topic in one payload, unpacked by the receiving tier.</summary>
public class MessageBundleTests
{
    private static readonly Lazy<(DeployedModel Model, float[] Views)> Fixture = new(() =>
    {
        var model = DeployTestModels.Create(DdnnBuilder.Devices(3).Input(1, 8, 8).Classes(4).DeviceBlocks(4)
            .LocalExit(Aggregation.MaxPool).Cloud(Aggregation.Concat, 6), 31);
        return (DdnnExporter.Export(model), ModelTestData.Views(model.Config, 8, 32).Data);
    });

    private static readonly PartitionId Local = new(PartitionKind.Local);

    private static ServingHarness Harness() =>
        new(Fixture.Value.Model, Fixture.Value.Views, new AggregatorSettings { LocalThreshold = 0, DeviceWaitMs = 1000, CloudWaitMs = 1000, MaxInFlight = 4 });

    private static List<byte[]> Unpack(byte[] bundle)
    {
        var messages = new List<byte[]>();
        ReadOnlySpan<byte> rest = bundle.AsSpan(MessageBundle.HeaderBytes);
        while (rest.Length > 0) messages.Add(MessageBundle.Next(ref rest).ToArray());
        return messages;
    }

    [Fact]
    public void PackThenUnpackGivesTheSameMessagesInOrder()
    {
        var rng = new Ddnn.Core.Randomness.SeededRandom(5);
        for (var trial = 0; trial < 50; trial++)
        {
            var messages = new List<byte[]>();
            for (var i = rng.NextInt(1, 20); i > 0; i--)
            {
                var m = new byte[rng.NextInt(MessageBundle.MinMessageBytes, 300)];
                for (var j = 0; j < m.Length; j++) m[j] = (byte)rng.NextInt(256);
                messages.Add(m);
            }
            var bundle = MessageBundle.Pack(messages);
            Assert.True(MessageBundle.IsBundle(bundle));
            Assert.Equal(MessageBundle.SizeOf(messages.Select(m => m.Length).ToArray()), bundle.Length);
            Assert.Equal(messages.Count, MessageBundle.Count(bundle));
            Assert.Equal(messages, Unpack(bundle));
        }
    }

    [Fact]
    public void PackRefusesWhatABundleCannotCarry()
    {
        Assert.Throws<ArgumentException>(() => MessageBundle.Pack([]));
        Assert.Throws<ArgumentException>(() => MessageBundle.Pack([new byte[MessageBundle.MinMessageBytes - 1]]));
        Assert.Throws<ArgumentException>(() => MessageBundle.Pack([new byte[MessageBundle.MaxMessageBytes + 1]]));
    }

    [Fact]
    public void BundlesWhoseLengthsDoNotAddUpAreMalformed()
    {
        var bundle = MessageBundle.Pack([new byte[20], new byte[11]]);
        Assert.Equal(2, MessageBundle.Count(bundle));
        Assert.Equal(0, MessageBundle.Count(bundle[..^1]));               // cut short
        Assert.Equal(0, MessageBundle.Count([.. bundle, 0]));            // a stray byte after the last message
        Assert.Equal(0, MessageBundle.Count([MessageBundle.Marker]));    // no message
        var tooShort = (byte[])bundle.Clone();
        tooShort[1] = MessageBundle.MinMessageBytes - 1;                 // a length below any message
        tooShort[2] = 0;
        Assert.Equal(0, MessageBundle.Count(tooShort));
        Assert.Equal(0, MessageBundle.Count([ServingEnvelope.Version, 1, 2]));
    }

    [Fact]
    public void ATierHandlesEachMessageOfABundleAsIfSentAlone()
    {
        var h = Harness();
        h.Network.RestartClock();
        Assert.True(h.Aggregator.Tick(0));
        Assert.True(h.Aggregator.Tick(1));
        // Device 1's scores for both samples in one bundle: both count, nothing is dropped.
        byte[] Scores(uint sample) => h.Message(b => WireMessage.WriteScores(1, sample, [1f, 2f, 3f, 4f], ScoreEncoding.Float32, null, b));
        var topic = h.Topics.To(Local, new PartitionId(PartitionKind.Device, 1));
        h.Aggregator.OnMessage(topic, MessageBundle.Pack([Scores(0), Scores(1)]));
        Assert.Equal(0, h.Aggregator.Counters.TotalDrops);
        // Sent again, bundled with garbage: each inner message is judged alone (two duplicates, one bad version).
        var junk = Scores(0);
        junk[0] = 9;
        h.Aggregator.OnMessage(topic, MessageBundle.Pack([Scores(0), junk, Scores(1)]));
        Assert.Equal(2, h.Aggregator.Counters[DropReason.Duplicate]);
        Assert.Equal(1, h.Aggregator.Counters[DropReason.BadVersion]);
        // A bundle in a bundle is not a served message; a malformed bundle is one drop and delivers nothing.
        h.Aggregator.OnMessage(topic, MessageBundle.Pack([MessageBundle.Pack([Scores(0), Scores(1)])]));
        Assert.Equal(2, h.Aggregator.Counters[DropReason.BadVersion]);
        var cut = MessageBundle.Pack([Scores(0), Scores(1)]);
        h.Aggregator.OnMessage(topic, cut[..^1]);
        Assert.Equal(1, h.Aggregator.Counters[DropReason.Malformed]);
        Assert.Equal(2, h.Aggregator.Counters[DropReason.Duplicate]);
        h.Network.RunUntilIdle();
        Assert.Equal([0L, 1L], h.Outcomes.Select(o => o.Sample).Order());
        Assert.All(h.Outcomes, o => Assert.Equal(ExitTier.Cloud, o.Tier));
    }
}

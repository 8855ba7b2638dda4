using Ddnn.Core.Serving;

namespace Ddnn.Core.Tests.Serving;

/// <summary>The bundle codec: several messages for one topic in one payload (a tier unpacking one: <see cref="TierProtocolTests"/>).</summary>
public class MessageBundleTests
{
    private static List<byte[]> Unpack(byte[] bundle)
    {
        var messages = new List<byte[]>();
        foreach (var message in MessageBundle.Messages(bundle)) messages.Add(message.ToArray());
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
}

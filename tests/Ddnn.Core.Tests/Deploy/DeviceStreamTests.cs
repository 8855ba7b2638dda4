using System.Buffers.Binary;
using Ddnn.Core.Deploy;
using Ddnn.Core.Inference;
using Ddnn.Core.Model;

namespace Ddnn.Core.Tests.Deploy;

/// <summary>A device partition over a stream of views: framed messages of the sizes the wire format gives, in sample order.</summary>
public class DeviceStreamTests
{
    private static DevicePartition Device(int index) =>
        DdnnExporter.Export(DeployTestModels.Create(
            DdnnBuilder.Devices(3).Input(1, 12, 12).Classes(5).DeviceBlocks(4).LocalExit(Aggregation.MaxPool).Cloud(Aggregation.Concat, 8, 8), 90)).Devices[index];

    [Theory]
    [InlineData(ScoreEncoding.Float32)]
    [InlineData(ScoreEncoding.UInt8)]
    public void Every_view_gives_its_scores_then_its_features_framed_and_numbered_from_the_first_sample(ScoreEncoding scores)
    {
        var device = Device(2);
        const int views = 5;
        var rng = new Random(91);
        var bytes = new byte[4 * views * device.InputLength];
        for (var i = 0; i < bytes.Length; i += 4) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i), (float)rng.NextDouble());
        using var output = new MemoryStream();
        Assert.Equal(views, DeviceStream.Run(device, new MemoryStream(bytes), output, scores, firstSample: uint.MaxValue - 1));
        var written = output.ToArray();
        Assert.Equal(views * DeviceStream.BytesPerView(device, 5, scores), written.Length);
        var at = 0;
        var logits = new float[5];
        for (var s = 0; s < views; s++)
        {
            var sample = unchecked(uint.MaxValue - 1 + (uint)s);
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(written.AsSpan(at));
            var header = WireMessage.ReadScores(written.AsSpan(at + 4, length), logits, device.ScoreQuantizer);
            Assert.Equal((2, sample), (header.Sender, header.Sample));
            at += 4 + length;
            length = (int)BinaryPrimitives.ReadUInt32LittleEndian(written.AsSpan(at));
            var (h, w) = device.FeatureSize;
            var map = new ulong[device.Features.Length];
            header = WireMessage.ReadFeatures(written.AsSpan(at + 4, length), device.FeatureChannels, h, w, map);
            Assert.Equal((WireMessageKind.Features, (byte)2, sample), (header.Kind, header.Sender, header.Sample));
            at += 4 + length;
        }
    }

    [Fact]
    public void An_empty_stream_runs_nothing_and_a_cut_view_is_named()
    {
        var device = Device(0);
        using var output = new MemoryStream();
        Assert.Equal(0, DeviceStream.Run(device, new MemoryStream(), output, ScoreEncoding.Float32));
        Assert.Equal(0, output.Length);
        var cut = new byte[4 * device.InputLength + 6];
        var e = Assert.Throws<InvalidDataException>(() => DeviceStream.Run(device, new MemoryStream(cut), output, ScoreEncoding.Float32));
        Assert.Contains($"ends 6 bytes into view 1; each view is {4 * device.InputLength} bytes", e.Message, StringComparison.Ordinal);
    }
}

using Ddnn.Core.Deploy;
using Ddnn.Core.Inference;
using Ddnn.Core.Model;
using Ddnn.Core.Randomness;
using Ddnn.Kernels.Binary;
using FsCheck.Xunit;

namespace Ddnn.Core.Tests.Deploy;

/// <summary>Wire messages: exact sizes, lossless round trips (uint8 scores within half a step), clean errors on bad input.</summary>
public class WireMessageTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(4, 8, 8)]
    [InlineData(3, 5, 7)]
    [InlineData(70, 3, 2)]
    [InlineData(128, 2, 2)]
    public void FeatureMapsRoundTripWithExactSize(int channels, int height, int width)
    {
        var rng = new SeededRandom((ulong)(channels * 100 + height));
        var values = new float[channels * height * width];
        for (var i = 0; i < values.Length; i++) values[i] = rng.NextDouble() < 0.5 ? -1f : 1f;
        var map = new ulong[height * width * BitPacking.WordsFor(channels)];
        BitPacking.PackNchw(values, 1, channels, height, width, map);
        var buffer = new byte[1000];
        var length = WireMessage.WriteFeatures(3, 77, map, channels, height, width, buffer);
        Assert.Equal(6 + (channels * height * width + 7) / 8, length);
        Assert.Equal(length, WireMessage.FeaturesBytes(channels, height, width));
        var back = new ulong[map.Length];
        var header = WireMessage.ReadFeatures(buffer.AsSpan(0, length), channels, height, width, back);
        Assert.Equal(new WireHeader(WireMessageKind.Features, 3, 77), header);
        Assert.Equal(map, back);
    }

    /// <summary>The body bit by bit, as the wire format defines it: bit p·C + c of the body is channel c of pixel p.</summary>
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(4, 8, 8)]
    [InlineData(3, 5, 7)]
    [InlineData(24, 8, 8)]
    [InlineData(70, 3, 2)]
    [InlineData(128, 2, 2)]
    [InlineData(128, 16, 20)] // 40,960 bits: past the stack scratch, so the rented one is used
    public void FeatureBodyBitIsChannelOfPixelBothWays(int channels, int height, int width)
    {
        var rng = new SeededRandom((ulong)(channels * 31 + height * 7 + width));
        var words = BitPacking.WordsFor(channels);
        var map = new ulong[height * width * words];
        for (var i = 0; i < map.Length; i++) map[i] = rng.NextUInt64(); // channel bits past C are set too: never sent
        var length = WireMessage.FeaturesBytes(channels, height, width);
        var expected = new byte[length - WireMessage.HeaderBytes];
        for (int p = 0, bit = 0; p < height * width; p++)
        for (var c = 0; c < channels; c++, bit++)
            if (((map[p * words + (c >> 6)] >> (c & 63)) & 1) != 0) expected[bit >> 3] |= (byte)(1 << (bit & 7));
        var buffer = new byte[length];
        WireMessage.WriteFeatures(1, 2, map, channels, height, width, buffer);
        Assert.Equal(expected, buffer[WireMessage.HeaderBytes..]);
        var back = new ulong[map.Length];
        Array.Fill(back, ulong.MaxValue);
        WireMessage.ReadFeatureBody(expected, channels, height, width, back);
        for (var p = 0; p < height * width; p++)
        for (var c = 0; c < words * 64; c++)
        {
            var want = c < channels && ((map[p * words + (c >> 6)] >> (c & 63)) & 1) != 0;
            Assert.Equal(want, ((back[p * words + (c >> 6)] >> (c & 63)) & 1) != 0);
        }
    }

    [Property(MaxTest = 50)]
    public void Float32ScoresRoundTripExactly(float[] logits, byte sender, uint sample)
    {
        if (logits.Length == 0) return;
        var buffer = new byte[WireMessage.ScoresBytes(logits.Length, ScoreEncoding.Float32)];
        Assert.Equal(6 + 4 * logits.Length, WireMessage.WriteScores(sender, sample, logits, ScoreEncoding.Float32, null, buffer));
        var back = new float[logits.Length];
        Assert.Equal(new WireHeader(WireMessageKind.ScoresFloat32, sender, sample), WireMessage.ReadScores(buffer, back, null));
        for (var j = 0; j < logits.Length; j++)
            Assert.Equal(BitConverter.SingleToInt32Bits(logits[j]), BitConverter.SingleToInt32Bits(back[j]));
    }

    [Fact]
    public void UInt8ScoresAreOneBytePerClassWithinHalfAStepOfTheirRange()
    {
        var rng = new SeededRandom(3);
        var lower = new float[10];
        var upper = new float[10];
        for (var j = 0; j < 10; j++)
        {
            lower[j] = (float)(rng.NextDouble() * -20);
            upper[j] = lower[j] + (float)(rng.NextDouble() * 30);
        }
        var quantizer = new ScoreQuantizer(lower, upper);
        for (var trial = 0; trial < 200; trial++)
        {
            var logits = new float[10];
            for (var j = 0; j < logits.Length; j++) logits[j] = lower[j] + (float)rng.NextDouble() * (upper[j] - lower[j]);
            var buffer = new byte[WireMessage.ScoresBytes(10, ScoreEncoding.UInt8)];
            Assert.Equal(6 + 10, WireMessage.WriteScores(4, 9, logits, ScoreEncoding.UInt8, quantizer, buffer));
            var back = new float[10];
            Assert.Equal(new WireHeader(WireMessageKind.ScoresUInt8, 4, 9), WireMessage.ReadScores(buffer, back, quantizer));
            for (var j = 0; j < 10; j++)
            {
                var half = (upper[j] - lower[j]) / 510f;
                Assert.InRange(back[j] - logits[j], -half * 1.001f - 1e-5f, half * 1.001f + 1e-5f);
            }
        }
        Assert.Equal((upper[0] - lower[0]) / 510f, new ScoreQuantizer([lower[0], 0], [upper[0], 0]).MaxError, 6);
    }

    [Fact]
    public void UInt8ScoresClampOutOfRangeValuesAndNeedTheQuantizer()
    {
        var quantizer = new ScoreQuantizer([0f, 1f, 2f], [10f, 1f, 4f]);
        var buffer = new byte[WireMessage.ScoresBytes(3, ScoreEncoding.UInt8)];
        WireMessage.WriteScores(0, 0, [-5f, 1f, 9f], ScoreEncoding.UInt8, quantizer, buffer);
        var back = new float[3];
        WireMessage.ReadScores(buffer, back, quantizer);
        Assert.Equal([0f, 1f, 4f], back);
        Assert.Contains("quantizer", Assert.Throws<ArgumentException>(() => WireMessage.WriteScores(0, 0, [1f, 1f, 1f], ScoreEncoding.UInt8, null, buffer)).Message);
        Assert.Contains("quantizer", Assert.Throws<ArgumentException>(() => WireMessage.ReadScores(buffer, back, null)).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => WireMessage.WriteScores(0, 0, [float.NaN, 1f, 1f], ScoreEncoding.UInt8, quantizer, buffer)).Message);
        Assert.Contains("class 1", Assert.Throws<ArgumentException>(() => new ScoreQuantizer([0f, 2f], [1f, 1f])).Message);
    }

    [Fact]
    public void RequestsRoundTrip()
    {
        bool[] present = [true, false, true, true, false, false, true, false, true];
        var buffer = new byte[WireMessage.RequestBytes(9)];
        Assert.Equal(6 + 2, WireMessage.WriteRequest(0, 5, present, buffer));
        var back = new bool[9];
        WireMessage.ReadRequest(buffer, back);
        Assert.Equal(present, back);
    }

    [Fact]
    public void MalformedMessagesGiveCleanErrors()
    {
        var buffer = new byte[WireMessage.ScoresBytes(3, ScoreEncoding.Float32)];
        WireMessage.WriteScores(0, 0, [1f, 2f, 3f], ScoreEncoding.Float32, null, buffer);
        Assert.Contains("expected exactly", Assert.Throws<InvalidDataException>(() => WireMessage.ReadScores(buffer.AsSpan(0, buffer.Length - 1), new float[3], null)).Message);
        Assert.Contains("expected a feature message", Assert.Throws<InvalidDataException>(() => WireMessage.ReadFeatures(buffer, 1, 1, 1, new ulong[1])).Message);
        Assert.Throws<InvalidDataException>(() => WireMessage.ReadHeader(buffer.AsSpan(0, 5)));
        buffer[0] = 99;
        Assert.Contains("unknown message kind", Assert.Throws<InvalidDataException>(() => WireMessage.ReadHeader(buffer)).Message);
        var features = new byte[WireMessage.FeaturesBytes(3, 1, 1)];
        WireMessage.WriteFeatures(0, 0, [0b101UL], 3, 1, 1, features);
        features[^1] |= 0x80;
        Assert.Contains("padding bits", Assert.Throws<InvalidDataException>(() => WireMessage.ReadFeatures(features, 3, 1, 1, new ulong[1])).Message);
    }

    [Fact]
    public void LedgerUsesRealSizesBesideThePaperFormula()
    {
        var config = DdnnBuilder.Devices(6).Input(1, 16, 16).Classes(10).DeviceBlocks(4).LocalExit(Aggregation.MaxPool).Cloud(Aggregation.Concat, 16).Build();
        var paper = new CommunicationLedger(config, ScoreEncoding.UInt8);
        var wire = new WireLedger(config, ScoreEncoding.UInt8);
        Assert.Equal(6 + 10, wire.ScoreMessageBytes);
        Assert.Equal(6 + 4 * 64 / 8, wire.FeatureMessageBytes);
        // Real = formula + one header per message.
        Assert.Equal(paper.BytesPerDevice(0.25) + 6 + 0.75 * 6, wire.BytesPerDevice(0.25), 9);
    }
}

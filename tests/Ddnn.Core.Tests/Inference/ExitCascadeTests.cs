using Ddnn.Core.Inference;
using Ddnn.Core.Model;

namespace Ddnn.Core.Tests.Inference;

public class ExitCascadeTests
{
    private static readonly ExitScores Local = new("local", [0, 1, 2, 1], [0.1f, 0.5f, 0.5f, 0.9f]);
    private static readonly ExitScores Cloud = new("cloud", [0, 2, 2, 2], [0.0f, 0.0f, 0.0f, 0.0f]);

    [Fact]
    public void ThresholdIsStrict()
    {
        var r = ExitCascade.Run([Local, Cloud], [0.5]);
        Assert.Equal(new[] { 0, 1, 1, 1 }, r.ExitLevel);
        Assert.Equal(new[] { 0, 2, 2, 2 }, r.Prediction);
        Assert.Equal(0.25, r.ExitFraction(0));
    }

    [Fact]
    public void ZeroSendsEverythingUpAndAboveOneExitsEverythingLocally()
    {
        Assert.All(ExitCascade.Run([Local, Cloud], [0.0]).ExitLevel, l => Assert.Equal(1, l));
        Assert.All(ExitCascade.Run([Local, Cloud], [1.01]).ExitLevel, l => Assert.Equal(0, l));
    }

    [Fact]
    public void AccuracyCountsTheCascadeAnswers()
    {
        int[] labels = [0, 1, 2, 2];
        Assert.Equal(0.75, Local.Accuracy(labels));
        Assert.Equal(0.75, Cloud.Accuracy(labels));
        Assert.Equal(1.0, ExitCascade.Run([Local, Cloud], [0.6]).Accuracy(labels));
    }

    [Fact]
    public void MismatchedInputsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => ExitCascade.Run([Local, Cloud], [0.5, 0.5]));
        Assert.Throws<ArgumentException>(() => ExitCascade.Run([Local, new ExitScores("cloud", [1], [0f])], [0.5]));
        Assert.Throws<ArgumentException>(() => ExitCascade.Run([Local, Cloud], [double.NaN]));
        Assert.Throws<ArgumentException>(() => new ExitScores("x", [1, 2], [0f]));
        var e = Assert.Throws<ArgumentException>(() => new ExitScores("x", [1], [float.NaN]));
        Assert.Contains("NaN", e.Message);
    }

    [Fact]
    public void LedgerFollowsThePaperFormula()
    {
        var config = DdnnBuilder.Devices(6).Build();
        var ledger = new CommunicationLedger(config);
        Assert.Equal(40, ledger.ScoreBytesPerDevice);
        Assert.Equal(32, ledger.FeatureBytesPerDevice);
        Assert.Equal(40 + 0.4 * 32, ledger.BytesPerDevice(0.6), 12);
        Assert.Equal(256, ledger.RawOffloadBytesPerDevice);
        Assert.Equal(10 + 0.4 * 32, new CommunicationLedger(config, ScoreEncoding.UInt8).BytesPerDevice(0.6), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => ledger.BytesPerDevice(1.5));
    }

    [Fact]
    public void WithoutALocalExitEverySampleSendsItsFeatures()
    {
        var ledger = new CommunicationLedger(DdnnBuilder.Devices(6).NoLocalExit().Build());
        Assert.Equal(32, ledger.BytesPerDevice(0.0));
        Assert.Equal(32, ledger.BytesPerDevice(1.0));
    }

    [Fact]
    public void TrafficUsesTheCascadeLocalExitFraction()
    {
        var ledger = new CommunicationLedger(DdnnBuilder.Devices(6).Build());
        var t = ledger.Traffic(ExitCascade.Run([Local, Cloud], [0.5]));
        Assert.Equal(40 + 0.75 * 32, t.PerDevice, 12);
        Assert.Equal(6 * t.PerDevice, t.AllDevices, 12);
        Assert.Equal(256 / t.PerDevice, t.ReductionVersusRaw, 12);
    }

    [Fact]
    public void EdgeTrafficCountsSamplesPassingTheEdge()
    {
        var config = DdnnBuilder.Devices(2).LocalExit(Aggregation.MaxPool).Edge([0, 1], Aggregation.Concat, 8).Cloud(Aggregation.Concat, 8).Build();
        var ledger = new CommunicationLedger(config);
        var edge = new ExitScores("edge", [0, 0, 0, 0], [0.1f, 0.9f, 0.9f, 0.9f]);
        var run = ExitCascade.Run([Local, edge, Cloud], [0.2, 0.5]);
        Assert.Equal(new[] { 0, 2, 2, 2 }, run.ExitLevel);
        Assert.Equal(8 * 64 / 8.0, ledger.EdgeFeatureBytes(0));
        Assert.Equal(0.75 * 64, ledger.Traffic(run).EdgesToCloud, 12);
    }

    [Fact]
    public void DeviceMemoryCountsBinaryWeightsAtOneBit()
    {
        var binary = new CommunicationLedger(DdnnBuilder.Devices(6).Build()).DeviceMemoryBits;
        // conv 4x1x3x3 at 1 bit + bias and BN (5 x 4 x 32) + exit 10x256 at 1 bit + bias and BN (5 x 10 x 32)
        Assert.Equal(36 + 5 * 4 * 32 + 2560 + 5 * 10 * 32, binary);
        var real = new CommunicationLedger(DdnnBuilder.Devices(6).Binary(false).Build()).DeviceMemoryBits;
        Assert.Equal(32 * (36 + 2560) + 5 * 4 * 32 + 5 * 10 * 32, real);
    }
}

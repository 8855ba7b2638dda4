using Ddnn.Core.Deploy;
using Ddnn.Core.Inference;
using Ddnn.Core.Model;
using Ddnn.Core.Runtime;
using Ddnn.Core.Tests.Deploy;
using Ddnn.Core.Tests.Model;

namespace Ddnn.Core.Tests.Runtime;

/// <summary>The cascade runtime against the all-tier reference (<see cref="DeployedModel.Infer"/>), under scripted failures.</summary>
public class CascadeRuntimeTests
{
    private const int Samples = 12;

    private static readonly Lazy<(DeployedModel Model, Tensor Views)> Fixture = new(() =>
    {
        var model = DeployTestModels.Create(DdnnBuilder.Devices(3).Input(1, 8, 8).Classes(4).DeviceBlocks(4)
            .LocalExit(Aggregation.MaxPool).Cloud(Aggregation.Concat, 6), 31);
        return (DdnnExporter.Export(model), ModelTestData.Views(model.Config, Samples, 32));
    });

    private static ReadOnlySpan<float> Sample(int s)
    {
        var (model, views) = Fixture.Value;
        var length = model.Config.Devices * model.ViewLength;
        return views.Data.AsSpan(s * length, length);
    }

    private static (int Local, float LocalEntropy, int Cloud) Reference(int s, bool[]? present = null)
    {
        var model = Fixture.Value.Model;
        var outputs = model.Infer(Sample(s), present);
        var local = DdnnScoring.Score(Tensor.FromValues(outputs.Exits[model.Config.Devices], 1, model.Config.Classes), "local");
        var cloud = DdnnScoring.Score(Tensor.FromValues(outputs.Exits[^1], 1, model.Config.Classes), "cloud");
        return (local.Predictions[0], local.Entropies[0], cloud.Predictions[0]);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(1.01)]
    public void HealthyCascadeMatchesTheReference(double threshold)
    {
        var runtime = new CascadeRuntime(Fixture.Value.Model, new CascadeOptions { LocalThreshold = threshold });
        var scoreBytes = WireMessage.ScoresBytes(4, ScoreEncoding.Float32);
        int local = 0, cloud = 0;
        for (var s = 0; s < Samples; s++)
        {
            var outcome = runtime.Run(s, Sample(s));
            var (localPrediction, entropy, cloudPrediction) = Reference(s);
            Assert.Equal(localPrediction, outcome.LocalPrediction);
            Assert.Equal(entropy, outcome.LocalEntropy);
            Assert.All(outcome.PresentAtLocal, Assert.True);
            Assert.Equal(3L * scoreBytes, outcome.DeviceToLocalBytes);
            Assert.False(outcome.Degraded);
            var transfer = LinkSpec.DefaultDeviceToLocal.TransferMs(scoreBytes);
            if (entropy < threshold)
            {
                local++;
                Assert.Equal(ExitTier.Local, outcome.Tier);
                Assert.Equal(localPrediction, outcome.Prediction);
                Assert.Equal(transfer, outcome.LatencyMs, 9);
                Assert.Equal(0, outcome.DeviceToCloudBytes);
            }
            else
            {
                cloud++;
                Assert.Equal(ExitTier.Cloud, outcome.Tier);
                Assert.Equal(cloudPrediction, outcome.Prediction);
                Assert.All(outcome.PresentAtCloud, Assert.True);
                Assert.Equal(3L * WireMessage.FeaturesBytes(4, 4, 4), outcome.DeviceToCloudBytes);
                Assert.Equal(WireMessage.RequestBytes(3) + WireMessage.AnswerBytes, outcome.LocalToCloudBytes);
                var features = LinkSpec.DefaultDeviceToCloud.TransferMs(WireMessage.FeaturesBytes(4, 4, 4));
                Assert.Equal(transfer + features + LinkSpec.DefaultLocalToCloud.TransferMs(WireMessage.AnswerBytes), outcome.LatencyMs, 9);
            }
        }
        if (threshold == 0) Assert.Equal(Samples, cloud);
        if (threshold > 1) Assert.Equal(Samples, local);
    }

    [Fact]
    public void SilentDeviceIsTreatedAsMissing()
    {
        var runtime = new CascadeRuntime(Fixture.Value.Model, new CascadeOptions { LocalThreshold = 0, Faults = new FaultScript().DeviceDown(1, 2, 5) });
        for (var s = 0; s < Samples; s++)
        {
            var outcome = runtime.Run(s, Sample(s));
            var down = s is >= 2 and <= 5;
            bool[] present = [true, !down, true];
            var (localPrediction, _, cloudPrediction) = Reference(s, present);
            Assert.Equal(present, outcome.PresentAtLocal);
            Assert.Equal(present, outcome.PresentAtCloud);
            Assert.Equal(localPrediction, outcome.LocalPrediction);
            Assert.Equal(ExitTier.Cloud, outcome.Tier);
            Assert.Equal(cloudPrediction, outcome.Prediction);
            if (down) Assert.True(outcome.LatencyMs >= LinkSpec.DefaultDeviceToLocal.TimeoutMs, "the aggregator waited for the silent device until its timeout");
        }
    }

    [Fact]
    public void DeviceLaterThanTheTimeoutIsMissing()
    {
        var runtime = new CascadeRuntime(Fixture.Value.Model, new CascadeOptions { LocalThreshold = 2, Faults = new FaultScript().DeviceDelay(0, 500) });
        var outcome = runtime.Run(0, Sample(0));
        Assert.Equal([false, true, true], outcome.PresentAtLocal);
        Assert.Equal(Reference(0, [false, true, true]).Local, outcome.Prediction);
        Assert.Equal(LinkSpec.DefaultDeviceToLocal.TimeoutMs, outcome.LatencyMs);
    }

    [Fact]
    public void UnreachableCloudFallsBackToTheLocalExitFlaggedDegraded()
    {
        var runtime = new CascadeRuntime(Fixture.Value.Model, new CascadeOptions { LocalThreshold = 0, Faults = new FaultScript().CloudDown(3, 3) });
        var outcome = runtime.Run(3, Sample(3));
        Assert.Equal(ExitTier.LocalFallback, outcome.Tier);
        Assert.True(outcome.Degraded);
        Assert.Equal(Reference(3).Local, outcome.Prediction);
        Assert.Equal(-1, outcome.CloudPrediction);
        var decision = LinkSpec.DefaultDeviceToLocal.TransferMs(WireMessage.ScoresBytes(4, ScoreEncoding.Float32));
        Assert.Equal(decision + LinkSpec.DefaultLocalToCloud.TimeoutMs, outcome.LatencyMs, 9);
        Assert.Equal(ExitTier.Cloud, runtime.Run(4, Sample(4)).Tier);
    }

    [Fact]
    public void NoDeviceAndNoCloudGivesNoAnswerWithoutHanging()
    {
        var faults = new FaultScript().DeviceDown(0).DeviceDown(1).DeviceDown(2);
        var outcome = new CascadeRuntime(Fixture.Value.Model, new CascadeOptions { Faults = faults }).Run(0, Sample(0));
        Assert.Equal(ExitTier.None, outcome.Tier);
        Assert.Equal(-1, outcome.Prediction);
        Assert.True(outcome.Degraded);
    }

    [Fact]
    public void LossyLinksAreDeterministicUnderASeed()
    {
        CascadeOutcome[] RunAll(ulong seed)
        {
            var lossy = new LinkSpec(2, 250_000, 0.3, 20);
            var runtime = new CascadeRuntime(Fixture.Value.Model, new CascadeOptions { LocalThreshold = 0.5, Seed = seed, DeviceToLocal = lossy,
                DeviceToCloud = new LinkSpec(20, 1_000_000, 0.3, 100), LocalToCloud = new LinkSpec(20, 1e7, 0.3, 250) });
            return Enumerable.Range(0, Samples).Select(s => runtime.Run(s, Sample(s))).ToArray();
        }
        string Key(CascadeOutcome o) => $"{o.Tier} {o.Prediction} {o.LatencyMs} {string.Join("", o.PresentAtLocal)} {string.Join("", o.PresentAtCloud)} {o.LocalToCloudBytes}";
        var a = RunAll(5).Select(Key).ToArray();
        Assert.Equal(a, RunAll(5).Select(Key).ToArray());
        Assert.NotEqual(a, RunAll(6).Select(Key).ToArray());
        Assert.Contains(RunAll(5), o => o.PresentAtLocal.Contains(false));
    }

    [Fact]
    public void UInt8ScoresAreSmallerAndStillDecide()
    {
        var runtime = new CascadeRuntime(Fixture.Value.Model, new CascadeOptions { LocalThreshold = 2, Scores = ScoreEncoding.UInt8 });
        var outcome = runtime.Run(0, Sample(0));
        Assert.Equal(3L * WireMessage.ScoresBytes(4, ScoreEncoding.UInt8), outcome.DeviceToLocalBytes);
        Assert.Equal(ExitTier.Local, outcome.Tier);
    }

}

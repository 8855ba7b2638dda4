using Ddnn.Bench.Cli.Verbs;
using Ddnn.Core.Serving;

namespace Ddnn.Bench.Tests.Serving;

/// <summary>What the served tiers keep for the samples in flight (<c>--in-flight</c>).</summary>
public sealed class ServeCapsTests
{
    [Fact]
    public void The_defaults_hold_for_few_samples_in_flight()
    {
        Assert.Equal((new DeviceSettings().KeptSamples, new FusionSettings().BehindWindow), ServeVerb.CapsFor(1));
        Assert.Equal(new FusionSettings().MaxSamples, ServeVerb.CapsFor(64).Samples);
    }

    [Fact]
    public void Every_sample_in_flight_fits_what_the_devices_keep_and_the_fusion_tiers_hold()
    {
        foreach (var inFlight in new[] { 65, 1000, 4096 })
        {
            var (samples, behind) = ServeVerb.CapsFor(inFlight);
            Assert.True(samples >= inFlight, $"{inFlight} in flight: {samples} kept");
            Assert.True(behind >= (uint)inFlight, $"{inFlight} in flight: behind window {behind}");
        }
    }
}

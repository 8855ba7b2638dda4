using Ddnn.Bench.Serving;
using Ddnn.Core.Deploy;

namespace Ddnn.Bench.Tests.Serving;

/// <summary>A tier's code warm-up: rounds of placeholder runs within a budget, leaving the partitions' answers as they were.</summary>
[Collection(ServingProcessCollection.Name)]
public sealed class CodeWarmUpTests(ServedModels models) : IClassFixture<ServedModels>
{
    [Fact]
    public void A_zero_budget_runs_nothing()
    {
        var runs = 0;
        var outcome = CodeWarmUp.Run(() => runs++, TimeSpan.Zero);
        Assert.Equal(0, runs);
        Assert.Equal(new CodeWarmUp.Outcome(0, TimeSpan.Zero, false), outcome);
    }

    [Fact]
    public void It_runs_whole_rounds_and_stops_at_its_budget()
    {
        var runs = 0;
        var budget = TimeSpan.FromSeconds(0.5);
        var outcome = CodeWarmUp.Run(() => runs++, budget);
        Assert.Equal(runs, outcome.Runs);
        Assert.True(runs >= 32 && runs % 32 == 0, $"{runs} runs: expected whole rounds of 32");
        // Either the JIT went quiet (two rounds with no new method) or the budget ran out; one round (and its pause) at most past it.
        Assert.True(outcome.Settled ? runs >= 64 : outcome.Elapsed >= budget, outcome.ToString());
        Assert.True(outcome.Elapsed < budget + TimeSpan.FromSeconds(2), outcome.ToString());
    }

    [Fact]
    public void Placeholder_runs_of_every_partition_leave_the_answers_as_they_were()
    {
        var model = DeployedModelLoader.Load(models.Edges);
        var view = new float[model.Devices[0].InputLength];
        var random = new Random(11);
        for (var i = 0; i < view.Length; i++) view[i] = (float)random.NextDouble() - 0.5f;
        float[] DeviceLogits()
        {
            var logits = new float[model.Config.Classes];
            model.Devices[0].Run(view, logits);
            return logits;
        }
        float[] CloudLogits()
        {
            var logits = new float[model.Config.Classes];
            var maps = Enumerable.Range(0, model.Cloud.InputChannels.Length)
                .Select(i => Enumerable.Range(0, model.Cloud.InputWords(i)).Select(w => (ulong)w * 0x9E3779B97F4A7C15UL).ToArray()).ToArray();
            model.Cloud.Run(maps, logits);
            return logits;
        }
        var before = (Device: DeviceLogits(), Cloud: CloudLogits());
        PartitionId[] every =
        [
            .. Enumerable.Range(0, model.Devices.Length).Select(d => new PartitionId(PartitionKind.Device, d)),
            .. Enumerable.Range(0, model.Edges.Length).Select(e => new PartitionId(PartitionKind.Edge, e)),
            new PartitionId(PartitionKind.Local), new PartitionId(PartitionKind.Cloud),
        ];
        foreach (var id in every) CodeWarmUp.PlaceholderRun(model, id)();
        Assert.Equal(before.Device, DeviceLogits());
        Assert.Equal(before.Cloud, CloudLogits());
    }
}

using Ddnn.Core;
using Ddnn.Core.Model;
using Ddnn.Kernels;
using Ddnn.TestSupport;
using Ddnn.Training.Data;
using Ddnn.Training.Optim;
using Ddnn.Training.Trainer;

namespace Ddnn.Training.Tests.Trainer;

[CollectionDefinition(nameof(StepAllocationTests), DisableParallelization = true)]
public sealed class StepAllocationCollection;

/// <summary>
/// A warm training step of the MV-FMNIST binary f = 4 model allocates at most 1 KB: ops, nodes, tensors and buffers
/// come back from the reused graph. Allocation is a count, not a timing. Runs alone, because the two-lane step is
/// measured over the whole process.
/// </summary>
[Collection(nameof(StepAllocationTests))]
public class StepAllocationTests
{
    private const int Batch = 32;
    private const int MeasuredSteps = 6;
    private const long Budget = 1024;

    private static readonly DdnnConfig Config = DdnnBuilder.Devices(6).Input(1, 16, 16).Classes(10).DeviceBlocks(4)
        .LocalExit(Aggregation.MaxPool).Cloud(Aggregation.Concat, 16, 16).Binary().Build();

    private static MultiViewDataset Data()
    {
        const int count = 96;
        var random = new Random(3);
        var views = new float[count * 6 * 256];
        for (var i = 0; i < views.Length; i++) views[i] = (float)random.NextDouble();
        var labels = new int[count];
        for (var i = 0; i < count; i++) labels[i] = random.Next(10);
        var viewLabels = new int[count * 6];
        for (var i = 0; i < viewLabels.Length; i++) viewLabels[i] = i % 5 == 0 ? MultiViewDataset.NotVisible : labels[i / 6];
        return new MultiViewDataset("random", 6, 1, 16, 16, views, labels, viewLabels, Enumerable.Range(0, 10).Select(c => $"c{c}").ToArray());
    }

    private static DdnnModel Model()
    {
        var model = new DdnnModel(Config);
        new Initializer(1).Initialize(model);
        return model;
    }

    private static int[] Indices(int step)
    {
        var indices = new int[Batch];
        for (var i = 0; i < Batch; i++) indices[i] = (step * Batch + 7 * i) % 96;
        return indices;
    }

    [Fact]
    public void A_warm_single_thread_step_allocates_at_most_1_KB()
    {
        using var oneThread = KernelParallelism.Use(1);
        var data = Data();
        var model = Model();
        var loss = new JointLoss(Config);
        var step = new TrainingStep(new Adam(model.Parameters()));
        var views = Tensor.Zeros(Batch, 6, 1, 16, 16);
        var labels = new int[Batch];
        var viewLabels = new int[Batch * 6];
        var exitLosses = new float[loss.Layout.Count];
        var mask = new DeviceMask(Batch, 6);
        mask.Set(3, 2, false);
        Func<Tensor> forward = () => loss.Compute(model.Forward(views, mask), labels, viewLabels, mask, exitLosses);
        var batches = Enumerable.Range(0, 3).Select(Indices).ToArray();
        void Run(int s)
        {
            data.CopyBatch(batches[s % 3], views.Data, labels);
            data.CopyViewLabels(batches[s % 3], viewLabels);
            step.Run(forward);
        }
        for (var s = 0; s < 4; s++) Run(s);
        var perStep = WarmAllocation.Fewest(() =>
        {
            for (var s = 0; s < MeasuredSteps; s++) Run(s);
        }) / MeasuredSteps;
        Assert.True(perStep <= Budget, $"a warm step allocated {perStep} bytes");
    }

    [Fact]
    public void A_warm_two_lane_step_allocates_at_most_1_KB_over_both_threads()
    {
        var data = Data();
        var model = Model();
        using var step = new SplitTrainingStep(model, new Adam(model.Parameters()), 2);
        var exitLosses = new float[new ExitLayout(Config).Count];
        var batches = Enumerable.Range(0, 3).Select(Indices).ToArray();
        for (var s = 0; s < 4; s++) step.Run(data, batches[s % 3], null, exitLosses);
        var perStep = WarmAllocation.Fewest(() =>
        {
            for (var s = 0; s < MeasuredSteps; s++) step.Run(data, batches[s % 3], null, exitLosses);
        }, wholeProcess: true) / MeasuredSteps;
        Assert.True(perStep <= Budget, $"a warm two-lane step allocated {perStep} bytes in the process");
    }
}

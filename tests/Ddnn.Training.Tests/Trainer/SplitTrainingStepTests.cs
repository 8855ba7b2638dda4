using Ddnn.Core;
using Ddnn.Core.Model;
using Ddnn.Kernels;
using Ddnn.Training.Optim;
using Ddnn.Training.Trainer;

namespace Ddnn.Training.Tests.Trainer;

public class SplitTrainingStepTests
{
    private static readonly string[] Names =
        new DdnnModel(TinyRuns.Config(TinyRuns.Small.Train)).NamedParameters().Select(p => p.Name).ToArray();

    private static readonly int[] Batch = [3, 17, 0, 25, 8, 39, 11, 30, 5, 21, 14, 2, 33, 27, 9];

    private static DeviceMask Mask(int batch, int devices)
    {
        var mask = new DeviceMask(batch, devices);
        for (var b = 0; b < batch; b++)
            if (b % 3 != 0) mask.Set(b, b % devices, false);
        return mask;
    }

    /// <summary>One step with a zero learning rate: the gradients, running statistics and losses it leaves.</summary>
    private static (float[][] Grads, byte[] State, float Loss, float[] ExitLosses) OneStep(bool binary, int lanes, bool masked)
    {
        var data = TinyRuns.Small.Train;
        var model = TinyRuns.Model(TinyRuns.Config(data) with { Binary = binary });
        var optimizer = new Sgd(model.Parameters(), learningRate: 0f);
        var mask = masked ? Mask(Batch.Length, data.ViewCount) : null;
        var loss = new JointLoss(model.Config);
        var exitLosses = new float[loss.Layout.Count];
        float value;
        if (lanes == 1)
        {
            var views = Tensor.Zeros(Batch.Length, data.ViewCount, data.Channels, data.Height, data.Width);
            var labels = new int[Batch.Length];
            var viewLabels = new int[Batch.Length * data.ViewCount];
            data.CopyBatch(Batch, views.Data, labels);
            data.CopyViewLabels(Batch, viewLabels);
            value = new TrainingStep(optimizer).Run(() => loss.Compute(model.Forward(views, mask), labels, viewLabels, mask, exitLosses));
        }
        else
        {
            using var step = new SplitTrainingStep(model, optimizer, lanes);
            value = step.Run(data, Batch, mask, exitLosses);
        }
        var grads = model.Parameters().Select(p => p.Grad.ToArray()).ToArray();
        return (grads, TinyRuns.State(model), value, exitLosses);
    }

    [Theory]
    [InlineData(false, 2, false)]
    [InlineData(true, 2, false)]
    [InlineData(true, 2, true)]
    [InlineData(false, 3, true)]
    public void Lanes_compute_the_whole_batch_gradient_up_to_rounding(bool binary, int lanes, bool masked)
    {
        var whole = OneStep(binary, 1, masked);
        var split = OneStep(binary, lanes, masked);
        Assert.Equal(whole.Loss, split.Loss, 4);
        for (var e = 0; e < whole.ExitLosses.Length; e++) Assert.Equal(whole.ExitLosses[e], split.ExitLosses[e], 4);
        for (var p = 0; p < whole.Grads.Length; p++)
        {
            Assert.Equal(whole.Grads[p].Length, split.Grads[p].Length);
            // A conv or linear bias feeds a batch norm, which cancels any constant: its gradient is zero in exact
            // arithmetic, and what both sides compute is rounding noise (amplified by 1/std of nearly constant channels).
            if (Names[p].EndsWith(".conv.bias", StringComparison.Ordinal) || Names[p].EndsWith(".fc.bias", StringComparison.Ordinal)) continue;
            var scale = Math.Max(1e-2f, whole.Grads[p].Max(Math.Abs));
            for (var i = 0; i < whole.Grads[p].Length; i++)
                Assert.True(Math.Abs(whole.Grads[p][i] - split.Grads[p][i]) <= 1e-3f * scale,
                    $"{Names[p]}[{i}]: whole batch {whole.Grads[p][i]}, {lanes} lanes {split.Grads[p][i]}");
        }
        // The running statistics (buffers) come out the same up to rounding: compare the state sizes, then the models' buffers.
        Assert.Equal(whole.State.Length, split.State.Length);
    }

    [Fact]
    public void The_same_lane_count_gives_the_same_bits()
    {
        var a = OneStep(binary: true, lanes: 2, masked: true);
        var b = OneStep(binary: true, lanes: 2, masked: true);
        Assert.Equal(a.State, b.State);
        Assert.Equal(a.Grads, b.Grads);
        Assert.Equal(a.Loss, b.Loss);
    }

    [Fact]
    public void Batch_norm_running_statistics_follow_the_whole_batch()
    {
        var data = TinyRuns.Small.Train;
        DdnnModel Stepped(int lanes)
        {
            var model = TinyRuns.Model(TinyRuns.Config(data) with { Binary = true });
            var optimizer = new Sgd(model.Parameters(), learningRate: 0f);
            if (lanes == 1)
            {
                var views = Tensor.Zeros(Batch.Length, data.ViewCount, data.Channels, data.Height, data.Width);
                var labels = new int[Batch.Length];
                var viewLabels = new int[Batch.Length * data.ViewCount];
                data.CopyBatch(Batch, views.Data, labels);
                data.CopyViewLabels(Batch, viewLabels);
                var loss = new JointLoss(model.Config);
                new TrainingStep(optimizer).Run(() => loss.Compute(model.Forward(views), labels, viewLabels, null, default));
            }
            else
            {
                using var step = new SplitTrainingStep(model, optimizer, lanes);
                step.Run(data, Batch, null, default);
            }
            return model;
        }
        var whole = Stepped(1).NamedBuffers();
        var split = Stepped(2).NamedBuffers();
        for (var i = 0; i < whole.Count; i++)
        {
            Assert.Equal(whole[i].Name, split[i].Name);
            for (var j = 0; j < whole[i].Tensor.Length; j++)
                Assert.Equal(whole[i].Tensor.Data[j], split[i].Tensor.Data[j], 5);
        }
    }

    [Fact]
    public void A_batch_smaller_than_the_lane_count_runs_whole()
    {
        var data = TinyRuns.Small.Train;
        var model = TinyRuns.Model(TinyRuns.Config(data));
        using var step = new SplitTrainingStep(model, new Adam(model.Parameters()), 4);
        Assert.True(float.IsFinite(step.Run(data, [1, 2, 3], null, default)));
    }

    [Fact]
    public void A_failing_lane_surfaces_its_error_and_the_step_stays_usable()
    {
        var data = TinyRuns.Small.Train;
        var model = TinyRuns.Model(TinyRuns.Config(data));
        using var step = new SplitTrainingStep(model, new Adam(model.Parameters()), 2);
        var e = Assert.ThrowsAny<ArgumentException>(() => step.Run(data, [1, 2, 3, 4, 5, data.Count + 3], null, default));
        Assert.Contains($"{data.Count + 3}", e.Message);
        Assert.True(float.IsFinite(step.Run(data, Batch, null, default)));
    }

    [Fact]
    public void Two_kernel_threads_train_through_lanes_and_repeat_bit_for_bit()
    {
        using var twoThreads = KernelParallelism.Use(2);
        var options = new TrainingOptions { Epochs = 2, BatchSize = 16, Seed = 3, DeviceDropout = 0.2 };
        DdnnTrainer Run()
        {
            var data = TinyRuns.Small;
            var trainer = new DdnnTrainer(TinyRuns.Model(TinyRuns.Config(data.Train) with { Binary = true }), data.Train, data.Validation, options);
            trainer.Run();
            return trainer;
        }
        var a = Run();
        var b = Run();
        Assert.Equal(TinyRuns.State(a.Model), TinyRuns.State(b.Model));
        Assert.Equal(a.History.Select(h => h.Loss), b.History.Select(h => h.Loss));
    }
}

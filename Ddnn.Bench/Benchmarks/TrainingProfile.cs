using System.Diagnostics;
using Ddnn.Core;
using Ddnn.Core.Model;
using Ddnn.Kernels;
using Ddnn.Training.Optim;
using Ddnn.Training.Reporting;
using Ddnn.Training.Trainer;

namespace Ddnn.Bench.Benchmarks;

/// <summary>
/// A quick Stopwatch breakdown of the training step that <see cref="TrainingBenchmarks"/> measures, to say where its
/// time goes: the step's phases (forward, joint loss, backward, optimizer, graph release) and, separately, the float
/// conv kernels at the model's own conv shapes with batch 128 (each multiplied by how often the step runs it).
/// Medians over the timed steps; a diagnosis aid, not a BenchmarkDotNet measurement.
/// </summary>
public static class TrainingProfile
{
    private const int WarmupSteps = 5;

    /// <summary>Profiles <paramref name="steps"/> steps at <paramref name="threads"/> kernel threads.</summary>
    public static IReadOnlyList<ResultTable> Run(int threads, int steps, string footnote)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        using (KernelParallelism.Use(threads))
            return [Phases(threads, steps, footnote), ConvKernels(threads, steps, footnote)];
    }

    private static ResultTable Phases(int threads, int steps, string footnote)
    {
        var config = TrainingBenchmarks.Config();
        var model = new DdnnModel(config);
        new Initializer(BenchmarkData.Seed).Initialize(model);
        model.Train();
        var loss = new JointLoss(config);
        var optimizer = new Adam(model.Parameters(), learningRate: 1e-3f, clipLatentWeights: true);
        var graph = new Graph();
        const int batch = TrainingBenchmarks.BatchSize;
        var views = new Tensor(BenchmarkData.Uniform(batch * config.Devices * config.InputChannels * config.InputHeight * config.InputWidth, 50, 0f, 1f),
            batch, config.Devices, config.InputChannels, config.InputHeight, config.InputWidth);
        var labels = BenchmarkData.Labels(batch, config.Classes, 51);
        var viewLabels = new int[batch * config.Devices];
        for (var i = 0; i < viewLabels.Length; i++) viewLabels[i] = labels[i / config.Devices];

        string[] names = ["zero grad", "forward (model)", "joint loss (8 exits)", "backward", "Adam + latent clip", "graph release", "whole step"];
        var times = new double[names.Length][];
        for (var p = 0; p < names.Length; p++) times[p] = new double[steps];
        var allocated = new double[names.Length][];
        for (var p = 0; p < names.Length; p++) allocated[p] = new double[steps];
        var marks = new long[names.Length];
        var bytes = new long[names.Length];
        for (var s = -WarmupSteps; s < steps; s++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var start = Stopwatch.GetTimestamp();
            optimizer.ZeroGrad();
            marks[0] = Stopwatch.GetTimestamp();
            bytes[0] = GC.GetAllocatedBytesForCurrentThread();
            using (graph.Activate())
            {
                var outputs = model.Forward(views);
                marks[1] = Stopwatch.GetTimestamp();
            bytes[1] = GC.GetAllocatedBytesForCurrentThread();
                var total = loss.Compute(outputs, labels, viewLabels, null, default);
                marks[2] = Stopwatch.GetTimestamp();
            bytes[2] = GC.GetAllocatedBytesForCurrentThread();
                Autograd.Backward(total);
                marks[3] = Stopwatch.GetTimestamp();
            bytes[3] = GC.GetAllocatedBytesForCurrentThread();
            }
            optimizer.Step();
            marks[4] = Stopwatch.GetTimestamp();
            bytes[4] = GC.GetAllocatedBytesForCurrentThread();
            graph.Release();
            marks[5] = Stopwatch.GetTimestamp();
            bytes[5] = GC.GetAllocatedBytesForCurrentThread();
            marks[6] = marks[5];
            bytes[6] = bytes[5];
            if (s < 0) continue;
            var previous = start;
            var previousBytes = before;
            for (var p = 0; p < names.Length - 1; p++)
            {
                times[p][s] = Stopwatch.GetElapsedTime(previous, marks[p]).TotalMicroseconds;
                allocated[p][s] = bytes[p] - previousBytes;
                previous = marks[p];
                previousBytes = bytes[p];
            }
            times[^1][s] = Stopwatch.GetElapsedTime(start, marks[^1]).TotalMicroseconds;
            allocated[^1][s] = bytes[^1] - before;
        }

        var whole = Median(times[^1]);
        var (trainerStep, trainerBytes) = TrainerStep(config, threads, steps);
        var table = new ResultTable($"training step phases, batch {batch}, {threads} thread(s), median of {steps} steps",
        [
            ResultColumn.Text("phase"), ResultColumn.Number("median", "F0", "µs"), ResultColumn.Number("share", "F2"),
            ResultColumn.Number("allocated", "F0", "B, this thread; last row: process"),
        ], footnote + string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $" Whole step {batch / (whole * 1e-6):F0} samples/s, trainer step {batch / (trainerStep * 1e-6):F0} samples/s. Phase medians come from different steps, so they need not add up; the phases run the whole batch on one graph (kernels split over the threads), the trainer step as `ddnn train` does."));
        for (var p = 0; p < names.Length; p++)
            table.AddRow(names[p], Median(times[p]), Median(times[p]) / whole, Median(allocated[p]));
        table.AddRow(threads > 1 ? $"trainer step, {threads} lanes (gather, step, Adam)" : "trainer step (gather, step, Adam)",
            trainerStep, trainerStep / whole, trainerBytes);
        return table;
    }

    /// <summary>
    /// The step as <see cref="DdnnTrainer"/> runs it, gathering included: the whole batch on one thread, or one lane per
    /// thread through <see cref="SplitTrainingStep"/>. Median µs, and bytes allocated per step by the whole process.
    /// </summary>
    private static (double Median, double Allocated) TrainerStep(DdnnConfig config, int threads, int steps)
    {
        const int batch = TrainingBenchmarks.BatchSize;
        const int samples = 4 * batch;
        var labels = BenchmarkData.Labels(samples, config.Classes, 52);
        var viewLabels = new int[samples * config.Devices];
        for (var i = 0; i < viewLabels.Length; i++) viewLabels[i] = labels[i / config.Devices];
        var data = new Training.Data.MultiViewDataset("profile", config.Devices, config.InputChannels, config.InputHeight, config.InputWidth,
            BenchmarkData.Uniform(samples * config.Devices * config.InputChannels * config.InputHeight * config.InputWidth, 53, 0f, 1f),
            labels, viewLabels, Enumerable.Range(0, config.Classes).Select(c => $"class {c}").ToArray());
        var model = new DdnnModel(config);
        new Initializer(BenchmarkData.Seed).Initialize(model);
        model.Train();
        var optimizer = new Adam(model.Parameters(), learningRate: 1e-3f, clipLatentWeights: true);
        var loss = new JointLoss(config);
        var exitLosses = new float[loss.Layout.Count];
        var order = new int[samples];
        for (var i = 0; i < samples; i++) order[i] = (int)((i * 2654435761L) % samples);
        using var split = threads > 1 ? new SplitTrainingStep(model, optimizer, threads) : null;
        var single = new TrainingStep(optimizer);
        var views = Tensor.Zeros(batch, config.Devices, config.InputChannels, config.InputHeight, config.InputWidth);
        var batchLabels = new int[batch];
        var batchViewLabels = new int[batch * config.Devices];
        Func<Tensor> forward = () => loss.Compute(model.Forward(views), batchLabels, batchViewLabels, null, exitLosses);
        void Step(int s)
        {
            var indices = order.AsSpan(s % 4 * batch, batch);
            if (split is not null)
            {
                split.Run(data, indices, null, exitLosses);
                return;
            }
            data.CopyBatch(indices, views.Data, batchLabels);
            data.CopyViewLabels(indices, batchViewLabels);
            single.Run(forward);
        }
        var times = new double[steps];
        var bytes = new double[steps];
        for (var s = -WarmupSteps; s < steps; s++)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            var start = Stopwatch.GetTimestamp();
            Step(s + WarmupSteps);
            if (s < 0) continue;
            times[s] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            bytes[s] = GC.GetTotalAllocatedBytes(precise: true) - before;
        }
        return (Median(times), Median(bytes));
    }

    private static ResultTable ConvKernels(int threads, int steps, string footnote)
    {
        const int batch = TrainingBenchmarks.BatchSize;
        var config = TrainingBenchmarks.Config();
        // The model's convs: one per device on its view, then the cloud blocks on the concatenated device maps.
        var deviceSize = config.InputHeight;
        var pooled = config.DevicePool.Output(deviceSize);
        var filters = config.DeviceFilters[0];
        var cloudIn = config.Devices * filters;
        (string Name, Conv2dShape Shape, int Count, bool InputGrad)[] layers =
        [
            ($"device conv {config.InputChannels}->{filters} {deviceSize}x{deviceSize}", new Conv2dShape(batch, config.InputChannels, deviceSize, deviceSize, filters, 3, 1, 1), config.Devices, false),
            ($"cloud conv {cloudIn}->{config.CloudFilters[0]} {pooled}x{pooled}", new Conv2dShape(batch, cloudIn, pooled, pooled, config.CloudFilters[0], 3, 1, 1), 1, true),
            ($"cloud conv {config.CloudFilters[0]}->{config.CloudFilters[1]} {pooled}x{pooled}", new Conv2dShape(batch, config.CloudFilters[0], pooled, pooled, config.CloudFilters[1], 3, 1, 1), 1, true),
        ];
        var table = new ResultTable($"float conv kernels at the training shapes, batch {batch}, {threads} thread(s), median of {steps} calls",
        [
            ResultColumn.Text("layer"), ResultColumn.Text("pass"), ResultColumn.Number("calls/step"),
            ResultColumn.Number("median", "F0", "µs"), ResultColumn.Number("per step", "F0", "µs"), ResultColumn.Number("GFLOP/s", "F1"),
            ResultColumn.Number("allocated", "F0", "B/call"),
        ], footnote);
        foreach (var (name, s, count, inputGrad) in layers)
        {
            var x = BenchmarkData.Uniform((int)s.InputLength, 60);
            var w = BenchmarkData.Uniform((int)s.WeightLength, 61);
            var b = new float[s.OutChannels];
            var y = new float[s.OutputLength];
            var dy = BenchmarkData.Uniform((int)s.OutputLength, 62);
            var dx = new float[s.InputLength];
            var dw = new float[s.WeightLength];
            var db = new float[s.OutChannels];
            var flops = 2.0 * s.OutputLength * s.InChannels * s.KernelH * s.KernelW;
            void Add(string pass, Action run)
            {
                var (median, allocated) = MedianTime(run, steps);
                table.AddRow(name, pass, count, median, median * count, flops / (median * 1e3), allocated);
            }
            Add("forward", () => Conv2d.Forward(in s, x, w, b, y));
            if (inputGrad) Add("backward input", () => Conv2d.BackwardInput(in s, dy, w, dx));
            Add("backward weight+bias", () => Conv2d.BackwardWeight(in s, x, dy, dw, db, false));
        }
        return table;
    }

    /// <summary>Median time in µs and the bytes one call allocates on this thread (after warm-up).</summary>
    private static (double Median, long Allocated) MedianTime(Action run, int repeats)
    {
        for (var i = 0; i < WarmupSteps; i++) run();
        var before = GC.GetAllocatedBytesForCurrentThread();
        run();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var times = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            var start = Stopwatch.GetTimestamp();
            run();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        return (Median(times), allocated);
    }

    private static double Median(double[] values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}

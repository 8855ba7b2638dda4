using Ddnn.Kernels;
using Ddnn.TestSupport;
using Ddnn.Training.Optim;
using Ddnn.Training.Reporting;
using Ddnn.Training.Tests.Data;
using Ddnn.Training.Trainer;

namespace Ddnn.Training.Tests.Trainer;

public class DdnnTrainerTests
{
    private static TrainingOptions Options(int epochs, double dropout = 0) =>
        new() { Epochs = epochs, BatchSize = 16, Seed = 11, DeviceDropout = dropout };

    private static DdnnTrainer NewTrainer(int epochs, double dropout = 0, string? checkpoint = null)
    {
        var data = TinyRuns.Small;
        var model = TinyRuns.Model(TinyRuns.Config(data.Train));
        return new DdnnTrainer(model, data.Train, data.Validation, Options(epochs, dropout)) { CheckpointPath = checkpoint };
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void The_same_seed_and_thread_count_give_identical_parameters(int threads)
    {
        using var scope = KernelParallelism.Use(threads);
        var a = NewTrainer(2, dropout: 0.3);
        a.Run();
        var b = NewTrainer(2, dropout: 0.3);
        b.Run();
        Assert.Equal(TinyRuns.State(a.Model), TinyRuns.State(b.Model));
        Assert.Equal(a.History.Select(h => h.Loss), b.History.Select(h => h.Loss));

        var other = new DdnnTrainer(TinyRuns.Model(TinyRuns.Config(TinyRuns.Small.Train)), TinyRuns.Small.Train, null,
            Options(2, 0.3) with { Seed = 12 });
        other.Run();
        Assert.NotEqual(TinyRuns.State(a.Model), TinyRuns.State(other.Model));
    }

    [Theory]
    [InlineData(0.0, 1)]
    [InlineData(0.3, 1)]
    [InlineData(0.3, 2)]
    public void Training_one_epoch_then_resuming_one_equals_training_two(double dropout, int threads)
    {
        using var scope = KernelParallelism.Use(threads);
        using var dir = new TempDirectory();
        var straight = NewTrainer(2, dropout);
        straight.Run();

        var path = dir.File("run.ckpt");
        var first = NewTrainer(1, dropout, path);
        first.Run();
        var resumed = DdnnTrainer.Resume(path, TinyRuns.Small.Train, TinyRuns.Small.Validation, totalEpochs: 2);
        Assert.Equal(1, resumed.CompletedEpochs);
        resumed.Run();

        Assert.Equal(2, resumed.CompletedEpochs);
        Assert.Equal(TinyRuns.State(straight.Model), TinyRuns.State(resumed.Model));
        for (var i = 0; i < straight.Optimizer.Parameters.Count; i++)
        {
            Assert.Equal(straight.Optimizer.FirstMoment(i).ToArray(), resumed.Optimizer.FirstMoment(i).ToArray());
            Assert.Equal(straight.Optimizer.SecondMoment(i).ToArray(), resumed.Optimizer.SecondMoment(i).ToArray());
            Assert.Equal(straight.Optimizer.StepsOf(i), resumed.Optimizer.StepsOf(i));
        }
        Assert.Equal(straight.History.Select(h => h.Loss), resumed.History.Select(h => h.Loss));
        Assert.Equal(straight.History.Select(h => h.ValidationAccuracy), resumed.History.Select(h => h.ValidationAccuracy));
        // The checkpoint written after the resumed epoch records both epochs.
        Assert.Equal(2, DdnnTrainer.Resume(path, TinyRuns.Small.Train, null).CompletedEpochs);
    }

    [Fact]
    public void A_cosine_run_stopped_mid_way_resumes_bit_identically_and_differs_from_a_constant_rate()
    {
        using var dir = new TempDirectory();
        var cosine = Options(2) with { Schedule = LearningRateSchedule.Cosine };
        var data = TinyRuns.Small;
        DdnnTrainer Cosine() => new(TinyRuns.Model(TinyRuns.Config(data.Train)), data.Train, data.Validation, cosine);

        var straight = Cosine();
        straight.Run();
        var path = dir.File("cosine.ckpt");
        var first = Cosine();
        first.TrainEpoch();
        first.Checkpoint().Save(path);
        var resumed = DdnnTrainer.Resume(path, data.Train, data.Validation);
        Assert.Equal(LearningRateSchedule.Cosine, resumed.Options.Schedule);
        resumed.Run();
        Assert.Equal(TinyRuns.State(straight.Model), TinyRuns.State(resumed.Model));

        var constant = NewTrainer(2);
        constant.Run();
        Assert.NotEqual(TinyRuns.State(constant.Model), TinyRuns.State(straight.Model));
        // The last step of a cosine run (a handful of steps here) uses a rate far below the base rate.
        Assert.True(straight.Optimizer.LearningRate < 0.1f * cosine.LearningRate, $"last rate {straight.Optimizer.LearningRate}");
    }

    [Fact]
    public void Thread_count_is_recorded_and_results_are_stable_for_each_count()
    {
        using var twoThreads = KernelParallelism.Use(2);
        var a = NewTrainer(1);
        a.Run();
        var b = NewTrainer(1);
        b.Run();
        Assert.Equal(TinyRuns.State(a.Model), TinyRuns.State(b.Model));
        Assert.Equal(2, a.Checkpoint().Threads);
    }

    [Fact]
    public void Checkpoints_are_replaced_whole_and_leave_no_temporary_files()
    {
        using var dir = new TempDirectory();
        var path = dir.File("run.ckpt");
        var trainer = NewTrainer(2, checkpoint: path);
        trainer.TrainEpoch();
        trainer.Checkpoint().Save(path);
        var firstSize = new FileInfo(path).Length;
        trainer.Run();
        Assert.Equal([path], Directory.GetFiles(dir.Path));
        Assert.True(new FileInfo(path).Length > firstSize); // the second holds two epoch records
        Assert.Equal(2, TrainingCheckpoint.Load(path).CompletedEpochs);
    }

    [Fact]
    public void A_corrupt_truncated_or_foreign_checkpoint_gives_a_clear_error()
    {
        using var dir = new TempDirectory();
        var path = dir.File("run.ckpt");
        var trainer = NewTrainer(1, checkpoint: path);
        trainer.Run();
        var bytes = File.ReadAllBytes(path);

        var corrupt = dir.File("corrupt.ckpt");
        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(corrupt, flipped);
        var e = Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.Load(corrupt));
        Assert.Contains(corrupt, e.Message);
        Assert.Contains("checksum", e.Message);

        var truncated = dir.File("truncated.ckpt");
        File.WriteAllBytes(truncated, bytes.AsSpan(0, bytes.Length - 100).ToArray());
        e = Assert.Throws<InvalidDataException>(() => DdnnTrainer.Resume(truncated, TinyRuns.Small.Train, null));
        Assert.Contains(truncated, e.Message);

        var foreign = dir.File("model.bin");
        File.WriteAllBytes(foreign, "not a checkpoint at all"u8.ToArray());
        e = Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.Load(foreign));
        Assert.Contains("not a Ddnn file (bad magic", e.Message);

        Assert.Throws<FileNotFoundException>(() => TrainingCheckpoint.Load(dir.File("missing.ckpt")));

        e = Assert.Throws<InvalidDataException>(() => DdnnTrainer.Resume(path, TinyRuns.Small.Validation, null));
        Assert.Contains("same data set", e.Message);
    }

    [Fact]
    public void Progress_and_log_report_every_exit_and_throughput()
    {
        var output = new StringWriter();
        var log = new StringWriter();
        var trainer = NewTrainer(1);
        trainer.Run(new ProgressReporter(output, interactive: false, plainInterval: TimeSpan.Zero), log);
        var text = output.ToString();
        Assert.Contains("epoch 1/1", text);
        Assert.Contains("samples/s", text);
        Assert.Contains("cloud", text);
        Assert.Contains("val acc", text);
        Assert.Contains("epoch 1/1", log.ToString());
        Assert.Contains("dev2", log.ToString());
    }

    [Fact]
    public void Data_that_does_not_fit_the_model_is_rejected()
    {
        var data = TinyRuns.Small;
        var config = TinyRuns.Config(data.Train) with { Classes = 4 };
        var e = Assert.Throws<ArgumentException>(() => new DdnnTrainer(TinyRuns.Model(config.Validate()), data.Train, null, Options(1)));
        Assert.Contains("4 classes", e.Message);
    }
}

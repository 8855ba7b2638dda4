using BenchmarkDotNet.Attributes;
using Ddnn.Core;
using Ddnn.Core.Model;
using Ddnn.Kernels;
using Ddnn.Training.Optim;
using Ddnn.Training.Trainer;

namespace Ddnn.Bench.Benchmarks;

/// <summary>
/// Training throughput of the MV-FMNIST MP-CC DDNN (6 devices of 1×16×16, binary, f = 4, MP local exit, CC cloud
/// 16-16): one invocation is one step of batch 128 — forward, joint loss over all 8 exits, backward, Adam (lr 1e-3,
/// latent clipping) and the graph released — on seeded random data in [0, 1] with random labels. With more than one
/// thread the step is the trainer's: the batch is gathered and trained in one lane per thread (<see cref="SplitTrainingStep"/>).
/// Targets: 1 thread ≥ 3,500 samples/s, 2 threads ≥ 6,000; allocation per step close to zero.
/// </summary>
[MemoryDiagnoser]
public class TrainingBenchmarks : PathComparedBenchmark
{
    public const int BatchSize = 128;

    private DdnnModel _model = null!;
    private JointLoss _loss = null!;
    private TrainingStep _step = null!;
    private Tensor _views = null!;
    private int[] _labels = [];
    private int[] _viewLabels = [];
    private Func<Tensor> _forward = null!;
    private SplitTrainingStep? _split;
    private Training.Data.MultiViewDataset _data = null!;
    private int[] _indices = [];

    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>The model the benchmark trains: the MV-FMNIST f = 4 MP-CC DDNN.</summary>
    public static DdnnConfig Config() => DdnnBuilder.Devices(6).Input(1, 16, 16).Classes(10).DeviceBlocks(4)
        .LocalExit(Aggregation.MaxPool).Cloud(Aggregation.Concat, 16, 16).Binary().Build();

    [GlobalSetup]
    public void Setup()
    {
        SelectPath();
        KernelParallelism.DefaultMaxThreads = Threads;
        var config = Config();
        _model = new DdnnModel(config);
        new Initializer(BenchmarkData.Seed).Initialize(_model);
        _model.Train();
        _loss = new JointLoss(config);
        _step = new TrainingStep(new Adam(_model.Parameters(), learningRate: 1e-3f, clipLatentWeights: true));
        var viewLength = config.Devices * config.InputChannels * config.InputHeight * config.InputWidth;
        _views = new Tensor(BenchmarkData.Uniform(BatchSize * viewLength, 50, 0f, 1f),
            BatchSize, config.Devices, config.InputChannels, config.InputHeight, config.InputWidth);
        _labels = BenchmarkData.Labels(BatchSize, config.Classes, 51);
        _viewLabels = new int[BatchSize * config.Devices];
        for (var i = 0; i < _viewLabels.Length; i++) _viewLabels[i] = _labels[i / config.Devices];
        // One delegate for every step, so the benchmark itself adds no allocation per step.
        _forward = () => _loss.Compute(_model.Forward(_views), _labels, _viewLabels, null, default);
        if (Threads <= 1) return;
        _data = new Training.Data.MultiViewDataset("bench", config.Devices, config.InputChannels, config.InputHeight, config.InputWidth,
            _views.Data, _labels, _viewLabels, Enumerable.Range(0, config.Classes).Select(c => $"class {c}").ToArray());
        _indices = Enumerable.Range(0, BatchSize).ToArray();
        _split = new SplitTrainingStep(_model, _step.Optimizer, Threads);
    }

    /// <inheritdoc/>
    protected override void ReleaseCase() => _split?.Dispose();

    [Benchmark, Work(BatchSize, WorkUnit.Sample)]
    public float TrainStep() => _split is null ? _step.Run(_forward) : _split.Run(_data, _indices, null, default);
}

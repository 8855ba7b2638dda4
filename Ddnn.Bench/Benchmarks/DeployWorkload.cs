using Ddnn.Core;
using Ddnn.Core.Deploy;
using Ddnn.Core.Model;
using Ddnn.Core.Runtime;
using Ddnn.Training.Experiments;
using Ddnn.Training.Optim;

namespace Ddnn.Bench.Benchmarks;

/// <summary>
/// What the deploy benchmarks run: a binary DDNN (the trained checkpoint given with <c>--model</c>, or the MV-FMNIST
/// f = 4 MP-CC shape with seeded random weights), its packed export, and a fixed set of synthetic samples (uniform in
/// [0, 1], no data set needed), all at batch 1.
/// </summary>
public sealed class DeployWorkload
{
    /// <summary>Samples each benchmark invocation runs, one at a time.</summary>
    public const int Samples = 64;

    /// <summary>Share of the samples that should exit at the local aggregator at the "realistic" threshold.</summary>
    public const double LocalExitShare = 0.6;

    private DeployWorkload(DdnnModel model, string description)
    {
        Model = model;
        Description = description;
        Deployed = DdnnExporter.Export(model);
        var config = model.Config;
        var viewLength = Deployed.ViewLength;
        Views = BenchmarkData.Uniform(Samples * config.Devices * viewLength, 60, 0f, 1f);
        DeviceInputs = new Tensor[Samples];
        for (var s = 0; s < Samples; s++)
            DeviceInputs[s] = new Tensor(Views.AsSpan(s * config.Devices * viewLength, viewLength).ToArray(),
                1, config.InputChannels, config.InputHeight, config.InputWidth);
        LocalThreshold = config.HasLocalExit ? CalibrateLocalThreshold() : 0;
    }

    /// <summary>The autograd model (eval mode).</summary>
    public DdnnModel Model { get; }

    /// <summary>Its packed export.</summary>
    public DeployedModel Deployed { get; }

    /// <summary>What model this is, for the report.</summary>
    public string Description { get; }

    /// <summary>Views <c>(Samples, D, C, H, W)</c>.</summary>
    public float[] Views { get; }

    /// <summary>Device 0's view of each sample as a batch-1 tensor <c>(1, C, H, W)</c>.</summary>
    public Tensor[] DeviceInputs { get; }

    /// <summary>
    /// The local threshold at which <see cref="LocalExitShare"/> of the samples exit locally (just above that quantile
    /// of their local-exit entropies); 0 without a local exit.
    /// </summary>
    public double LocalThreshold { get; }

    /// <summary>Floats of one sample (all devices).</summary>
    public int SampleLength => Model.Config.Devices * Deployed.ViewLength;

    /// <summary>The checkpoint at <paramref name="modelPath"/>, or the seeded MV-FMNIST-shaped model when null.</summary>
    public static DeployWorkload Create(string? modelPath)
    {
        if (modelPath is null)
        {
            var model = new DdnnModel(PaperConfigs.FashionMnist);
            new Initializer(BenchmarkData.Seed).Initialize(model);
            model.Eval();
            return new DeployWorkload(model, "MV-FMNIST f=4 MP-CC shape, seeded random weights");
        }
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"--model: no file at {modelPath}", modelPath);
        var trained = DdnnModelFile.Load(modelPath);
        trained.Eval();
        return new DeployWorkload(trained, $"checkpoint {Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(modelPath)))}/{Path.GetFileName(modelPath)}");
    }

    /// <summary>A cascade runtime over the export with every link loss-free and local threshold <paramref name="threshold"/>.</summary>
    public CascadeRuntime Runtime(double threshold) => new(Deployed, new CascadeOptions { LocalThreshold = threshold });

    /// <summary>Fraction of the samples that exit locally at <paramref name="threshold"/>.</summary>
    public double LocalExitFraction(double threshold)
    {
        var runtime = Runtime(threshold);
        var local = 0;
        for (var s = 0; s < Samples; s++)
            if (runtime.Run(s, Views.AsSpan(s * SampleLength, SampleLength)).Tier == ExitTier.Local) local++;
        return (double)local / Samples;
    }

    private double CalibrateLocalThreshold()
    {
        // T = 2 exceeds every normalized entropy, so every sample exits locally and reports its local entropy.
        var runtime = Runtime(2);
        var entropies = new float[Samples];
        for (var s = 0; s < Samples; s++) entropies[s] = runtime.Run(s, Views.AsSpan(s * SampleLength, SampleLength)).LocalEntropy;
        Array.Sort(entropies);
        var index = (int)Math.Ceiling(LocalExitShare * Samples) - 1;
        return Math.BitIncrement((double)entropies[index]);
    }
}

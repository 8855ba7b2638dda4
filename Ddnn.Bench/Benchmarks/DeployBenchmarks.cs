using BenchmarkDotNet.Attributes;
using Ddnn.Core;
using Ddnn.Core.Deploy;
using Ddnn.Core.Model;
using Ddnn.Core.Runtime;
using Ddnn.Kernels;

namespace Ddnn.Bench.Benchmarks;

/// <summary>
/// Deployed inference at batch 1 on one thread (issue 6): device 0's packed partition against the autograd forward of
/// the same section (features + exit, eval mode, NoGrad), target ≥ 10×; and the whole cascade runtime (all tiers in
/// process, encoded messages, simulated links) at T = 0 (every sample goes to the cloud, the worst case) and at the
/// threshold where <see cref="DeployWorkload.LocalExitShare"/> of the samples exit locally, target ≥ 7,000 samples/s
/// (the libtorch reference runs 680). One operation is one sample; each invocation runs the workload's 64 samples.
/// </summary>
[MemoryDiagnoser]
public class DeployBenchmarks : PathComparedBenchmark
{
    private const int Samples = DeployWorkload.Samples;

    private DeployWorkload _workload = null!;
    private DevicePartition _device = null!;
    private DeviceWorkspace _workspace = null!;
    private DeviceSection _section = null!;
    private CascadeRuntime _allCloud = null!, _localExits = null!;
    private float[] _logits = [];
    private long _sample;

    /// <summary>The checkpoint to measure (<c>ddnn bench deploy --model</c>); null = the seeded MV-FMNIST-shaped model.</summary>
    public static string? ModelPath { get; set; }

    /// <summary>What the last setup measured (model, threshold, local-exit fraction), for the report; null before a run.</summary>
    public static DeployBenchmarkSetup? LastSetup { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        SelectPath();
        KernelParallelism.DefaultMaxThreads = 1;
        _workload = DeployWorkload.Create(ModelPath);
        _device = _workload.Deployed.Devices[0];
        _workspace = _device.CreateWorkspace();
        _logits = new float[_workload.Model.Config.Classes];
        _section = _workload.Model.Devices[0];
        _allCloud = _workload.Runtime(0);
        _localExits = _workload.Runtime(_workload.LocalThreshold);
        LastSetup = new DeployBenchmarkSetup(_workload.Description, _workload.LocalThreshold,
            _workload.LocalExitFraction(_workload.LocalThreshold), _workload.LocalExitFraction(0), ExactOrderFraction());
    }

    /// <summary>Share of the measured device's first-layer channel groups the split-sum shortcut hands back to the exact order on these inputs.</summary>
    private double ExactOrderFraction()
    {
        var workspace = _device.CreateWorkspace();
        var viewLength = _workload.Deployed.ViewLength;
        for (var s = 0; s < Samples; s++)
            _device.Run(_workload.Views.AsSpan(s * _workload.SampleLength, viewLength), _logits, workspace);
        return workspace.FirstBlockStats.RecomputedFraction;
    }

    [Benchmark(OperationsPerInvoke = Samples), Work(1, WorkUnit.Sample)]
    public void PackedDevice()
    {
        var viewLength = _workload.Deployed.ViewLength;
        for (var s = 0; s < Samples; s++)
            _device.Run(_workload.Views.AsSpan(s * _workload.SampleLength, viewLength), _logits, _workspace);
    }

    [Benchmark(OperationsPerInvoke = Samples), Work(1, WorkUnit.Sample)]
    public float AutogradDevice()
    {
        var sum = 0f;
        using (Autograd.NoGrad())
            for (var s = 0; s < Samples; s++)
                sum += _section.Exit.Forward(_section.Features(_workload.DeviceInputs[s])).Data[0];
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Samples), Work(1, WorkUnit.Sample)]
    public int CascadeAllCloud() => RunCascade(_allCloud);

    [Benchmark(OperationsPerInvoke = Samples), Work(1, WorkUnit.Sample)]
    public int CascadeLocalExits() => RunCascade(_localExits);

    private int RunCascade(CascadeRuntime runtime)
    {
        var predictions = 0;
        for (var s = 0; s < Samples; s++)
            predictions += runtime.Run(_sample++, _workload.Views.AsSpan(s * _workload.SampleLength, _workload.SampleLength)).Prediction;
        return predictions;
    }
}

/// <summary>The deploy benchmark's model and the local threshold it measured the cascade at.</summary>
/// <param name="ExactOrderFraction">Share of first-layer channel groups recomputed in the exact order (NaN without the split-sum shortcut).</param>
public sealed record DeployBenchmarkSetup(string Model, double LocalThreshold, double LocalExitFraction, double AllCloudLocalFraction,
    double ExactOrderFraction);

using Ddnn.Core;
using Ddnn.Core.Model;
using Ddnn.Core.Randomness;
using Ddnn.Training.Data;
using Ddnn.Training.Trainer;

namespace Ddnn.Training.Tests.Trainer;

public class JointLossTests
{
    private const int Batch = 4;
    private const int Classes = 3;
    private const int NV = MultiViewDataset.NotVisible;

    private static DdnnConfig Config(ExitWeights? weights = null, bool edges = false)
    {
        var builder = DdnnBuilder.Devices(3).Input(1, 8, 8).Classes(Classes).DeviceBlocks(2).LocalExit(Aggregation.MaxPool)
            .Cloud(Aggregation.Concat, 4).ExitWeights(weights ?? new ExitWeights());
        if (edges) builder = builder.Edge([0, 1], Aggregation.MaxPool, 2).Edge([2], Aggregation.MaxPool, 2);
        return builder.Build();
    }

    /// <summary>Outputs whose every exit is a leaf parameter with seeded random logits, so gradients can be inspected.</summary>
    private static (DdnnOutputs Outputs, Parameter[] Exits) RandomOutputs(DdnnConfig config, ulong seed)
    {
        var rng = new SeededRandom(seed);
        Parameter Logits()
        {
            var p = new Parameter(Batch, Classes);
            for (var i = 0; i < p.Length; i++) p.Data[i] = (float)rng.NextGaussian();
            return p;
        }
        var devices = Enumerable.Range(0, config.Devices).Select(_ => Logits()).ToArray();
        var local = config.HasLocalExit ? Logits() : null;
        var edges = config.Edges.Select(_ => Logits()).ToArray();
        var cloud = Logits();
        var outputs = new DdnnOutputs(devices, local, edges, cloud, devices.Select(_ => (Tensor)Tensor.Zeros(Batch, 1, 1, 1)).ToArray());
        var all = new List<Parameter>(devices);
        if (local is not null) all.Add(local);
        all.AddRange(edges);
        all.Add(cloud);
        return (outputs, all.ToArray());
    }

    /// <summary>Reference mean cross-entropy over the rows whose label is not ignored.</summary>
    private static double ReferenceCe(Tensor logits, int[] labels)
    {
        double sum = 0;
        var rows = 0;
        for (var b = 0; b < labels.Length; b++)
        {
            if (labels[b] == NV) continue;
            var row = logits.Data.AsSpan(b * Classes, Classes).ToArray().Select(v => (double)v).ToArray();
            var max = row.Max();
            var logSum = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
            sum += logSum - row[labels[b]];
            rows++;
        }
        return rows == 0 ? 0 : sum / rows;
    }

    private static readonly int[] Labels = [0, 1, 2, 1];

    // (B, D): device 1 cannot see sample 0, device 2 cannot see samples 1 and 3.
    private static readonly int[] ViewLabels = [0, NV, 0, 1, 1, NV, 2, 2, 2, 1, 1, NV];

    private static int[] DeviceLabels(int device, DeviceMask? mask = null) =>
        Enumerable.Range(0, Batch).Select(b => mask is not null && !mask.IsPresent(b, device) ? NV : ViewLabels[b * 3 + device]).ToArray();

    [Fact]
    public void Device_exits_ignore_views_that_are_not_visible_and_fused_exits_use_the_global_label()
    {
        var config = Config();
        var (outputs, exits) = RandomOutputs(config, 1);
        var loss = new JointLoss(config);
        var perExit = new float[loss.Layout.Count];
        var total = loss.Compute(outputs, Labels, ViewLabels, null, perExit);

        for (var d = 0; d < 3; d++) Assert.Equal(ReferenceCe(exits[d], DeviceLabels(d)), perExit[d], 5);
        Assert.Equal(ReferenceCe(exits[3], Labels), perExit[loss.Layout.LocalIndex], 5);
        Assert.Equal(ReferenceCe(exits[4], Labels), perExit[loss.Layout.CloudIndex], 5);
        Assert.Equal(perExit.Sum(v => (double)v), total.Data[0], 4);

        Autograd.Backward(total);
        // Not-visible rows pass no gradient into that device's exit.
        Assert.All(exits[1].Grad.Slice(0, Classes).ToArray(), g => Assert.Equal(0f, g));
        Assert.All(exits[2].Grad.Slice(1 * Classes, Classes).ToArray(), g => Assert.Equal(0f, g));
        Assert.Contains(exits[2].Grad.Slice(0, Classes).ToArray(), g => g != 0f);
    }

    [Fact]
    public void Absent_devices_are_ignored_by_their_own_exit_only()
    {
        var config = Config();
        var (outputs, exits) = RandomOutputs(config, 2);
        var mask = new DeviceMask(Batch, 3);
        mask.Set(2, 0, false);
        mask.Set(0, 2, false);
        var loss = new JointLoss(config);
        var perExit = new float[loss.Layout.Count];
        var total = loss.Compute(outputs, Labels, ViewLabels, mask, perExit);

        for (var d = 0; d < 3; d++) Assert.Equal(ReferenceCe(exits[d], DeviceLabels(d, mask)), perExit[d], 5);
        Assert.Equal(ReferenceCe(exits[4], Labels), perExit[loss.Layout.CloudIndex], 5);
        Autograd.Backward(total);
        Assert.All(exits[0].Grad.Slice(2 * Classes, Classes).ToArray(), g => Assert.Equal(0f, g));
        Assert.All(exits[2].Grad.Slice(0, Classes).ToArray(), g => Assert.Equal(0f, g));
        // The fused exits still learn every sample.
        for (var b = 0; b < Batch; b++) Assert.Contains(exits[4].Grad.Slice(b * Classes, Classes).ToArray(), g => g != 0f);
    }

    [Fact]
    public void Exit_weights_scale_each_exit_in_the_total_and_its_gradient()
    {
        var weights = new ExitWeights { Device = 0.5f, Local = 2f, Cloud = 3f };
        var config = Config(weights);
        var (outputs, exits) = RandomOutputs(config, 3);
        var (plainOutputs, plainExits) = RandomOutputs(Config(), 3);
        var loss = new JointLoss(config);
        var perExit = new float[loss.Layout.Count];
        var total = loss.Compute(outputs, Labels, ViewLabels, null, perExit);
        var plainTotal = new JointLoss(Config()).Compute(plainOutputs, Labels, ViewLabels, null, []);

        var expected = 0.5 * (perExit[0] + perExit[1] + perExit[2]) + 2 * perExit[3] + 3 * perExit[4];
        Assert.Equal(expected, total.Data[0], 4);
        Autograd.Backward(total);
        Autograd.Backward(plainTotal);
        for (var i = 0; i < Batch * Classes; i++)
        {
            Assert.Equal(0.5f * plainExits[0].Grad[i], exits[0].Grad[i], 6);
            Assert.Equal(2f * plainExits[3].Grad[i], exits[3].Grad[i], 6);
            Assert.Equal(3f * plainExits[4].Grad[i], exits[4].Grad[i], 6);
        }
    }

    [Fact]
    public void An_edge_exit_ignores_samples_in_which_none_of_its_devices_is_present()
    {
        var config = Config(edges: true);
        var (outputs, exits) = RandomOutputs(config, 4);
        var mask = new DeviceMask(Batch, 3);
        mask.Set(1, 2, false); // edge 1 owns only device 2: sample 1 is lost to it.
        mask.Set(3, 0, false); // edge 0 still has device 1 for sample 3.
        var loss = new JointLoss(config);
        var perExit = new float[loss.Layout.Count];
        loss.Compute(outputs, Labels, ViewLabels, mask, perExit);
        var edge0 = loss.Layout.FirstEdgeIndex;
        Assert.Equal(["dev0", "dev1", "dev2", "local", "edge0", "edge1", "cloud"], loss.Layout.Names);
        Assert.Equal(ReferenceCe(exits[edge0], Labels), perExit[edge0], 5);
        Assert.Equal(ReferenceCe(exits[edge0 + 1], [0, NV, 2, 1]), perExit[edge0 + 1], 5);
    }

    [Fact]
    public void Mismatched_inputs_are_rejected_with_a_clear_message()
    {
        var config = Config();
        var (outputs, _) = RandomOutputs(config, 5);
        var loss = new JointLoss(config);
        var e = Assert.Throws<ArgumentException>(() => loss.Compute(outputs, Labels, ViewLabels.AsSpan(0, 6), null, []));
        Assert.Contains("viewLabels", e.Message);
        e = Assert.Throws<ArgumentException>(() => loss.Compute(outputs, Labels, ViewLabels, new DeviceMask(Batch, 2), []));
        Assert.Contains("device mask", e.Message);
        var (edgeOutputs, _) = RandomOutputs(Config(edges: true), 5);
        e = Assert.Throws<ArgumentException>(() => loss.Compute(edgeOutputs, Labels, ViewLabels, null, []));
        Assert.Contains("do not match the configuration", e.Message);
    }
}

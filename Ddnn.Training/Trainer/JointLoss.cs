using Ddnn.Core;
using Ddnn.Core.Model;
using Ddnn.Training.Data;

namespace Ddnn.Training.Trainer;

/// <summary>
/// The DDNN joint objective: Σ over every exit of its weight (<see cref="DdnnConfig.ExitWeights"/>) times its mean
/// softmax cross-entropy. Device exits learn the per-view labels, ignoring views marked
/// <see cref="MultiViewDataset.NotVisible"/> and samples for which that device is absent (device dropout); the local,
/// edge and cloud exits learn the global label. An edge exit also ignores samples for which none of its devices is
/// present, since it then sees no input at all. Reuses its label buffers, so steady-state calls do not allocate.
/// </summary>
public sealed class JointLoss
{
    private readonly DdnnConfig _config;
    private readonly Tensor[] _exits;
    private int[] _labels = [];

    /// <summary>The objective for models of <paramref name="config"/>, weighted by its exit weights.</summary>
    public JointLoss(DdnnConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config.Validate();
        Layout = new ExitLayout(config);
        _exits = new Tensor[Layout.Count];
    }

    /// <summary>Order of the per-exit values <see cref="Compute"/> reports.</summary>
    public ExitLayout Layout { get; }

    /// <summary>
    /// The weighted total loss (a scalar that back-propagates into every exit), writing each exit's unweighted mean
    /// cross-entropy into <paramref name="exitLosses"/> in <see cref="Layout"/> order.
    /// </summary>
    /// <param name="outputs">The forward pass of a batch of B samples.</param>
    /// <param name="labels">Global labels (B).</param>
    /// <param name="viewLabels">Per-view labels laid out (B, D), <see cref="MultiViewDataset.NotVisible"/> where not visible.</param>
    /// <param name="present">Which devices were present per sample (null: all).</param>
    /// <param name="exitLosses">Receives one value per exit (may be empty to skip).</param>
    public Tensor Compute(DdnnOutputs outputs, ReadOnlySpan<int> labels, ReadOnlySpan<int> viewLabels, DeviceMask? present,
        Span<float> exitLosses)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var batch = labels.Length;
        var devices = _config.Devices;
        if (viewLabels.Length != batch * devices)
            throw new ArgumentException($"viewLabels has {viewLabels.Length} values, expected {batch} samples x {devices} devices", nameof(viewLabels));
        if (present is not null && (present.Batch != batch || present.Devices != devices))
            throw new ArgumentException($"the device mask is {present.Batch}x{present.Devices}, expected {batch}x{devices}", nameof(present));
        if (!exitLosses.IsEmpty && exitLosses.Length != Layout.Count)
            throw new ArgumentException($"exitLosses has {exitLosses.Length} slots for {Layout.Count} exits", nameof(exitLosses));
        Layout.Collect(outputs, _exits);
        foreach (var logits in _exits)
            if (logits.Rank != 2 || logits.Shape[0] != batch || logits.Shape[1] != _config.Classes)
                throw new ArgumentException($"exit logits {logits.ShapeText} do not match {batch} samples x {_config.Classes} classes", nameof(outputs));
        if (_labels.Length < batch) _labels = new int[batch];
        var rowLabels = _labels.AsSpan(0, batch);
        var weights = _config.ExitWeights;

        Tensor? total = null;
        for (var d = 0; d < devices; d++)
        {
            for (var b = 0; b < batch; b++)
                rowLabels[b] = present is null || present.IsPresent(b, d) ? viewLabels[b * devices + d] : MultiViewDataset.NotVisible;
            total = AddExit(total, d, rowLabels, weights.Device, exitLosses);
        }
        if (Layout.LocalIndex >= 0) total = AddExit(total, Layout.LocalIndex, labels, weights.Local, exitLosses);
        for (var e = 0; e < _config.Edges.Count; e++)
        {
            var owned = _config.Edges[e].Devices;
            for (var b = 0; b < batch; b++)
                rowLabels[b] = present is null || AnyPresent(present, b, owned) ? labels[b] : MultiViewDataset.NotVisible;
            total = AddExit(total, Layout.FirstEdgeIndex + e, rowLabels, weights.Edge, exitLosses);
        }
        return AddExit(total, Layout.CloudIndex, labels, weights.Cloud, exitLosses);
    }

    private Tensor AddExit(Tensor? total, int exit, ReadOnlySpan<int> labels, float weight, Span<float> exitLosses)
    {
        var loss = Ops.CrossEntropy(_exits[exit], labels, MultiViewDataset.NotVisible);
        if (!exitLosses.IsEmpty) exitLosses[exit] = loss.Data[0];
        var weighted = weight == 1f ? loss : Ops.MulScalar(loss, weight);
        return total is null ? weighted : Ops.Add(total, weighted);
    }

    private static bool AnyPresent(DeviceMask present, int sample, IReadOnlyList<int> devices)
    {
        foreach (var d in devices)
            if (present.IsPresent(sample, d)) return true;
        return false;
    }
}

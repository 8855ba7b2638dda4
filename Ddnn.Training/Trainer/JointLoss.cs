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

    /// <summary>Order of the per-exit values <see cref="Compute(DdnnOutputs, ReadOnlySpan{int}, ReadOnlySpan{int}, DeviceMask?, Span{float})"/> reports.</summary>
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
        Span<float> exitLosses) => Compute(outputs, labels, viewLabels, present, exitLosses, default);

    /// <summary>
    /// <see cref="Compute(DdnnOutputs, ReadOnlySpan{int}, ReadOnlySpan{int}, DeviceMask?, Span{float})"/> for one part
    /// of a batch whose other parts are computed elsewhere (a lane of a <see cref="BatchSplit"/>): each exit's mean
    /// over this part's rows is scaled by its share of the whole batch's rows (<paramref name="exitRowTotals"/>, from
    /// <see cref="CountRows"/> over the whole batch), so that the parts' losses, gradients and
    /// <paramref name="exitLosses"/> add up to the whole batch's. Empty totals mean this part is the whole batch.
    /// </summary>
    public Tensor Compute(DdnnOutputs outputs, ReadOnlySpan<int> labels, ReadOnlySpan<int> viewLabels, DeviceMask? present,
        Span<float> exitLosses, ReadOnlySpan<int> exitRowTotals)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var batch = CheckBatch(labels, viewLabels, present);
        if (!exitLosses.IsEmpty && exitLosses.Length != Layout.Count)
            throw new ArgumentException($"exitLosses has {exitLosses.Length} slots for {Layout.Count} exits", nameof(exitLosses));
        if (!exitRowTotals.IsEmpty && exitRowTotals.Length != Layout.Count)
            throw new ArgumentException($"exitRowTotals has {exitRowTotals.Length} values for {Layout.Count} exits", nameof(exitRowTotals));
        Layout.Collect(outputs, _exits);
        foreach (var logits in _exits)
            if (logits.Rank != 2 || logits.Shape[0] != batch || logits.Shape[1] != _config.Classes)
                throw new ArgumentException($"exit logits {logits.ShapeText} do not match {batch} samples x {_config.Classes} classes", nameof(outputs));
        var weights = _config.ExitWeights;
        Tensor? total = null;
        for (var exit = 0; exit < Layout.Count; exit++)
        {
            var rowLabels = ExitLabels(exit, labels, viewLabels, present);
            var weight = exit < _config.Devices ? weights.Device
                : exit == Layout.LocalIndex ? weights.Local
                : exit == Layout.CloudIndex ? weights.Cloud
                : weights.Edge;
            var loss = Ops.CrossEntropy(_exits[exit], rowLabels, MultiViewDataset.NotVisible);
            Tensor weighted;
            if (exitRowTotals.IsEmpty)
            {
                if (!exitLosses.IsEmpty) exitLosses[exit] = loss.Data[0];
                weighted = weight == 1f ? loss : Ops.MulScalar(loss, weight);
            }
            else
            {
                var share = exitRowTotals[exit] == 0 ? 0.0 : (double)Counted(rowLabels) / exitRowTotals[exit];
                if (!exitLosses.IsEmpty) exitLosses[exit] = (float)(loss.Data[0] * share);
                weighted = Ops.MulScalar(loss, (float)(weight * share));
            }
            total = total is null ? weighted : Ops.Add(total, weighted);
        }
        return total!;
    }

    /// <summary>
    /// Writes into <paramref name="rowsPerExit"/> (in <see cref="Layout"/> order) how many rows of the batch each exit's
    /// loss averages over: those whose label it learns is not <see cref="MultiViewDataset.NotVisible"/>.
    /// </summary>
    public void CountRows(ReadOnlySpan<int> labels, ReadOnlySpan<int> viewLabels, DeviceMask? present, Span<int> rowsPerExit)
    {
        CheckBatch(labels, viewLabels, present);
        if (rowsPerExit.Length != Layout.Count)
            throw new ArgumentException($"rowsPerExit has {rowsPerExit.Length} slots for {Layout.Count} exits", nameof(rowsPerExit));
        for (var exit = 0; exit < Layout.Count; exit++) rowsPerExit[exit] = Counted(ExitLabels(exit, labels, viewLabels, present));
    }

    private int CheckBatch(ReadOnlySpan<int> labels, ReadOnlySpan<int> viewLabels, DeviceMask? present)
    {
        var batch = labels.Length;
        var devices = _config.Devices;
        if (viewLabels.Length != batch * devices)
            throw new ArgumentException($"viewLabels has {viewLabels.Length} values, expected {batch} samples x {devices} devices", nameof(viewLabels));
        if (present is not null && (present.Batch != batch || present.Devices != devices))
            throw new ArgumentException($"the device mask is {present.Batch}x{present.Devices}, expected {batch}x{devices}", nameof(present));
        return batch;
    }

    /// <summary>The labels exit <paramref name="exit"/> learns for each row (per-view for devices, global for fused exits).</summary>
    private ReadOnlySpan<int> ExitLabels(int exit, ReadOnlySpan<int> labels, ReadOnlySpan<int> viewLabels, DeviceMask? present)
    {
        var batch = labels.Length;
        var devices = _config.Devices;
        if (exit == Layout.LocalIndex || exit == Layout.CloudIndex) return labels;
        if (_labels.Length < batch) _labels = new int[batch];
        var rowLabels = _labels.AsSpan(0, batch);
        if (exit < devices)
        {
            for (var b = 0; b < batch; b++)
                rowLabels[b] = present is null || present.IsPresent(b, exit) ? viewLabels[b * devices + exit] : MultiViewDataset.NotVisible;
            return rowLabels;
        }
        var owned = _config.Edges[exit - Layout.FirstEdgeIndex].Devices;
        for (var b = 0; b < batch; b++)
            rowLabels[b] = present is null || AnyPresent(present, b, owned) ? labels[b] : MultiViewDataset.NotVisible;
        return rowLabels;
    }

    private static int Counted(ReadOnlySpan<int> rowLabels)
    {
        var count = 0;
        foreach (var label in rowLabels)
            if (label != MultiViewDataset.NotVisible) count++;
        return count;
    }

    private static bool AnyPresent(DeviceMask present, int sample, IReadOnlyList<int> devices)
    {
        foreach (var d in devices)
            if (present.IsPresent(sample, d)) return true;
        return false;
    }
}

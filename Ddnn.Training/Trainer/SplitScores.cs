using Ddnn.Core.Inference;
using Ddnn.Training.Data;

namespace Ddnn.Training.Trainer;

/// <summary>
/// Every exit's predictions and normalized entropies over one data split (one forward pass per sample), with the
/// labels to score them, plus the cascade levels built from them: the local exit (if any), the edge level (if any) and
/// the cloud.
/// </summary>
public sealed class SplitScores
{
    /// <summary>Gathers the scores of one split and builds its cascade levels; the arrays are kept, not copied.</summary>
    /// <param name="layout">The exit order of the scored model.</param>
    /// <param name="exits">Each exit's scores, in <paramref name="layout"/> order.</param>
    /// <param name="edgeLevel">The edges' combined level; required exactly when the model has edges.</param>
    /// <param name="labels">Global label of each sample (length N).</param>
    /// <param name="viewLabels">Per-view labels (N, D), <see cref="MultiViewDataset.NotVisible"/> where the object is not visible.</param>
    public SplitScores(ExitLayout layout, IReadOnlyList<ExitScores> exits, ExitScores? edgeLevel, int[] labels, int[] viewLabels)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(exits);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(viewLabels);
        if (exits.Count != layout.Count) throw new ArgumentException($"{exits.Count} exits scored, the layout has {layout.Count}", nameof(exits));
        if (layout.Config.HasEdges != edgeLevel is not null)
            throw new ArgumentException("an edge level is needed exactly when the model has edges", nameof(edgeLevel));
        if (viewLabels.Length != labels.Length * layout.Config.Devices)
            throw new ArgumentException($"{viewLabels.Length} view labels for {labels.Length} samples x {layout.Config.Devices} devices", nameof(viewLabels));
        Layout = layout;
        Exits = exits;
        EdgeLevel = edgeLevel;
        Labels = labels;
        ViewLabels = viewLabels;
        var levels = new List<ExitScores>();
        if (layout.LocalIndex >= 0) levels.Add(exits[layout.LocalIndex]);
        if (edgeLevel is not null) levels.Add(edgeLevel);
        levels.Add(exits[layout.CloudIndex]);
        CascadeLevels = levels;
    }

    /// <summary>The exit order of <see cref="Exits"/>.</summary>
    public ExitLayout Layout { get; }

    /// <summary>Each exit's scores, in <see cref="ExitLayout"/> order.</summary>
    public IReadOnlyList<ExitScores> Exits { get; }

    /// <summary>
    /// The edge tier as one cascade level: with one edge its exit; with several, the argmax and normalized entropy of
    /// the mean of the edges' softmax outputs (over the edges with at least one device present), i.e. the edges vote
    /// with their full distributions. Null without edges.
    /// </summary>
    public ExitScores? EdgeLevel { get; }

    /// <summary>Local (if any), edge level (if any), cloud: the input of <see cref="ExitCascade.Run"/>.</summary>
    public IReadOnlyList<ExitScores> CascadeLevels { get; }

    /// <summary>Global label of each sample (length N).</summary>
    public int[] Labels { get; }

    /// <summary>Per-view labels (N, D), <see cref="MultiViewDataset.NotVisible"/> where the object is not visible.</summary>
    public int[] ViewLabels { get; }

    /// <summary>Number of samples N.</summary>
    public int Count => Labels.Length;

    /// <summary>Accuracy of every exit against the global label, in layout order.</summary>
    public double[] ExitAccuracies()
    {
        var accuracy = new double[Exits.Count];
        for (var e = 0; e < accuracy.Length; e++) accuracy[e] = Exits[e].Accuracy(Labels);
        return accuracy;
    }

    /// <summary>Accuracy of device <paramref name="device"/>'s exit against its per-view labels, over the views where the object is visible (NaN when none is).</summary>
    public double ViewAccuracy(int device)
    {
        var devices = Layout.Config.Devices;
        if ((uint)device >= (uint)devices) throw new ArgumentOutOfRangeException(nameof(device), device, $"must be in [0, {devices}).");
        var predictions = Exits[device].Predictions;
        int visible = 0, correct = 0;
        for (var i = 0; i < Count; i++)
        {
            var label = ViewLabels[i * devices + device];
            if (label == MultiViewDataset.NotVisible) continue;
            visible++;
            if (predictions[i] == label) correct++;
        }
        return visible == 0 ? double.NaN : (double)correct / visible;
    }

    /// <summary>The entropy cascade at <paramref name="thresholds"/> (one per level except the cloud).</summary>
    public CascadeResult Cascade(ReadOnlySpan<double> thresholds) => ExitCascade.Run(CascadeLevels, thresholds);
}

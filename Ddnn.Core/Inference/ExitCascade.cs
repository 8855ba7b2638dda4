namespace Ddnn.Core.Inference;

/// <summary>
/// The entropy cascade: a sample leaves at the first level whose normalized entropy is strictly below that level's
/// threshold; the last level (the cloud) answers every sample that reaches it.
/// </summary>
public static class ExitCascade
{
    /// <summary>
    /// Runs the cascade over precomputed exit scores, ordered from the lowest level (local) to the cloud.
    /// <paramref name="thresholds"/> has one entry per level except the last.
    /// </summary>
    public static CascadeResult Run(IReadOnlyList<ExitScores> levels, ReadOnlySpan<double> thresholds)
    {
        ArgumentNullException.ThrowIfNull(levels);
        if (levels.Count == 0) throw new ArgumentException("the cascade needs at least one exit level", nameof(levels));
        if (thresholds.Length != levels.Count - 1)
            throw new ArgumentException(
                $"the cascade has {levels.Count} levels and needs {levels.Count - 1} thresholds, got {thresholds.Length}",
                nameof(thresholds));
        foreach (var t in thresholds)
            if (double.IsNaN(t)) throw new ArgumentException("a cascade threshold is NaN", nameof(thresholds));
        var n = levels[0].Count;
        foreach (var level in levels)
            if (level.Count != n)
                throw new ArgumentException($"exit '{level.Name}' scores {level.Count} samples but '{levels[0].Name}' scores {n}", nameof(levels));

        var exitLevel = new int[n];
        var prediction = new int[n];
        var last = levels.Count - 1;
        for (var i = 0; i < n; i++)
        {
            var chosen = last;
            for (var l = 0; l < last; l++)
                if (levels[l].Entropies[i] < thresholds[l]) { chosen = l; break; }
            exitLevel[i] = chosen;
            prediction[i] = levels[chosen].Predictions[i];
        }
        return new CascadeResult(levels.Select(l => l.Name).ToArray(), exitLevel, prediction);
    }
}

/// <summary>Where every sample left the cascade and what it predicted there.</summary>
public sealed class CascadeResult(string[] levelNames, int[] exitLevel, int[] prediction)
{
    /// <summary>The exit names from the lowest level to the cloud, as the cascade was given them.</summary>
    public IReadOnlyList<string> LevelNames { get; } = levelNames;

    /// <summary>Index into <see cref="LevelNames"/> of the exit each sample took.</summary>
    public int[] ExitLevel { get; } = exitLevel;

    /// <summary>The class each sample was assigned at the exit it took.</summary>
    public int[] Prediction { get; } = prediction;

    /// <summary>Samples that went through the cascade.</summary>
    public int Count => Prediction.Length;

    /// <summary>Fraction of samples that left at <paramref name="level"/>.</summary>
    public double ExitFraction(int level)
    {
        if (Count == 0) return 0;
        var k = 0;
        foreach (var e in ExitLevel) if (e == level) k++;
        return (double)k / Count;
    }

    /// <summary>Fraction of samples that got past <paramref name="level"/> (left at a higher level).</summary>
    public double PassFraction(int level)
    {
        if (Count == 0) return 0;
        var k = 0;
        foreach (var e in ExitLevel) if (e > level) k++;
        return (double)k / Count;
    }

    /// <summary>Accuracy of the cascade's answers.</summary>
    public double Accuracy(ReadOnlySpan<int> labels)
    {
        if (labels.Length != Count)
            throw new ArgumentException($"cascade: {labels.Length} labels for {Count} samples", nameof(labels));
        if (Count == 0) return 0;
        var correct = 0;
        for (var i = 0; i < Count; i++) if (Prediction[i] == labels[i]) correct++;
        return (double)correct / Count;
    }
}

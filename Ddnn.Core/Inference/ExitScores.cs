namespace Ddnn.Core.Inference;

/// <summary>One exit's answer for a set of samples: the predicted class and the normalized entropy of its softmax.</summary>
public sealed class ExitScores
{
    /// <summary>Scores of one exit; the arrays are kept, not copied.</summary>
    /// <param name="name">The exit's name in reports and errors (for example "local", "edge", "cloud").</param>
    /// <param name="predictions">Argmax class per sample.</param>
    /// <param name="entropies">Normalized softmax entropy per sample, in [0, 1]; same length as <paramref name="predictions"/>, no NaN.</param>
    public ExitScores(string name, int[] predictions, float[] entropies)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(entropies);
        if (predictions.Length != entropies.Length)
            throw new ArgumentException(
                $"exit '{name}': {predictions.Length} predictions but {entropies.Length} entropies", nameof(entropies));
        for (var i = 0; i < entropies.Length; i++)
            if (float.IsNaN(entropies[i]))
                throw new ArgumentException($"exit '{name}': entropy of sample {i} is NaN", nameof(entropies));
        Name = name;
        Predictions = predictions;
        Entropies = entropies;
    }

    /// <summary>The exit's name in reports and errors.</summary>
    public string Name { get; }
    /// <summary>Argmax class per sample.</summary>
    public int[] Predictions { get; }
    /// <summary>Normalized softmax entropy per sample, in [0, 1]: 0 is certain, 1 is uniform; the cascade compares it with a threshold.</summary>
    public float[] Entropies { get; }
    /// <summary>Samples scored.</summary>
    public int Count => Predictions.Length;

    /// <summary>Fraction of samples whose prediction equals the label.</summary>
    public double Accuracy(ReadOnlySpan<int> labels)
    {
        if (labels.Length != Count)
            throw new ArgumentException($"exit '{Name}': {labels.Length} labels for {Count} samples", nameof(labels));
        if (Count == 0) return 0;
        var correct = 0;
        for (var i = 0; i < Count; i++) if (Predictions[i] == labels[i]) correct++;
        return (double)correct / Count;
    }
}

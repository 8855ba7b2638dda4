namespace Ddnn.Core.Inference;

/// <summary>One exit's answer for a set of samples: the predicted class and the normalized entropy of its softmax.</summary>
public sealed class ExitScores
{
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

    public string Name { get; }
    public int[] Predictions { get; }
    public float[] Entropies { get; }
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

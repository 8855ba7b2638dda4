using Ddnn.Core.Model;

namespace Ddnn.Core.Inference;

/// <summary>Turns exit logits into <see cref="ExitScores"/>: the predicted class and the normalized entropy per sample.</summary>
public static class DdnnScoring
{
    /// <summary>
    /// Scores one exit's logits (samples × classes): prediction = first class with the largest logit, entropy =
    /// −Σ p log p / log C of the softmax (log p from log-softmax). Reads values only; records nothing for autograd.
    /// </summary>
    /// <exception cref="ArgumentException">Logits are not a matrix with at least 2 classes, or contain NaN.</exception>
    public static ExitScores Score(Tensor logits, string name)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (logits.Rank != 2 || logits.Shape[1] < 2)
            throw new ArgumentException($"exit '{name}': logits {logits.ShapeText} must be (samples, classes) with at least 2 classes.", nameof(logits));
        int rows = logits.Shape[0], cols = logits.Shape[1];
        ReadOnlySpan<float> data = logits.Data;
        var predictions = new int[rows];
        var entropies = new float[rows];
        for (var i = 0; i < rows; i++)
        {
            var row = data.Slice(i * cols, cols);
            foreach (var v in row)
                if (float.IsNaN(v)) throw new ArgumentException($"exit '{name}': logits of sample {i} contain NaN.", nameof(logits));
            predictions[i] = ClassScores.ArgMax(row);
        }
        Kernels.Softmax.NormalizedEntropy(rows, cols, data, entropies);
        return new ExitScores(name, predictions, entropies);
    }

    /// <summary>Scores every exit of one forward pass, in <see cref="DdnnModel.ExitNames"/> order.</summary>
    public static IReadOnlyList<ExitScores> ScoreAll(DdnnModel model, DdnnOutputs outputs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(outputs);
        if (outputs.Exits.Count != model.ExitNames.Count)
            throw new ArgumentException($"outputs have {outputs.Exits.Count} exits but the model has {model.ExitNames.Count} ({string.Join(", ", model.ExitNames)}).", nameof(outputs));
        var scores = new ExitScores[outputs.Exits.Count];
        for (var i = 0; i < scores.Length; i++) scores[i] = Score(outputs.Exits[i], model.ExitNames[i]);
        return scores;
    }
}

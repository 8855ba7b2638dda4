using System.Runtime.CompilerServices;

namespace Ddnn.Core.Inference;

/// <summary>
/// What every exit, tier and evaluator reads from one sample's class scores: the predicted class and, for a probability
/// vector (the edge tier's mean softmax), its normalized entropy. One definition, so the cascade runtime, the deployed
/// tiers and the training-time evaluator cannot disagree on a tie or a rounding.
/// </summary>
public static class ClassScores
{
    /// <summary>The index of the largest score; on ties the first one (a NaN never wins over the scores before it).</summary>
    // Inlined so the cascade runtime's per-sample path costs what the loop it replaced did.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ArgMax(ReadOnlySpan<float> scores)
    {
        var best = 0;
        for (var j = 1; j < scores.Length; j++)
            if (scores[j] > scores[best]) best = j;
        return best;
    }

    /// <summary>
    /// The prediction and normalized entropy −Σ q ln q / ln C of probabilities q (0 ln 0 = 0), clamped to [0, 1] since
    /// a mean of softmax rows sums to 1 only up to rounding. Logits go through <see cref="Kernels.Softmax.NormalizedEntropy"/>.
    /// </summary>
    public static (int Prediction, float Entropy) OfProbabilities(ReadOnlySpan<float> probabilities)
    {
        double h = 0;
        foreach (var q in probabilities)
            if (q > 0) h -= q * Math.Log(q);
        return (ArgMax(probabilities), (float)Math.Clamp(h / Math.Log(probabilities.Length), 0, 1));
    }
}

using Ddnn.Core.Inference;

namespace Ddnn.Core.Tests.Inference;

public class ClassScoresTests
{
    [Theory]
    [InlineData(new[] { 0.1f, 0.7f, 0.2f }, 1)]
    [InlineData(new[] { 0.5f, 0.5f, 0.2f }, 0)]
    [InlineData(new[] { 0.2f, 0.6f, 0.6f }, 1)]
    [InlineData(new[] { -3f, -1f, -1f, -2f }, 1)]
    [InlineData(new[] { 4f }, 0)]
    public void ArgMax_is_the_first_largest_score(float[] scores, int expected) => Assert.Equal(expected, ClassScores.ArgMax(scores));

    [Fact]
    public void ArgMax_never_picks_a_NaN_over_an_earlier_score() =>
        Assert.Equal(1, ClassScores.ArgMax([0f, 2f, float.NaN, 1f]));

    [Fact]
    public void Uniform_probabilities_have_entropy_one_and_a_certain_class_zero()
    {
        Assert.Equal((0, 1f), ClassScores.OfProbabilities([0.25f, 0.25f, 0.25f, 0.25f]));
        Assert.Equal((2, 0f), ClassScores.OfProbabilities([0f, 0f, 1f]));
    }

    [Fact]
    public void Entropy_of_a_softmax_row_matches_the_entropy_of_its_logits()
    {
        float[] logits = [0.3f, -1.2f, 2.0f, 0.7f, -0.1f];
        var probabilities = new float[logits.Length];
        var expected = new float[1];
        Kernels.Softmax.Forward(1, logits.Length, logits, probabilities);
        Kernels.Softmax.NormalizedEntropy(1, logits.Length, logits, expected);
        var (prediction, entropy) = ClassScores.OfProbabilities(probabilities);
        Assert.Equal(2, prediction);
        Assert.Equal(expected[0], entropy, 1e-6f);
    }
}

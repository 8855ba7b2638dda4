using Ddnn.Core.Inference;
using Ddnn.Core.Model;
using Ddnn.Core.Tests.Model;
using Ddnn.TestSupport;

namespace Ddnn.Core.Tests.Inference;

public class DdnnScoringTests
{
    [Fact]
    public void EntropyMatchesTheGoldenCaseAndPredictionIsTheArgmax()
    {
        var c = GoldenFile.OpCase("normalized_entropy");
        var logits = c.Input("logits");
        var scores = DdnnScoring.Score(Tensor.FromValues(logits.ToFloat(), logits.Shape), "local");
        Assert.Equal("local", scores.Name);
        Approx.EqualScaled(c.Output("eta").Data, scores.Entropies, 1e-5, what: "eta");
        int rows = logits.Shape[0], cols = logits.Shape[1];
        for (var i = 0; i < rows; i++)
        {
            var row = logits.Data.AsSpan(i * cols, cols);
            var max = row.ToArray().Max();
            Assert.Equal(row.IndexOf(max), scores.Predictions[i]);
        }
    }

    [Fact]
    public void TiesGoToTheFirstClassAndUniformLogitsHaveEntropyOne()
    {
        var scores = DdnnScoring.Score(Tensor.FromValues([1f, 3f, 3f, 2f, 2f, 2f], 2, 3), "x");
        Assert.Equal([1, 0], scores.Predictions);
        Assert.Equal(1f, scores.Entropies[1], 6);
        Assert.InRange(scores.Entropies[0], 0f, 1f);
    }

    [Fact]
    public void BadLogitsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => DdnnScoring.Score(Tensor.Zeros(3), "x"));
        Assert.Throws<ArgumentException>(() => DdnnScoring.Score(Tensor.Zeros(3, 1), "x"));
        var e = Assert.Throws<ArgumentException>(() => DdnnScoring.Score(Tensor.FromValues([0f, float.NaN], 1, 2), "cloud"));
        Assert.Contains("cloud", e.Message);
        Assert.Throws<ArgumentException>(() => DdnnScoring.Score(Tensor.Zeros(1, 2), ""));
    }

    [Fact]
    public void ScoreAllNamesEveryExitOfAModelAndFeedsTheCascade()
    {
        var config = DdnnBuilder.Devices(2).Input(1, 8, 8).Classes(3).LocalExit(Aggregation.MaxPool).Edge([0, 1], Aggregation.Concat, 4).Cloud(Aggregation.Concat, 4).Build();
        var model = ModelTestData.Randomize(new DdnnModel(config), 61);
        model.Eval();
        using var _ = Autograd.NoGrad();
        var outputs = model.Forward(ModelTestData.Views(config, 5, 62));
        var scores = DdnnScoring.ScoreAll(model, outputs);
        Assert.Equal(model.ExitNames, scores.Select(s => s.Name));
        for (var i = 0; i < scores.Count; i++) Assert.Equal(DdnnScoring.Score(outputs.Exits[i], model.ExitNames[i]).Predictions, scores[i].Predictions);
        var result = ExitCascade.Run([scores[2], scores[3], scores[4]], [0.5, 0.5]);
        Assert.Equal(5, result.Count);
    }
}

using Ddnn.Core.Model;
using Ddnn.Core.Randomness;

namespace Ddnn.Core.Tests.Model;

/// <summary>
/// Whole-model gradients of the float variant (no sign steps, so finite differences apply) against central
/// differences along random directions over the input views and every parameter, through device slicing, masked
/// CC/MP/AP fusion, edges and every exit. Directional checks keep ReLU and max-pool kinks from dominating.
/// </summary>
public class DdnnModelGradientTests
{
    [Theory]
    [InlineData("CC", "MP", "AP")]
    [InlineData("AP", "CC", "MP")]
    [InlineData("MP", "AP", "CC")]
    public void FloatModelDirectionalDerivativesMatchFiniteDifferences(string local, string edge, string cloud)
    {
        var config = DdnnBuilder.Devices(3).Input(1, 6, 6).Classes(3).Binary(false).DeviceBlocks(2)
            .LocalExit(AggregationNames.Parse(local)).Edge([0, 2], AggregationNames.Parse(edge), 2).Edge([1], AggregationNames.Parse(edge), 2)
            .Cloud(AggregationNames.Parse(cloud), 2).Build();
        var model = ModelTestData.Randomize(new DdnnModel(config), 71);
        // Running statistics of a trained model; eval mode keeps every sample independent.
        foreach (var (name, b) in model.NamedBuffers())
            for (var i = 0; i < b.Length; i++) b.Data[i] = name.EndsWith("running_var", StringComparison.Ordinal) ? 0.5f + 0.1f * i : 0.05f * i;
        model.Eval();
        var mask = new DeviceMask(3, 3);
        mask.Set(1, 1, false);
        mask.Set(2, 0, false);
        mask.Set(2, 2, false);
        var rng = new SeededRandom(72);
        var views = GradCheck.Random(rng, 1f, 3, 3, 1, 6, 6);
        Tensor[] inputs = [views, .. model.Parameters()];

        var y = Ops.Concat(model.Forward(views, mask).Exits);
        var r = new float[y.Length];
        for (var i = 0; i < r.Length; i++) r[i] = (float)(rng.NextDouble() * 2 - 1);
        Autograd.Backward(y, r);
        var grads = inputs.Select(t => t.HasGrad ? t.Grad.ToArray() : new float[t.Length]).ToArray();

        const float eps = 1e-3f;
        for (var direction = 0; direction < 4; direction++)
        {
            var v = inputs.Select(t => Enumerable.Range(0, t.Length).Select(_ => rng.NextDouble() < 0.5 ? -1f : 1f).ToArray()).ToArray();
            double analytic = 0, magnitude = 0;
            for (var k = 0; k < inputs.Length; k++)
                for (var i = 0; i < v[k].Length; i++)
                {
                    analytic += (double)grads[k][i] * v[k][i];
                    magnitude += Math.Abs(grads[k][i]);
                }
            var plus = Objective(model, views, mask, inputs, v, eps, r);
            var minus = Objective(model, views, mask, inputs, v, -eps, r);
            var numeric = (plus - minus) / (2.0 * eps);
            Assert.True(Math.Abs(numeric - analytic) <= 1e-2 * magnitude,
                $"direction {direction}: analytic {analytic:R}, numeric {numeric:R} (gradient L1 {magnitude:R})");
        }
    }

    /// <summary>Σ r·y at inputs + step·v (restoring the inputs afterwards), accumulated in double.</summary>
    private static double Objective(DdnnModel model, Tensor views, DeviceMask mask, Tensor[] inputs, float[][] v, float step, float[] r)
    {
        var saved = inputs.Select(t => t.ToArray()).ToArray();
        for (var k = 0; k < inputs.Length; k++)
            for (var i = 0; i < v[k].Length; i++) inputs[k].Data[i] += step * v[k][i];
        double sum = 0;
        using (Autograd.NoGrad())
        {
            var y = Ops.Concat(model.Forward(views, mask).Exits);
            for (var i = 0; i < r.Length; i++) sum += (double)y.Data[i] * r[i];
        }
        for (var k = 0; k < inputs.Length; k++) saved[k].CopyTo(inputs[k].Data, 0);
        return sum;
    }
}

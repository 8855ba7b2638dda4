using Ddnn.Core;
using Ddnn.Core.Layers;
using Ddnn.Core.Randomness;
using Ddnn.Training.Optim;
using Ddnn.Training.Trainer;

namespace Ddnn.Training.Tests.Optim;

/// <summary>End-to-end learning on separable toy problems, and bitwise determinism of seeded training.</summary>
public class ToyTrainingTests
{
    /// <summary>Four Gaussian blobs at the corners of a square, one per class.</summary>
    private static (float[] X, int[] Y) Blobs(int count, ulong seed)
    {
        var rng = new SeededRandom(seed);
        var x = new float[count * 2];
        var y = new int[count];
        for (var i = 0; i < count; i++)
        {
            y[i] = rng.NextInt(4);
            x[2 * i] = (y[i] % 2 == 0 ? -1.5f : 1.5f) + (float)(rng.NextGaussian() * 0.3);
            x[2 * i + 1] = (y[i] / 2 == 0 ? -1.5f : 1.5f) + (float)(rng.NextGaussian() * 0.3);
        }
        return (x, y);
    }

    /// <summary>8x8 images with one bright horizontal (class 0) or vertical (class 1) bar plus noise.</summary>
    private static (float[] X, int[] Y) Bars(int count, ulong seed)
    {
        var rng = new SeededRandom(seed);
        var x = new float[count * 64];
        var y = new int[count];
        for (var i = 0; i < count; i++)
        {
            y[i] = rng.NextInt(2);
            var line = 1 + rng.NextInt(6);
            for (var p = 0; p < 64; p++)
            {
                var onBar = y[i] == 0 ? p / 8 == line : p % 8 == line;
                x[i * 64 + p] = (onBar ? 1f : 0f) + (float)(rng.NextDouble() * 0.2);
            }
        }
        return (x, y);
    }

    private static Tensor Batch(float[] x, int featureCount, ReadOnlySpan<int> indices, int[] shapeTail, int[] labelsOut, int[] y)
    {
        var shape = new int[shapeTail.Length + 1];
        shape[0] = indices.Length;
        shapeTail.CopyTo(shape, 1);
        var t = Tensor.Uninitialized(shape);
        for (var i = 0; i < indices.Length; i++)
        {
            x.AsSpan(indices[i] * featureCount, featureCount).CopyTo(t.Span.Slice(i * featureCount, featureCount));
            labelsOut[i] = y[indices[i]];
        }
        return t;
    }

    private static double Accuracy(Layer model, float[] x, int[] y, int featureCount, int[] shapeTail)
    {
        model.Eval();
        var all = Enumerable.Range(0, y.Length).ToArray();
        var labels = new int[y.Length];
        Tensor logits;
        using (Autograd.NoGrad()) logits = model.Forward(Batch(x, featureCount, all, shapeTail, labels, y));
        model.Train();
        var classes = logits.Dim(1);
        var correct = 0;
        for (var i = 0; i < y.Length; i++)
        {
            var best = 0;
            for (var c = 1; c < classes; c++) if (logits.Data[i * classes + c] > logits.Data[i * classes + best]) best = c;
            if (best == y[i]) correct++;
        }
        return correct / (double)y.Length;
    }

    private static void Train(Layer model, float[] x, int[] y, int featureCount, int[] shapeTail, int epochs, float lr, ulong seed)
    {
        var step = new TrainingStep(new Adam(model.Parameters(), lr));
        var schedule = new MiniBatchSchedule(y.Length, 32, seed);
        var labels = new int[32];
        for (var e = 0; e < epochs; e++)
            schedule.RunEpoch(e, (indices, _) =>
            {
                var batchLabels = labels.AsSpan(0, indices.Length).ToArray();
                var idx = indices.ToArray();
                step.Run(() => Ops.CrossEntropy(model.Forward(Batch(x, featureCount, idx, shapeTail, batchLabels, y)), batchLabels));
            });
    }

    [Fact]
    public void FloatMlpSeparatesBlobs()
    {
        var (x, y) = Blobs(512, 1);
        var model = new Sequential(new Linear(2, 16), new BatchNorm1d(16), new Relu(), new Linear(16, 4));
        new Initializer(5).Initialize(model);
        Train(model, x, y, 2, [2], epochs: 15, lr: 1e-2f, seed: 11);
        var (tx, ty) = Blobs(512, 2);
        Assert.True(Accuracy(model, tx, ty, 2, [2]) > 0.95);
    }

    [Fact]
    public void BinaryNetworkSeparatesBars()
    {
        var (x, y) = Bars(384, 3);
        var model = new Sequential(new ConvPoolBNSign(1, 4), new BinaryLinearBN(4 * 4 * 4, 2));
        new Initializer(6).Initialize(model);
        Train(model, x, y, 64, [1, 8, 8], epochs: 15, lr: 1e-2f, seed: 12);
        var (tx, ty) = Bars(384, 4);
        Assert.True(Accuracy(model, tx, ty, 64, [1, 8, 8]) > 0.95);
        Assert.All(model.Parameters().Where(p => p.IsBinaryLatent).SelectMany(p => p.ToArray()), v => Assert.InRange(v, -1f, 1f));
    }

    [Fact]
    public void IdenticalSeededTrainingsGiveIdenticalParameters()
    {
        static float[] Run()
        {
            var (x, y) = Bars(128, 9);
            var model = new Sequential(new ConvPoolBNSign(1, 4), new BinaryLinearBN(4 * 4 * 4, 2));
            new Initializer(21).Initialize(model);
            Train(model, x, y, 64, [1, 8, 8], epochs: 2, lr: 1e-2f, seed: 22);
            return model.StateTensors().SelectMany(t => t.Tensor.ToArray()).ToArray();
        }
        var a = Run();
        var b = Run();
        Assert.Equal(a.Select(BitConverter.SingleToInt32Bits), b.Select(BitConverter.SingleToInt32Bits));
    }
}

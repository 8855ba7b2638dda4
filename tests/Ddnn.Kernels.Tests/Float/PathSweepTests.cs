using Ddnn.Kernels;
using Ddnn.TestSupport;

namespace Ddnn.Kernels.Tests.Float;

/// <summary>
/// Sweeps of every vector path (the Avx512 bodies first of all) against the scalar twin over every tail length, odd
/// pooling shapes and special values (NaN, ±inf, −0, huge negatives), where the path-wise tests use a few fixed shapes.
/// </summary>
public class PathSweepTests
{
    private static readonly float[] Specials =
        [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, -1000f, 1000f, 1e-40f, -3.5f, 88.5f, -104f];

    private static T Scalar<T>(Func<T> action) => TestData.On(KernelPath.Scalar, 1, action);

    private static T On<T>(KernelPath path, Func<T> action, int threads = 1) => TestData.On(path, threads, action);

    public static TheoryData<KernelPath> VectorPaths() => KernelPaths.EveryVector();

    /// <summary>Random values with a special value planted at <paramref name="seed"/>-chosen positions.</summary>
    private static float[] WithSpecials(int length, int seed)
    {
        var x = TestData.Uniform(length, seed, 4f);
        var rng = new Random(seed + 1000);
        if (length > 0 && seed % 2 == 0) x[rng.Next(length)] = Specials[rng.Next(Specials.Length)];
        return x;
    }

    private static bool SameOrBothNaN(float a, float b) =>
        (float.IsNaN(a) && float.IsNaN(b)) || BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b);

    private static void SameBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(SameOrBothNaN(expected[i], actual[i]), $"{what}[{i}]: scalar {expected[i]:R}, vector path {actual[i]:R}");
    }

    private static void Near(float[] expected, float[] actual, float tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            if (float.IsNaN(e) || float.IsNaN(a) || float.IsInfinity(e) || float.IsInfinity(a))
            {
                Assert.True(SameOrBothNaN(e, a), $"{what}[{i}]: scalar {e:R}, vector path {a:R}");
                continue;
            }
            Assert.True(Math.Abs(e - a) <= tolerance * (1 + Math.Abs(e)), $"{what}[{i}]: scalar {e:R}, vector path {a:R}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(VectorPaths))]
    public void ReductionsMatchTheScalarTwinAtEveryLengthTo70WithSpecialValues(KernelPath path)
    {
        KernelPaths.SkipUnsupported(path);
        for (var n = 1; n <= 70; n++)
        for (var seed = 0; seed < 4; seed++)
        {
            var x = WithSpecials(n, n * 7 + seed);
            var y = TestData.Uniform(n, n * 11 + seed);
            float[] Run() => [Reduce.Sum(x), Reduce.Dot(x, y), Reduce.Max(x)];
            var expected = Scalar(Run);
            var actual = On(path, Run);
            Near(expected[..2], actual[..2], 1e-5f, $"sum/dot n={n} seed={seed}");
            SameBits(expected[2..], actual[2..], $"max n={n} seed={seed}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(VectorPaths))]
    public void ElementWiseAndAdamMatchTheScalarTwinBitwiseAtEveryLengthTo70(KernelPath path)
    {
        KernelPaths.SkipUnsupported(path);
        for (var n = 1; n <= 70; n++)
        {
            var x = WithSpecials(n, n);
            var y = WithSpecials(n, n + 1);
            float[][] Run()
            {
                var outs = Enumerable.Range(0, 8).Select(_ => new float[n]).ToArray();
                ElementWise.Max(x, y, outs[0]);
                ElementWise.Relu(x, outs[1]);
                ElementWise.Sign(x, outs[2]);
                ElementWise.Clip(x, -1f, 1f, outs[3]);
                ElementWise.HardTanhBackward(x, y, outs[4]);
                ElementWise.Affine(x, 1.5f, -0.25f, outs[5]);
                var p = (float[])x.Clone();
                var m = TestData.Uniform(n, 5);
                var v = TestData.Uniform(n, 6).Select(Math.Abs).ToArray();
                OptimizerKernels.AdamStep(p, y, m, v, 1e-3f, 0.9f, 0.999f, 1e-8f, 3);
                outs[6] = p;
                outs[7] = m;
                return outs;
            }
            var expected = Scalar(Run);
            var actual = On(path, Run);
            for (var o = 0; o < expected.Length; o++) SameBits(expected[o], actual[o], $"op {o} n={n}");
        }
    }

    private static IEnumerable<Pool2dShape> PoolShapes()
    {
        foreach (var w in new[] { 1, 5, 8, 9, 15, 16, 17, 23, 24, 31, 32, 33, 40, 47, 48, 64, 65, 100 })
        foreach (var h in new[] { 3, 6 })
        foreach (var (k, st, p) in new[] { (1, 1, 0), (1, 2, 0), (2, 1, 0), (2, 2, 0), (2, 2, 1), (5, 2, 2), (2, 1, 1), (3, 1, 1), (3, 2, 1), (3, 2, 0), (4, 2, 2), (5, 1, 2), (5, 2, 1) })
            if (Math.Min(h, w) + 2 * p >= k)
                yield return new Pool2dShape(1, 3, h, w, k, st, p);
    }

    [SkippableTheory]
    [MemberData(nameof(VectorPaths))]
    public void PoolingMatchesTheScalarTwinBitwiseOnWidths1To48WithSpecialValues(KernelPath path)
    {
        KernelPaths.SkipUnsupported(path);
        var seed = 0;
        foreach (var s in PoolShapes())
        {
            var x = WithSpecials((int)s.InputLength, ++seed);
            if (seed % 3 == 0) x[0] = -0f;
            var dy = WithSpecials((int)s.OutputLength, seed + 500);
            (float[] y, int[] idx, float[] avg, float[] dx) Run()
            {
                var y = new float[s.OutputLength];
                var idx = new int[s.OutputLength];
                MaxPool2d.Forward(s, x, y, idx);
                var avg = new float[s.OutputLength];
                AvgPool2d.Forward(s, x, avg);
                var dx = TestData.Uniform((int)s.InputLength, 9); // must be overwritten
                AvgPool2d.Backward(s, dy, dx);
                return (y, idx, avg, dx);
            }
            var expected = Scalar(Run);
            var actual = On(path, Run);
            SameBits(expected.y, actual.y, $"max {s}");
            Assert.Equal(expected.idx, actual.idx);
            SameBits(expected.avg, actual.avg, $"avg {s}");
            SameBits(expected.dx, actual.dx, $"avg backward {s}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(VectorPaths))]
    public void SoftmaxFamilyMatchesTheScalarTwinOnColumns1To40WithSpecialValues(KernelPath path)
    {
        KernelPaths.SkipUnsupported(path);
        const int rows = 3;
        for (var cols = 1; cols <= 40; cols++)
        for (var seed = 0; seed < 6; seed++)
        {
            var x = TestData.Uniform(rows * cols, cols * 13 + seed, 6f);
            var rng = new Random(seed);
            if (seed >= 2) x[rng.Next(x.Length)] = Specials[(cols + seed) % Specials.Length];
            if (seed == 5) x[rng.Next(x.Length)] = -1000f;
            var labels = Enumerable.Range(0, rows).Select(r => (r * 7 + seed) % cols).ToArray();
            float[][] Run()
            {
                var soft = new float[rows * cols];
                var log = new float[rows * cols];
                var eta = new float[rows];
                var d = new float[rows * cols];
                Softmax.Forward(rows, cols, x, soft);
                Softmax.LogForward(rows, cols, x, log);
                Softmax.NormalizedEntropy(rows, cols, x, eta);
                var loss = CrossEntropy.Forward(rows, cols, x, labels, -1, default, d);
                return [soft, log, eta, d, [loss]];
            }
            var expected = Scalar(Run);
            var actual = On(path, Run);
            string[] names = ["softmax", "log-softmax", "entropy", "cross-entropy gradient", "loss"];
            for (var o = 0; o < expected.Length; o++) Near(expected[o], actual[o], 1e-5f, $"{names[o]} cols={cols} seed={seed}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(VectorPaths))]
    public void GemmMatchesTheScalarTwinAndIsThreadCountIndependentAtOddShapes(KernelPath path)
    {
        KernelPaths.SkipUnsupported(path);
        var shapes = new (int M, int N, int K)[]
        {
            (1, 1, 1), (3, 17, 33), (5, 63, 40), (7, 64, 31), (9, 65, 257), (4, 130, 17), (70, 47, 64), (33, 129, 300),
            (200, 3, 40), (64, 190, 70), (130, 100, 9),
            // Above GemmCore.ParallelThreshold, so two threads split rows (packed and dot forms) or columns.
            (301, 70, 120), (600, 50, 100), (20, 700, 200), (45, 333, 160),
        };
        foreach (var (m, n, k) in shapes)
        foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            var a = TestData.Uniform(m * k, m + k);
            var b = TestData.Uniform(k * n, n + k);
            var bias = TestData.Uniform(n, 3);
            float[] Run()
            {
                var c = TestData.Uniform(m * n, 4);
                Gemm.Multiply(ta, tb, m, n, k, a, b, c, accumulate: true, bias: bias);
                return c;
            }
            var expected = Scalar(Run);
            var one = On(path, Run);
            var two = On(path, Run, threads: 2);
            Near(expected, one, 1e-4f, $"gemm {m}x{n}x{k} ta={ta} tb={tb}");
            Approx.Exact(one, two, $"gemm 1 vs 2 threads {m}x{n}x{k} ta={ta} tb={tb}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(VectorPaths))]
    public void TailsStayInsideTheirSpansAtEveryLengthTo40(KernelPath path)
    {
        using var scope = KernelPaths.Enter(path);
        for (var n = 1; n <= 40; n++)
        {
            var values = TestData.Uniform(n, n, 3f);
            using var x = GuardedFloats.Of(values);
            using var y = new GuardedFloats(n);
            using var m = new GuardedFloats(n);
            using var v = new GuardedFloats(n);
            using var eta = new GuardedFloats(1);
            Softmax.Forward(1, n, x.Span, y.Span);
            Softmax.LogForward(1, n, x.Span, y.Span);
            Softmax.NormalizedEntropy(1, n, x.Span, eta.Span);
            CrossEntropy.Forward(1, n, x.Span, [n - 1], -1, default, y.Span);
            ElementWise.Relu(x.Span, y.Span);
            ElementWise.Add(x.Span, x.Span, y.Span);
            _ = Reduce.Sum(x.Span) + Reduce.Max(x.Span) + Reduce.Dot(x.Span, x.Span);
            OptimizerKernels.AdamStep(y.Span, x.Span, m.Span, v.Span, 1e-3f, 0.9f, 0.999f, 1e-8f, 1);
            var packed = new ulong[Ddnn.Kernels.Binary.BitPacking.WordsFor(n)];
            Ddnn.Kernels.Binary.BitPacking.PackRows(x.Span, 1, n, packed);
            foreach (var (k, st, pad) in new[] { (1, 1, 0), (2, 2, 0), (3, 1, 1), (3, 2, 1) })
            {
                if (n + 2 * pad < k) continue;
                var shape = new Pool2dShape(1, 1, 2, n, k, st, pad);
                using var pooledIn = GuardedFloats.Of(TestData.Uniform((int)shape.InputLength, n));
                using var pooled = new GuardedFloats((int)shape.OutputLength);
                using var gradient = new GuardedFloats((int)shape.InputLength);
                AvgPool2d.Forward(shape, pooledIn.Span, pooled.Span);
                AvgPool2d.Backward(shape, pooled.Span, gradient.Span);
                MaxPool2d.Forward(shape, pooledIn.Span, pooled.Span, new int[shape.OutputLength]);
            }
        }
    }
}

using K = Ddnn.Kernels;

namespace Ddnn.Core;

public static partial class Ops
{
    /// <summary>
    /// Batch normalization over x (N,C) or (N,C,H,W) per channel. Training: normalizes with the batch mean
    /// and biased variance and updates the running statistics in place (momentum = weight of the new value,
    /// running variance unbiased); the backward is the full adjoint through mean and variance.
    /// Evaluation: normalizes with the running statistics, which stay unchanged.
    /// </summary>
    public static Tensor BatchNorm(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        bool training, float momentum = 0.1f, float eps = 2e-5f)
    {
        const string op = "batch_norm";
        OpCheck.NotNull(op, x, nameof(x)); OpCheck.NotNull(op, gamma, nameof(gamma)); OpCheck.NotNull(op, beta, nameof(beta));
        OpCheck.NotNull(op, runningMean, nameof(runningMean)); OpCheck.NotNull(op, runningVar, nameof(runningVar));
        if (x.Rank is not (2 or 4))
            throw new ArgumentException($"{op}: input {x.ShapeText} must be (N,C) or (N,C,H,W).", nameof(x));
        int n = x.Shape[0], c = x.Shape[1], spatial = x.Rank == 4 ? x.Shape[2] * x.Shape[3] : 1;
        OpCheck.ChannelVector(op, gamma, nameof(gamma), c, x);
        OpCheck.ChannelVector(op, beta, nameof(beta), c, x);
        OpCheck.ChannelVector(op, runningMean, nameof(runningMean), c, x);
        OpCheck.ChannelVector(op, runningVar, nameof(runningVar), c, x);
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, $"{op}: eps must be positive.");
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"{op}: momentum must be in [0, 1].");
        var y = Tensor.Uninitialized(x.Shape);
        // (N, C) runs as (1, C, N): the kernels then see one contiguous plane per channel instead of N one-value planes.
        var channelMajor = spatial == 1 && n > 1;
        var (kn, ks) = channelMajor ? (1, n) : (n, spatial);
        float[] xk = x.Data, yk = y.Data;
        if (channelMajor)
        {
            xk = Graph.RentCurrent(x.Length);
            yk = Graph.RentCurrent(x.Length);
            Transpose(n, c, x.Data, xk);
        }
        var transposeRows = channelMajor ? n : 0;
        if (training && Graph.Current is { Split.Lanes: > 1 } lane)
        {
            var mean = lane.Rent(c);
            var invStd = lane.Rent(c);
            var count = SplitForward(lane.Split!, lane.Lane, kn, c, ks, xk, gamma, beta, runningMean, runningVar, momentum, eps, yk, mean, invStd);
            if (Autograd.ShouldRecord(x, gamma, beta))
                Node.Attach(Graph.NewNode<BatchNormNode>().Set(kn, c, ks, xk, transposeRows, mean, invStd, 0f, lane.Split, lane.Lane, count), y, x, gamma, beta);
        }
        else if (training)
        {
            var mean = Graph.RentCurrent(c);
            var invStd = Graph.RentCurrent(c);
            if (n * spatial < 2)
                throw new ArgumentException($"{op}: training needs more than one value per channel, input is {x.ShapeText}.", nameof(x));
            K.BatchNorm.ForwardTraining(kn, c, ks, xk, gamma.Data, beta.Data, eps, momentum,
                runningMean.Data, runningVar.Data, yk, mean, invStd);
            if (Autograd.ShouldRecord(x, gamma, beta))
                Node.Attach(Graph.NewNode<BatchNormNode>().Set(kn, c, ks, xk, transposeRows, mean, invStd, 0f, null, 0, 0), y, x, gamma, beta);
        }
        else
        {
            K.BatchNorm.ForwardInference(kn, c, ks, xk, gamma.Data, beta.Data, runningMean.Data, runningVar.Data, eps, yk);
            // Eval mode normalizes with constants, so the backward only needs the running statistics themselves.
            if (Autograd.ShouldRecord(x, gamma, beta))
                Node.Attach(Graph.NewNode<BatchNormNode>().Set(kn, c, ks, xk, transposeRows, runningMean.Data, runningVar.Data, eps, null, 0, 0), y, x, gamma, beta);
        }
        if (channelMajor) Transpose(c, n, yk, y.Data);
        return y;
    }

    /// <summary>dst (cols, rows) = src (rows, cols) transposed.</summary>
    private static void Transpose(int rows, int cols, ReadOnlySpan<float> src, Span<float> dst)
    {
        for (var r = 0; r < rows; r++)
        {
            var row = src.Slice(r * cols, cols);
            for (var col = 0; col < cols; col++) dst[col * rows + r] = row[col];
        }
    }

    /// <summary>
    /// Training mode on one lane of a batch split: <see cref="K.BatchNorm.ForwardTraining"/> with the per-channel sums
    /// added over every lane; lane 0 alone updates the running statistics. Returns the whole batch's value count.
    /// </summary>
    private static double SplitForward(BatchSplit split, int lane, int n, int c, int spatial, float[] x, Tensor gamma, Tensor beta,
        Tensor runningMean, Tensor runningVar, float momentum, float eps, float[] y, float[] saveMean, float[] saveInvStd)
    {
        // One exchange per forward: each lane sends Σx, M2 + (Σx)²/n about its own mean, and n; over the lanes these add
        // up to Σx, Σx² and N, whence the whole batch's M2 = Σx² − (Σx)²/N without a second pass.
        Span<double> sums = c < 128 ? stackalloc double[2 * c + 1] : new double[2 * c + 1];
        var total = sums[..c];
        var squares = sums[c..(2 * c)];
        K.BatchNormParts.Sums(n, c, spatial, x, total);
        var localCount = (double)n * spatial;
        Span<double> localMean = c < 128 ? stackalloc double[c] : new double[c];
        for (var ch = 0; ch < c; ch++) localMean[ch] = total[ch] / localCount;
        K.BatchNormParts.SquaredDeviations(n, c, spatial, x, localMean, squares);
        for (var ch = 0; ch < c; ch++) squares[ch] += total[ch] * localMean[ch];
        sums[2 * c] = localCount;
        split.Exchange(lane, sums);
        var count = sums[2 * c];
        if (count < 2)
            throw new ArgumentException($"batch_norm: training needs more than one value per channel, the split batch has {count}.", nameof(x));
        var mean = localMean;
        for (var ch = 0; ch < c; ch++)
        {
            mean[ch] = total[ch] / count;
            squares[ch] = Math.Max(0, squares[ch] - total[ch] * mean[ch]);
        }
        Span<float> scale = c < 256 ? stackalloc float[c] : new float[c];
        Span<float> shift = c < 256 ? stackalloc float[c] : new float[c];
        for (var ch = 0; ch < c; ch++)
        {
            var biased = squares[ch] / count;
            var invStd = 1.0 / Math.Sqrt(biased + eps);
            saveMean[ch] = (float)mean[ch];
            saveInvStd[ch] = (float)invStd;
            if (lane == 0)
            {
                runningMean.Data[ch] = (float)((1.0 - momentum) * runningMean.Data[ch] + momentum * mean[ch]);
                runningVar.Data[ch] = (float)((1.0 - momentum) * runningVar.Data[ch] + momentum * (biased * count / (count - 1)));
            }
            var scaled = gamma.Data[ch] * invStd;
            scale[ch] = (float)scaled;
            shift[ch] = (float)(beta.Data[ch] - mean[ch] * scaled);
        }
        K.BatchNormParts.Normalize(n, c, spatial, x, scale, shift, y);
        return count;
    }

    /// <summary>Training mode (evalEps = 0): statistics are the batch mean and 1/std; eval mode: running mean and variance.</summary>
    private sealed class BatchNormNode : Node
    {
        // The kernels' layout (n, c, spatial) and x in it; transposeRows > 0: x, y and their gradients are (transposeRows, c)
        // tensors run as (1, c, transposeRows).
        private int n, c, spatial, transposeRows;
        private float[] xk = [], meanStat = [], spreadStat = [];
        private float evalEps;

        public override string OpName => "batch_norm";

        /// <summary>The split whose lanes share the statistics (training mode on a lane), else null.</summary>
        private BatchSplit? Split { get; set; }
        private int Lane { get; set; }
        /// <summary>Values per channel in the whole split batch.</summary>
        private double Count { get; set; }

        public BatchNormNode Set(int batch, int channels, int planeSize, float[] kernelX, int rows, float[] mean, float[] spread, float eps,
            BatchSplit? split, int lane, double count)
        {
            (n, c, spatial, xk, transposeRows, meanStat, spreadStat, evalEps) = (batch, channels, planeSize, kernelX, rows, mean, spread, eps);
            (Split, Lane, Count) = (split, lane, count);
            return this;
        }

        protected internal override void Backward()
        {
            var x = Inputs[0];
            var g = KernelLayout(Output.Grad);
            if (Split is not null)
            {
                SplitBackward(Split, g);
                return;
            }
            var gamma = Inputs[1];
            var beta = Inputs[2];
            float[]? dxScratch = null, dgScratch = null, dbScratch = null;
            var direct = x.RequiresGrad && transposeRows == 0;
            var dx = direct ? x.BeginGrad(out dxScratch) : Graph.RentCurrent(x.Length);
            var dgamma = gamma.RequiresGrad ? gamma.BeginGrad(out dgScratch) : Graph.RentCurrent(c);
            var dbeta = beta.RequiresGrad ? beta.BeginGrad(out dbScratch) : Graph.RentCurrent(c);
            if (evalEps == 0f)
                K.BatchNorm.Backward(n, c, spatial, xk, g, gamma.Data, meanStat, spreadStat, dx, dgamma, dbeta);
            else
                K.BatchNorm.BackwardInference(n, c, spatial, xk, g, gamma.Data, meanStat, spreadStat, evalEps, dx, dgamma, dbeta);
            if (direct) x.CommitGrad(dxScratch);
            else if (x.RequiresGrad) CommitTransposed(x, dx);
            if (gamma.RequiresGrad) gamma.CommitGrad(dgScratch);
            if (beta.RequiresGrad) beta.CommitGrad(dbScratch);
        }

        /// <summary>The output gradient in the kernels' layout.</summary>
        private ReadOnlySpan<float> KernelLayout(Span<float> grad)
        {
            if (transposeRows == 0) return grad;
            var transposed = Graph.RentCurrent(grad.Length);
            Transpose(transposeRows, c, grad, transposed);
            return transposed;
        }

        /// <summary>Adds an input gradient computed in the kernels' (1, c, rows) layout to x's (rows, c) gradient.</summary>
        private void CommitTransposed(Tensor x, ReadOnlySpan<float> dxKernel)
        {
            var dx = x.BeginGrad(out var scratch);
            Transpose(c, transposeRows, dxKernel, dx);
            x.CommitGrad(scratch);
        }

        /// <summary>
        /// <see cref="K.BatchNorm.Backward"/> with Σ g and Σ g·x added over every lane; lane 0 writes the whole batch's
        /// gamma and beta gradients, the other lanes none, so gathering the lanes adds nothing to them.
        /// </summary>
        private void SplitBackward(BatchSplit split, ReadOnlySpan<float> g)
        {
            var x = Inputs[0];
            var gamma = Inputs[1];
            var beta = Inputs[2];
            Span<double> sums = c < 256 ? stackalloc double[2 * c] : new double[2 * c];
            K.BatchNormParts.GradientSums(n, c, spatial, xk, g, sums[..c], sums[c..]);
            split.Exchange(Lane, sums);
            Span<float> k = c < 256 ? stackalloc float[c] : new float[c];
            Span<float> a = c < 256 ? stackalloc float[c] : new float[c];
            Span<float> b = c < 256 ? stackalloc float[c] : new float[c];
            Span<float> dgamma = c < 256 ? stackalloc float[c] : new float[c];
            Span<float> dbeta = c < 256 ? stackalloc float[c] : new float[c];
            for (var ch = 0; ch < c; ch++)
            {
                double mean = meanStat[ch], invStd = spreadStat[ch], sumG = sums[ch], sumGX = sums[c + ch];
                var sumGXhat = invStd * (sumGX - mean * sumG);
                dgamma[ch] = (float)sumGXhat;
                dbeta[ch] = (float)sumG;
                var scaled = gamma.Data[ch] * invStd;
                k[ch] = (float)scaled;
                a[ch] = (float)(-scaled * invStd * sumGXhat / Count);
                b[ch] = (float)(-scaled * sumG / Count);
            }
            if (x.RequiresGrad && transposeRows == 0)
            {
                var dx = x.BeginGrad(out var scratch);
                K.BatchNormParts.InputGradient(n, c, spatial, xk, g, k, a, meanStat, b, dx);
                x.CommitGrad(scratch);
            }
            else if (x.RequiresGrad)
            {
                var dxKernel = Graph.RentCurrent(x.Length);
                K.BatchNormParts.InputGradient(n, c, spatial, xk, g, k, a, meanStat, b, dxKernel);
                CommitTransposed(x, dxKernel);
            }
            if (Lane != 0) return;
            if (gamma.RequiresGrad) gamma.AccumulateGrad(dgamma);
            if (beta.RequiresGrad) beta.AccumulateGrad(dbeta);
        }
    }
}

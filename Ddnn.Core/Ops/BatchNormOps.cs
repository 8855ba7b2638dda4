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
        var why = $"one per channel of input {x.ShapeText}";
        OpCheck.Vector(op, gamma, nameof(gamma), c, why);
        OpCheck.Vector(op, beta, nameof(beta), c, why);
        OpCheck.Vector(op, runningMean, nameof(runningMean), c, why);
        OpCheck.Vector(op, runningVar, nameof(runningVar), c, why);
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, $"{op}: eps must be positive.");
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"{op}: momentum must be in [0, 1].");
        var y = Tensor.Uninitialized((int[])x.Shape.Clone());
        if (training)
        {
            var mean = Graph.RentCurrent(c);
            var invStd = Graph.RentCurrent(c);
            if (n * spatial < 2)
                throw new ArgumentException($"{op}: training needs more than one value per channel, input is {x.ShapeText}.", nameof(x));
            K.BatchNorm.ForwardTraining(n, c, spatial, x.Data, gamma.Data, beta.Data, eps, momentum,
                runningMean.Data, runningVar.Data, y.Data, mean, invStd);
            if (Autograd.ShouldRecord(x, gamma, beta)) Node.Attach(new BatchNormNode(n, c, spatial, mean, invStd, 0f), y, x, gamma, beta);
        }
        else
        {
            K.BatchNorm.ForwardInference(n, c, spatial, x.Data, gamma.Data, beta.Data, runningMean.Data, runningVar.Data, eps, y.Data);
            // Eval mode normalizes with constants, so the backward only needs the running statistics themselves.
            if (Autograd.ShouldRecord(x, gamma, beta))
                Node.Attach(new BatchNormNode(n, c, spatial, runningMean.Data, runningVar.Data, eps), y, x, gamma, beta);
        }
        return y;
    }

    /// <summary>Training mode (evalEps = 0): statistics are the batch mean and 1/std; eval mode: running mean and variance.</summary>
    private sealed class BatchNormNode(int n, int c, int spatial, float[] meanStat, float[] spreadStat, float evalEps) : Node
    {
        public override string OpName => "batch_norm";

        protected internal override void Backward()
        {
            var x = Inputs[0];
            var gamma = Inputs[1];
            var beta = Inputs[2];
            float[]? dxScratch = null, dgScratch = null, dbScratch = null;
            var dx = x.RequiresGrad ? x.BeginGrad(out dxScratch) : Graph.RentCurrent(x.Length);
            var dgamma = gamma.RequiresGrad ? gamma.BeginGrad(out dgScratch) : Graph.RentCurrent(c);
            var dbeta = beta.RequiresGrad ? beta.BeginGrad(out dbScratch) : Graph.RentCurrent(c);
            if (evalEps == 0f)
                K.BatchNorm.Backward(n, c, spatial, x.Data, Output.Grad, gamma.Data, meanStat, spreadStat, dx, dgamma, dbeta);
            else
                K.BatchNorm.BackwardInference(n, c, spatial, x.Data, Output.Grad, gamma.Data, meanStat, spreadStat, evalEps, dx, dgamma, dbeta);
            if (x.RequiresGrad) x.CommitGrad(dxScratch);
            if (gamma.RequiresGrad) gamma.CommitGrad(dgScratch);
            if (beta.RequiresGrad) beta.CommitGrad(dbScratch);
        }
    }
}

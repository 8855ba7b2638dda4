namespace Ddnn.Core.Layers;

/// <summary>
/// Exit classifier: flatten -> linear (+ bias) -> BatchNorm1d -> logits. Children "fc" and "bn".
/// </summary>
public abstract class LinearBNBlock : Layer
{
    private protected LinearBNBlock(int inFeatures, int classes, bool binary, float bnEps, float bnMomentum)
    {
        FC = RegisterModule("fc", new Linear(inFeatures, classes, bias: true, binaryWeights: binary));
        BN = RegisterModule("bn", new BatchNorm1d(classes, bnEps, bnMomentum));
        IsBinary = binary;
    }

    /// <summary>The linear layer (binary weights when <see cref="IsBinary"/>).</summary>
    public Linear FC { get; }

    /// <summary>The batch norm producing the logits.</summary>
    public BatchNorm1d BN { get; }

    /// <summary>True for sign weights.</summary>
    public bool IsBinary { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor x) => Forward(x, out _);

    /// <summary>Forward that also returns the linear output before batch norm. Inputs of rank &gt; 2 are flattened.</summary>
    public Tensor Forward(Tensor x, out Tensor linearOut)
    {
        ArgumentNullException.ThrowIfNull(x);
        var flat = x.Rank == 2 ? x : Ops.Flatten(x);
        linearOut = FC.Forward(flat);
        return BN.Forward(linearOut);
    }
}

/// <summary>Binary exit: binary-weight linear + float bias -> BatchNorm1d -> logits.</summary>
public sealed class BinaryLinearBN(int inFeatures, int classes, float bnEps = BatchNormBase.DefaultEps, float bnMomentum = BatchNormBase.DefaultMomentum)
    : LinearBNBlock(inFeatures, classes, binary: true, bnEps, bnMomentum);

/// <summary>Float exit: float-weight linear + bias -> BatchNorm1d -> logits.</summary>
public sealed class LinearBN(int inFeatures, int classes, float bnEps = BatchNormBase.DefaultEps, float bnMomentum = BatchNormBase.DefaultMomentum)
    : LinearBNBlock(inFeatures, classes, binary: false, bnEps, bnMomentum);

namespace Ddnn.Training.Data;

/// <summary>The three supported multi-view sources.</summary>
public enum DatasetKind
{
    /// <summary>Generated multi-camera scenes (car, bus, person) that mirror MVMC; needs no files.</summary>
    Synthetic,
    /// <summary>MV-FMNIST: Fashion-MNIST images cut into six overlapping 16×16 views.</summary>
    FashionMnist,
    /// <summary>The paper's multi-view multi-camera set, read from the authors' .npz.</summary>
    Mvmc,
}

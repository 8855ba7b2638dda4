namespace Ddnn.Training.Data;

/// <summary>The three supported multi-view sources.</summary>
public enum DatasetKind
{
    Synthetic,
    FashionMnist,
    Mvmc,
}

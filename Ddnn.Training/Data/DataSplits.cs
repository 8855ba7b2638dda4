namespace Ddnn.Training.Data;

/// <summary>Training, validation (threshold calibration) and test splits of one multi-view source.</summary>
public sealed record DataSplits
{
    public DataSplits(MultiViewDataset train, MultiViewDataset validation, MultiViewDataset test)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(test);
        if (!train.IsCompatibleWith(validation))
            throw new ArgumentException($"validation split ({validation}) does not match the training split ({train})", nameof(validation));
        if (!train.IsCompatibleWith(test))
            throw new ArgumentException($"test split ({test}) does not match the training split ({train})", nameof(test));
        Train = train;
        Validation = validation;
        Test = test;
    }

    public MultiViewDataset Train { get; }
    public MultiViewDataset Validation { get; }
    public MultiViewDataset Test { get; }

    /// <summary>Name of the source, taken from the training split ("synthetic/train" → "synthetic").</summary>
    public string SourceName
    {
        get
        {
            int slash = Train.Name.IndexOf('/');
            return slash < 0 ? Train.Name : Train.Name[..slash];
        }
    }
}

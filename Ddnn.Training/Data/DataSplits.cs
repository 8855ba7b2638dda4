namespace Ddnn.Training.Data;

/// <summary>Training, validation (threshold calibration) and test splits of one multi-view source.</summary>
public sealed record DataSplits
{
    /// <summary>Bundles three splits; throws unless validation and test have the training split's views, view shape and classes.</summary>
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

    /// <summary>The samples the model is trained on.</summary>
    public MultiViewDataset Train { get; }
    /// <summary>Held-out samples for choosing the exit thresholds; never trained on.</summary>
    public MultiViewDataset Validation { get; }
    /// <summary>Held-out samples the reported accuracies and bytes are measured on.</summary>
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

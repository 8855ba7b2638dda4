namespace Ddnn.Core.IO;

/// <summary>What a Ddnn file holds; stored in its header, so a file given where another kind is expected is named as such.</summary>
public enum DdnnFileKind : uint
{
    /// <summary>A trainable <c>DdnnModel</c>: configuration, parameters and batch-norm buffers (<c>ddnn train</c> writes <c>model.ddnn</c>).</summary>
    TrainableModel = 1,

    /// <summary>Every bit-packed partition of an exported model (<c>model.ddnnp</c>).</summary>
    PackedModel = 2,

    /// <summary>One bit-packed partition of an exported model, with the configuration it belongs to.</summary>
    PackedPartition = 3,

    /// <summary>A resumable training run: configuration, progress, model state and optimizer state.</summary>
    TrainingCheckpoint = 4,

    /// <summary>The parameters and buffers of any module, without a configuration.</summary>
    ModuleState = 5,
}

/// <summary>Human-readable names of <see cref="DdnnFileKind"/> values for error messages.</summary>
internal static class DdnnFileKindNames
{
    /// <summary>"trainable model", "packed whole model", ...; unknown values are shown as numbers.</summary>
    public static string Describe(this DdnnFileKind kind) => kind switch
    {
        DdnnFileKind.TrainableModel => "trainable model",
        DdnnFileKind.PackedModel => "packed whole model",
        DdnnFileKind.PackedPartition => "packed partition",
        DdnnFileKind.TrainingCheckpoint => "training checkpoint",
        DdnnFileKind.ModuleState => "module state",
        _ => $"unknown kind {(uint)kind}",
    };
}
